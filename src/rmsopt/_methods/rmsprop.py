"""RMSprop's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._checks.constraints import Flag, Real
from .._checks.errors import invalid
from .._checks.options import Option
from .common import DECOUPLED_WEIGHT_DECAY, LEARNING_RATE_IN_MOMENTUM, weight_decay_option
from .method import Method

__all__ = ["RMSPROP"]

_DOC = r"""Minimize a scalar function with RMSprop (Hinton, 2012).

{calling}

{options}

Notes
-----
With ``g_t`` the gradient of ``fun`` at ``x_{t-1}`` (negated when
``maximize``), step ``t = 1, 2, ...`` is

.. math::

    g_t &\leftarrow g_t + \lambda x_{t-1}
        && \text{weight decay } \lambda \text{ (if } \lambda > 0)\\
    v_t &= \rho v_{t-1} + (1 - \rho) g_t^2
        && v_0 = \text{initial\_accumulator\_value}\\
    m_t &= \rho m_{t-1} + (1 - \rho) g_t
        && \text{centered only; } m_0 = 0\\
    \hat v_t &= v_t / (1 - \rho^t), \quad \hat m_t = m_t / (1 - \rho^t)
        && \text{bias\_correction (else } \hat v_t = v_t, \hat m_t = m_t)\\
    s_t &= \max(\hat v_t - \hat m_t^2, 0) \text{ (centered), else } \hat v_t\\
    d_t &= \sqrt{s_t} + \epsilon, \quad\text{or}\quad \sqrt{s_t + \epsilon}
        && \text{epsilon\_in\_sqrt}\\
    u_t &= g_t / d_t, \quad\text{or}\quad \eta g_t / d_t
        && \text{learning\_rate\_in\_momentum}\\
    b_t &= \mu b_{t-1} + u_t, \quad
        c_t = u_t + \mu b_t \text{ (nesterov), else } b_t
        && \text{momentum } \mu > 0\\
    x_t &= x_{t-1} - \eta c_t, \quad\text{or}\quad x_{t-1} - c_t
        && \text{learning\_rate\_in\_momentum}\\
    x_t &= x_{t-1} - \eta g_t / d_t
        && \text{without momentum}

With ``decoupled_weight_decay`` the first line is
``x_{t-1} <- (1 - eta lambda) x_{t-1}`` instead (AdamW's form).

then ``x_t`` is projected onto ``bounds``. With the same settings every
iterate equals ``torch.optim.RMSprop``'s (``lr``, ``alpha=rho``, ``eps``,
``momentum``, ``centered``, ``weight_decay``, ``maximize``) to rounding, for
every combination of those options. The defaults are not all torch's:
rmsopt's ``learning_rate=1e-3`` and ``rho=0.9`` are Keras's, torch's are
``lr=1e-2`` and ``alpha=0.99``; ``rmsopt.defaults("rmsprop", "torch")`` gives
torch's (and ``"keras"``, ``"optax"``, ``"tf1"`` the others'). One deliberate
departure: the centered
variance estimate ``v - m**2`` can round below zero when the gradient is
nearly constant, where torch and Keras take the square root of a negative
number and produce NaN; rmsopt clamps it at zero.

The frameworks differ in their conventions, and with small gradients the
choice changes the first steps by orders of magnitude. These settings
reproduce each of them:

=====================  ========  ===============  =========================  ===============
framework              epsilon   epsilon_in_sqrt  initial_accumulator_value  bias_correction
=====================  ========  ===============  =========================  ===============
PyTorch (default)      1e-8      False            0.0                        False
Keras 3 / tf.keras     1e-7      True             0.0                        False
optax ``rmsprop``      1e-8      True             0.0 (``initial_scale``)    as given
TensorFlow 1 (v1)      1e-10     True             1.0                        False
=====================  ========  ===============  =========================  ===============

Keras, TF1 and optax fold the learning rate into the momentum buffer
(``learning_rate_in_momentum=True``; optax's ``nesterov=True`` is
``nesterov=True``), which equals torch's form for a constant learning rate up
to rounding, not under a schedule. Keras's ``weight_decay`` is decoupled
(``decoupled_weight_decay=True``), unlike torch's coupled L2 term.
``rmsopt.defaults("rmsprop", framework)`` sets all of these.

The ``gtol`` test uses the gradient of ``fun``: with ``weight_decay > 0`` the
iterates approach the minimiser of the penalised objective, where that
gradient is not zero, so rely on ``maxiter``, ``ftol`` or ``xtol`` there.

