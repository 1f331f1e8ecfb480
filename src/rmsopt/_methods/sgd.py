"""SGD's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._checks.constraints import Flag, Real
from .._checks.errors import invalid
from .._checks.options import Option
from .common import DECOUPLED_WEIGHT_DECAY, LEARNING_RATE_IN_MOMENTUM, weight_decay_option
from .method import Method

__all__ = ["SGD"]

_DOC = r"""Minimize a scalar function with gradient descent, with optional
momentum (Polyak, 1964) and Nesterov momentum (Sutskever et al., 2013).

{calling}

{options}

Notes
-----
With ``g_t`` the gradient of ``fun`` at ``x_{t-1}`` (negated when
``maximize``), step ``t = 1, 2, ...`` is

.. math::

    g_t &\leftarrow g_t + \lambda x_{t-1}
        && \text{weight decay } \lambda \text{ (if } \lambda > 0)\\
    b_t &= \mu b_{t-1} + (1 - \tau) g_t && b_1 = g_1
        \text{ (momentum } \mu > 0 \text{, dampening } \tau)\\
    d_t &= g_t + \mu b_t \text{ (nesterov)}, \quad b_t
        \text{ (momentum)}, \quad g_t \text{ (otherwise)}\\
    x_t &= x_{t-1} - \eta d_t

then ``x_t`` is projected onto ``bounds``. Every iterate equals
``torch.optim.SGD``'s (``lr``, ``momentum``, ``dampening``, ``nesterov``,
``weight_decay``, ``maximize``) to rounding. The buffer starts at the first
gradient, undamped, as in torch.

Keras's SGD folds the learning rate into the velocity: with
``learning_rate_in_momentum=True`` the buffer is
``b_t = mu b_{t-1} + (1 - tau) eta g_t`` (``b_1 = eta g_1``) and the step is
``x_t = x_{t-1} - b_t``, or ``x_{t-1} - (eta g_t + mu b_t)`` with
``nesterov``: the same as above for a constant learning rate up to rounding,
not under a schedule. Keras's weight decay is decoupled:
``decoupled_weight_decay=True`` shrinks ``x_{t-1}`` by ``1 - eta lambda``
instead of adding the L2 term. ``rmsopt.defaults("sgd", "keras")`` sets both.

References
----------
.. [1] B. T. Polyak, "Some methods of speeding up the convergence of
   iteration methods", USSR Computational Mathematics and Mathematical
   Physics 4(5), 1964.
.. [2] I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of
   initialization and momentum in deep learning", ICML 2013.

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> res = rmsopt.sgd(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...                  jac=lambda x: 2.0 * (x - 3.0), learning_rate=0.1, momentum=0.5)
>>> res.success, np.allclose(res.x, 3.0, atol=1e-5)
(True, True)
"""


def _check_nesterov(settings: Mapping[str, Any], subject: Callable[[str], str]) -> None:
    # torch refuses the same combinations: Nesterov's look-ahead needs an undamped buffer.
    if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
        raise invalid(
            ValueError,
            subject("nesterov"),
            "False unless momentum > 0 and dampening == 0",
            f"True with momentum={settings['momentum']!r} and dampening={settings['dampening']!r}",
        )


SGD = Method(
    name="sgd",
    class_name="SGD",
    kernel="sgd",
    learning_rate=1e-3,
    starting_rate=0.1,
    hyperparameters=(
        Option("momentum", 0.0, Real(0), "Momentum factor mu; 0 disables momentum."),
        Option(
            "dampening",
            0.0,
            Real(0, 1, high_closed=True),
            "Dampening tau of the momentum buffer: b = mu b + (1 - tau) g.",
        ),
        Option(
            "nesterov",
            False,
            Flag(),
            "Nesterov momentum: step along g + mu b (needs momentum > 0 and dampening 0).",
        ),
        weight_decay_option(0.0),
        DECOUPLED_WEIGHT_DECAY,
        LEARNING_RATE_IN_MOMENTUM,
    ),
    state=("momentum_buffer",),
    # keras.optimizers.SGD(learning_rate=0.01): the rate inside the velocity, decay decoupled.
    frameworks={
        "torch": {},
        "keras": {
            "learning_rate": 1e-2,
            "learning_rate_in_momentum": True,
            "decoupled_weight_decay": True,
        },
    },
    check=_check_nesterov,
    doc=_DOC,
    summary="Gradient descent with optional (Nesterov) momentum, as torch.optim.SGD.",
)
