"""Adamax's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .common import beta_options, epsilon_option, method_doc, weight_decay_option
from .method import Method

__all__ = ["ADAMAX"]

_DOC = method_doc(
    r"""Minimize a scalar function with Adamax, Adam with the infinity norm
(Kingma and Ba, 2015, section 7.1).""",
    r"""    g_t &\leftarrow g_t + \lambda x_{t-1}
        && \text{weight decay } \lambda \text{ (if } \lambda > 0)\\
    m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t && m_0 = 0\\
    u_t &= \max(\beta_2 u_{t-1}, |g_t| + \epsilon) && u_0 = 0\\
    x_t &= x_{t-1} - \frac{\eta}{1 - \beta_1^t} \frac{m_t}{u_t}""",
    r"""Every iterate equals
``torch.optim.Adamax``'s (``lr``, ``betas=(beta1, beta2)``, ``eps``,
``weight_decay``, ``maximize``) to rounding. Keras's ``Adamax`` adds epsilon
to ``u_t`` instead of inside the maximum.""",
    r""".. [1] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization",
   ICLR 2015, arXiv:1412.6980.""",
    "adamax",
)

ADAMAX = Method(
    name="adamax",
    class_name="Adamax",
    kernel="adamax",
    learning_rate=2e-3,
    starting_rate=1e-2,
    hyperparameters=beta_options()
    + (epsilon_option(1e-8, "Added to |g| inside the maximum (torch's `eps`)."),)
    + (weight_decay_option(0.0),),
    state=("exp_avg", "exp_inf"),
    doc=_DOC,
    summary="Adamax (Kingma and Ba, 2015): Adam with a decaying maximum of |g| for the "
    "second moment.",
)
