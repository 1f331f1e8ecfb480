"""Lion's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .._checks.constraints import Real
from .._checks.options import Option
from .common import beta_options, method_doc
from .method import Method

__all__ = ["LION"]

_DOC = method_doc(
    r"""Minimize a scalar function with Lion, evolved sign momentum (Chen et
al., 2023), as ``optax.lion`` takes it.""",
    r"""    u_t &= \operatorname{sign}((1 - \beta_1) g_t + \beta_1 m_{t-1})
        + \lambda x_{t-1} && \text{weight decay } \lambda\\
    m_t &= (1 - \beta_2) g_t + \beta_2 m_{t-1} && m_0 = 0\\
    x_t &= x_{t-1} - \eta u_t""",
    r"""Every iterate equals
``optax.lion``'s (``learning_rate``, ``b1``, ``b2``, ``weight_decay``) to
rounding. Each element moves by ``eta`` (plus the decay) whatever the
gradient's size, so Lion wants a learning rate 3-10 times smaller than
AdamW's; the weight decay keeps ``x`` from the minimizer of ``fun`` (set it to
0 for an exact minimum).""",
    r""".. [1] X. Chen, C. Liang, D. Huang, E. Real, K. Wang, Y. Liu, H. Pham,
   X. Dong, T. Luong, C.-J. Hsieh, Y. Lu, Q. V. Le, "Symbolic Discovery of
   Optimization Algorithms", NeurIPS 2023, arXiv:2302.06675.""",
    "lion",
    ", weight_decay=0.0",
)

LION = Method(
    name="lion",
    class_name="Lion",
    kernel="lion",
    learning_rate=1e-4,
    starting_rate=1e-2,
    hyperparameters=beta_options(beta2=0.99)
    + (
        Option(
            "weight_decay",
            1e-3,
            Real(0),
            "Decoupled weight decay: weight_decay * x is added to the sign update, as "
            "optax's `add_decayed_weights` does.",
        ),
    ),
    state=("exp_avg",),
    # optax.lion(b1=0.9, b2=0.99, weight_decay=1e-3), whose learning rate has no default;
    # torch has no Lion.
    frameworks={"optax": {}},
    doc=_DOC,
    summary="Lion (Chen et al., 2023): the sign of an interpolated momentum, as optax.lion.",
)
