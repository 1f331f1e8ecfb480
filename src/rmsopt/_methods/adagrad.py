"""Adagrad's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from .._checks.constraints import Flag, Real
from .._checks.options import Option
from .common import weight_decay_option
from .method import Method

__all__ = ["ADAGRAD"]

_DOC = r"""Minimize a scalar function with Adagrad (Duchi, Hazan and Singer, 2011).

{calling}

{options}

Notes
-----
With ``g_t`` the gradient of ``fun`` at ``x_{t-1}`` (negated when
``maximize``), step ``t = 1, 2, ...`` is

.. math::

    g_t &\leftarrow g_t + \lambda x_{t-1}
        && \text{weight decay } \lambda \text{ (if } \lambda > 0)\\
    s_t &= s_{t-1} + g_t^2
        && s_0 = \text{initial\_accumulator\_value}\\
    \eta_t &= \eta / (1 + (t - 1)\,\text{lr\_decay})\\
    x_t &= x_{t-1} - \eta_t\, g_t / (\sqrt{s_t} + \epsilon)

then ``x_t`` is projected onto ``bounds``. Every iterate equals
``torch.optim.Adagrad``'s (``lr``, ``lr_decay``, ``weight_decay``,
``initial_accumulator_value``, ``eps``, ``maximize``) to rounding.

Because ``s_t`` only grows, the effective step ``eta / sqrt(s_t)`` decays
like ``1 / sqrt(t)`` under gradients of steady size: good for sparse,
convex problems, and the reason RMSprop replaces the sum by a moving average.

References
----------
.. [1] J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods for
   Online Learning and Stochastic Optimization", JMLR 12, 2011.

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> res = rmsopt.adagrad(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...                      jac=lambda x: 2.0 * (x - 3.0), learning_rate=1.0, maxiter=5000)
>>> res.success, np.allclose(res.x, 3.0, atol=1e-5)
(True, True)
"""


ADAGRAD = Method(
    name="adagrad",
    class_name="Adagrad",
    kernel="adagrad",
    learning_rate=1e-2,
    starting_rate=0.5,
    hyperparameters=(
        Option(
            "lr_decay",
            0.0,
            Real(0),
            "Learning-rate decay: step t uses lr / (1 + (t - 1) * lr_decay).",
        ),
        weight_decay_option(0.0),
        Option(
            "initial_accumulator_value",
            0.0,
            Real(0),
            "Starting value of the sum of squared gradients s (TensorFlow and Keras use 0.1).",
        ),
        Option(
            "epsilon",
            1e-10,
            Real(0),
            "Added to sqrt(s) in the denominator (torch's `eps`), or inside the root with "
            "`epsilon_in_sqrt`.",
        ),
        Option(
            "epsilon_in_sqrt",
            False,
            Flag(),
            "False: denominator sqrt(s) + epsilon (PyTorch). True: sqrt(s + epsilon) (Keras).",
        ),
    ),
    # keras.optimizers.Adagrad(learning_rate=0.001, initial_accumulator_value=0.1,
    # epsilon=1e-7), epsilon inside the root.
    frameworks={
        "torch": {},
        "keras": {
            "learning_rate": 1e-3,
            "initial_accumulator_value": 0.1,
            "epsilon": 1e-7,
            "epsilon_in_sqrt": True,
        },
    },
    state=("square_sum",),
    initial_state=lambda settings: {"square_sum": settings["initial_accumulator_value"]},
    doc=_DOC,
    second_moment="square_sum",
    summary="Adagrad (Duchi et al., 2011): steps scaled by the root of the summed squared "
    "gradients.",
)
