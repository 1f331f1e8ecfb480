"""Adadelta's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .._checks.constraints import Real
from .._checks.options import Option
from .common import weight_decay_option
from .method import Method

__all__ = ["ADADELTA"]

_DOC = r"""Minimize a scalar function with Adadelta (Zeiler, 2012).

{calling}

{options}

Notes
-----
With ``g_t`` the gradient of ``fun`` at ``x_{t-1}`` (negated when
``maximize``), step ``t = 1, 2, ...`` is

.. math::

    g_t &\leftarrow g_t + \lambda x_{t-1}
        && \text{weight decay } \lambda \text{ (if } \lambda > 0)\\
    v_t &= \rho v_{t-1} + (1 - \rho) g_t^2 && v_0 = 0\\
    \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t\\
    u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 && u_0 = 0\\
    x_t &= x_{t-1} - \eta \Delta_t

then ``x_t`` is projected onto ``bounds``. Every iterate equals
``torch.optim.Adadelta``'s (``lr``, ``rho``, ``eps``, ``weight_decay``,
``maximize``) to rounding. Zeiler's paper has no learning rate (``eta = 1``,
torch's default): the ratio of the two moving root mean squares sets the step's
units, so ``epsilon`` sets the size of the first steps. As the state keeps only
the updated average of squared steps, `rmsopt.effective_step_size` gives the
factor the next step would apply to a gradient that leaves ``v`` unchanged.

References
----------
.. [1] M. D. Zeiler, "ADADELTA: An Adaptive Learning Rate Method",
   arXiv:1212.5701, 2012.

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> res = rmsopt.adadelta(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...                       jac=lambda x: 2.0 * (x - 3.0), maxiter=20000)
>>> bool(np.allclose(res.x, 3.0, atol=1e-3))
True
"""


ADADELTA = Method(
    name="adadelta",
    class_name="Adadelta",
    kernel="adadelta",
    learning_rate=1.0,
    starting_rate=10.0,
    hyperparameters=(
        Option(
            "rho",
            0.9,
            Real(0, 1, high_closed=True),
            "Decay of both moving averages (of squared gradients and of squared updates).",
        ),
        Option(
            "epsilon",
            1e-6,
            Real(0),
            "Added inside both square roots (torch's `eps`; Zeiler's paper and Keras use "
            "1e-6 and 1e-7).",
        ),
        weight_decay_option(0.0),
    ),
    state=("square_avg", "acc_delta"),
    doc=_DOC,
    second_moment="square_avg",
    summary="Adadelta (Zeiler, 2012): steps in the units of a moving RMS of past updates.",
)
