"""RAdam's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .common import (
    DECOUPLED_WEIGHT_DECAY,
    beta_options,
    epsilon_option,
    method_doc,
    weight_decay_option,
)
from .method import Method

__all__ = ["RADAM"]

_DOC = method_doc(
    r"""Minimize a scalar function with RAdam, Adam with a rectified
adaptive rate (Liu et al., 2020).""",
    r"""    g_t &\leftarrow g_t + \lambda x_{t-1}, \text{ or }
        x_{t-1} \leftarrow (1 - \eta \lambda) x_{t-1}
        && \text{weight decay } \lambda \text{ (decoupled\_weight\_decay)}\\
    m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t && m_0 = 0\\
    v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 && v_0 = 0\\
    \rho_\infty &= \frac{2}{1 - \beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t}\\
    r_t &= \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
        {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}\\
    x_t &= x_{t-1} - \eta \frac{m_t}{1 - \beta_1^t}
        \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon} r_t
        \text{ if } \rho_t > 5, \text{ else }
        x_{t-1} - \eta \frac{m_t}{1 - \beta_1^t}""",
    r"""Every iterate equals
``torch.optim.RAdam``'s (``lr``, ``betas=(beta1, beta2)``, ``eps``,
``weight_decay``, ``decoupled_weight_decay``, ``maximize``) to rounding. The
first steps (``rho_t <= 5``: five of them at ``beta2 = 0.999``) are momentum
steps of size ``lr``, before the second moment is trusted.""",
    r""".. [1] L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao, J. Han, "On the
   Variance of the Adaptive Learning Rate and Beyond", ICLR 2020.""",
    "radam",
)

RADAM = Method(
    name="radam",
    class_name="RAdam",
    kernel="radam",
    learning_rate=1e-3,
    # Its first steps are momentum steps of size lr: 1e-2 overshoots the ill-conditioned fits.
    starting_rate=3e-3,
    hyperparameters=beta_options()
    + (
        epsilon_option(1e-8, "Added to sqrt(v) in the denominator (torch's `eps`)."),
        weight_decay_option(0.0),
        DECOUPLED_WEIGHT_DECAY,
    ),
    state=("exp_avg", "exp_avg_sq"),
    second_moment="exp_avg_sq",
    doc=_DOC,
    summary="RAdam (Liu et al., 2020): Adam whose adaptive rate is rectified while the "
    "second moment is young.",
)
