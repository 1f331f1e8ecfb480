"""NAdam's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .._checks.constraints import Real
from .._checks.options import Option
from .common import (
    DECOUPLED_WEIGHT_DECAY,
    beta_options,
    epsilon_option,
    method_doc,
    weight_decay_option,
)
from .method import Method

__all__ = ["NADAM"]

_DOC = method_doc(
    r"""Minimize a scalar function with NAdam, Adam with Nesterov momentum
(Dozat, 2016).""",
    r"""    g_t &\leftarrow g_t + \lambda x_{t-1}, \text{ or }
        x_{t-1} \leftarrow (1 - \eta \lambda) x_{t-1}
        && \text{weight decay } \lambda \text{ (decoupled\_weight\_decay)}\\
    \mu_t &= \beta_1 (1 - \tfrac12 \, 0.96^{t \psi}), \quad
        P_t = \textstyle\prod_{i \le t} \mu_i\\
    m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t && m_0 = 0\\
    v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 && v_0 = 0\\
    d_t &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon\\
    x_t &= x_{t-1} - \eta \frac{1 - \mu_t}{1 - P_t} \frac{g_t}{d_t}
        - \eta \frac{\mu_{t+1}}{1 - P_t \mu_{t+1}} \frac{m_t}{d_t}""",
    r"""Here ``psi`` is ``momentum_decay``. Every iterate equals
``torch.optim.NAdam``'s (``lr``, ``betas=(beta1, beta2)``, ``eps``,
``weight_decay``, ``momentum_decay``, ``decoupled_weight_decay``,
``maximize``) to rounding; ``decoupled_weight_decay=True`` is NAdamW.""",
    r""".. [1] T. Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016
   workshop.""",
    "nadam",
)

NADAM = Method(
    name="nadam",
    class_name="NAdam",
    kernel="nadam",
    learning_rate=2e-3,
    starting_rate=1e-2,
    hyperparameters=beta_options()
    + (
        epsilon_option(1e-8, "Added to the bias-corrected sqrt(v) (torch's `eps`)."),
        weight_decay_option(0.0),
        Option(
            "momentum_decay",
            4e-3,
            Real(0),
            "psi in the momentum schedule mu_t = beta1 (1 - 0.96**(t psi) / 2).",
        ),
        DECOUPLED_WEIGHT_DECAY,
    ),
    # The product of the momentum factors, kept by the kernel (nadam_prepare).
    kernel_constants={"mu_product": 1.0, "product_step": 0},
    state=("exp_avg", "exp_avg_sq"),
    second_moment="exp_avg_sq",
    doc=_DOC,
    summary="NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule.",
)
