"""Averaged SGD's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .._checks.constraints import Real
from .._checks.options import Option
from .common import method_doc, weight_decay_option
from .method import Method

__all__ = ["ASGD"]

_DOC = method_doc(
    r"""Minimize a scalar function with averaged stochastic gradient descent
(Polyak and Juditsky, 1992), with the decaying step of Bottou (2012).""",
    r"""    g_t &\leftarrow g_t + \lambda_w x_{t-1}
        && \text{weight decay } \lambda_w \text{ (if } \lambda_w > 0)\\
    \eta_t &= \eta / (1 + \lambda \eta (t - 1))^\alpha, \quad
        \mu_t = 1 / \max(1, t - 1 - t_0)\\
    x_t &= (1 - \lambda \eta_t)\, x_{t-1} - \eta_t g_t\\
    a_t &= x_t \text{ if } \mu_t = 1, \text{ else }
        a_{t-1} + \mu_t (x_t - a_{t-1})""",
    r"""``a_t`` is the averaged iterate,
``res.x_average`` (the state row ``ax``), a uniform average of the iterates
after step ``t0 + 1``. The decay term ``lambda`` pulls ``x`` towards 0: with
``lambd > 0`` the iterates settle short of a minimizer of ``fun`` (set
``lambd=0`` for an exact minimum). Every iterate equals ``torch.optim.ASGD``'s (``lr``,
``lambd``, ``alpha``, ``t0``, ``weight_decay``, ``maximize``) to rounding
under a constant rate; under a schedule, torch computes ``eta_t`` from the
rate of the step before, rmsopt from the step's own.""",
    r""".. [1] B. T. Polyak, A. B. Juditsky, "Acceleration of Stochastic
   Approximation by Averaging", SIAM J. Control Optim. 30(4), 1992.
.. [2] L. Bottou, "Stochastic Gradient Descent Tricks", Neural Networks:
   Tricks of the Trade, 2012.""",
    "asgd",
    ", lambd=0.0",
)

ASGD = Method(
    name="asgd",
    class_name="ASGD",
    kernel="asgd",
    learning_rate=1e-2,
    starting_rate=0.1,
    hyperparameters=(
        Option("lambd", 1e-4, Real(0), "Decay term lambda of the step size and of x."),
        Option("alpha", 0.75, Real(0), "Power alpha of the step size's decay."),
        Option(
            "t0",
            1e6,
            Real(0),
            "The step after which the average starts (before it, the average is x).",
        ),
        weight_decay_option(0.0),
    ),
    state=("ax",),
    average_row="ax",
    doc=_DOC,
    summary="Averaged SGD (Polyak and Juditsky, 1992): decaying steps and a running average "
    "of the iterates.",
)