References
----------
.. [1] G. Hinton, N. Srivastava, K. Swersky, "Neural Networks for Machine
   Learning", lecture 6e, 2012.
.. [2] A. Graves, "Generating Sequences With Recurrent Neural Networks",
   arXiv:1308.0850, 2013 (the centered variant).

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> res = rmsopt.rmsprop(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...                      jac=lambda x: 2.0 * (x - 3.0), learning_rate=0.1, maxiter=5000)
>>> res.success, np.allclose(res.x, 3.0, atol=1e-5)
(True, True)
"""


def _check_nesterov(settings: Mapping[str, Any], subject: Callable[[str], str]) -> None:
    if settings["nesterov"] and settings["momentum"] <= 0:
        raise invalid(
            ValueError,
            subject("nesterov"),
            "False unless momentum > 0",
            f"True with momentum={settings['momentum']!r}",
        )


RMSPROP = Method(
    name="rmsprop",
    class_name="RMSprop",
    kernel="rmsprop",
    learning_rate=1e-3,
    starting_rate=0.1,
    hyperparameters=(
        Option(
            "rho",
            0.9,
            Real(0, 1),
            "Decay of the moving average of squared gradients (torch's `alpha`, optax's `decay`).",
        ),
        Option(
            "epsilon",
            1e-8,
            Real(0),
            "Added to the denominator, outside or inside the square root (see "
            "`epsilon_in_sqrt`). 0 is allowed, as in torch, but a zero gradient then gives "
            "0/0 and the run stops with status 5.",
        ),
        Option("momentum", 0.0, Real(0), "Momentum factor mu; 0 disables momentum."),
        Option(
            "centered",
            False,
            Flag(),
            "Divide by an estimate of the gradient's standard deviation instead of its "
            "root mean square.",
        ),
        weight_decay_option(0.0),
        Option(
            "epsilon_in_sqrt",
            False,
            Flag(),
            "False: denominator sqrt(v) + epsilon (PyTorch). True: sqrt(v + epsilon) "
            "(Keras, TensorFlow, optax's default).",
        ),
        Option(
            "initial_accumulator_value",
            0.0,
            Real(0),
            "Starting value of the square average v (0 in PyTorch and Keras, 1 in TF1, "
            "optax's `initial_scale`).",
        ),
        Option(
            "bias_correction",
            False,
            Flag(),
            "Divide v (and the centered mean) by 1 - rho**t before use, as optax's "
            "`bias_correction=True`.",
        ),
        Option(
            "nesterov",
            False,
            Flag(),
            "Nesterov momentum: step along g / d + momentum * b instead of b (optax's "
            "`nesterov=True`); needs momentum > 0.",
        ),
        DECOUPLED_WEIGHT_DECAY,
        LEARNING_RATE_IN_MOMENTUM,
    ),
    check=_check_nesterov,
    state=("square_avg", "grad_avg", "momentum_buffer"),
    initial_state=lambda options: {"square_avg": options["initial_accumulator_value"]},
    doc=_DOC,
    second_moment="square_avg",
    # torch.optim.RMSprop(lr=0.01, alpha=0.99); keras.optimizers.RMSprop(learning_rate=0.001,
    # rho=0.9, epsilon=1e-7); optax.rmsprop(decay=0.9, eps=1e-8, eps_in_sqrt=True) and TF1's
    # RMSPropOptimizer(decay=0.9, epsilon=1e-10), whose learning rates have no default.
    frameworks={
        "torch": {"learning_rate": 1e-2, "rho": 0.99},
        "keras": {
            "learning_rate": 1e-3,
            "rho": 0.9,
            "epsilon": 1e-7,
            "epsilon_in_sqrt": True,
            "learning_rate_in_momentum": True,
            "decoupled_weight_decay": True,
        },
        "optax": {
            "rho": 0.9,
            "epsilon": 1e-8,
            "epsilon_in_sqrt": True,
            "learning_rate_in_momentum": True,
        },
        "tf1": {
            "rho": 0.9,
            "epsilon": 1e-10,
            "epsilon_in_sqrt": True,
            "initial_accumulator_value": 1.0,
            "learning_rate_in_momentum": True,
        },
    },
    summary="RMSprop (Hinton, 2012): steps scaled by a moving root mean square of gradients.",
)
