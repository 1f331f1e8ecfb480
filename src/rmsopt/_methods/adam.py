"""Adam's and AdamW's declarations: options, state, kernel and documentation.

The two share the kernel; AdamW's weight decay is decoupled from the gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._checks.constraints import Flag, Real
from .._checks.errors import invalid
from .._checks.options import Option
from .common import weight_decay_option
from .method import Method

__all__ = ["ADAM", "ADAMW"]

# "<decay>" and "<torch>" are filled in per method (str.format would trip on LaTeX).
_EQUATIONS = r"""With ``g_t`` the gradient of ``fun`` at ``x_{t-1}`` (negated when
``maximize``), step ``t = 1, 2, ...`` is

.. math::

    <decay>
    m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t && m_0 = 0\\
    v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 && v_0 = 0\\
    \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (amsgrad), else } v_t\\
    x_t &= x_{t-1} - \frac{\eta}{1 - \beta_1^t}\,
        \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

then ``x_t`` is projected onto ``bounds``. Every iterate equals
``torch.optim.<torch>``'s (``lr``, ``betas=(beta1, beta2)``, ``eps``,
``weight_decay``, ``amsgrad``, ``maximize``) to rounding.

Keras and TensorFlow add epsilon after folding the bias corrections into the
step size; ``epsilon_hat=True`` takes their step,

.. math::

    x_t = x_{t-1} - \frac{\eta \sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        \frac{m_t}{\sqrt{\hat v_t} + \hat\epsilon}

(their epsilon equals rmsopt's ``epsilon * sqrt(1 - beta2**t)``, so the two
differ only while ``sqrt(v)`` is comparable to epsilon). optax divides the
bias-corrected moments and adds ``eps_root`` inside the root: with
``eps_root > 0`` the step is

.. math::

    x_t = x_{t-1} - \eta \frac{m_t / (1 - \beta_1^t)}
        {\sqrt{v_t / (1 - \beta_2^t) + \epsilon_{root}} + \epsilon}

and ``amsgrad="optax"`` (optax's ``amsgrad``) keeps the running maximum of the
bias-corrected ``v_t / (1 - beta2**t)`` in that step, where ``amsgrad=True``
(torch's) keeps the maximum of ``v_t``."""

_COUPLED = r"""g_t &\leftarrow g_t + \lambda x_{t-1}
        && \text{weight decay } \lambda \text{ (if } \lambda > 0)\\"""

_DECOUPLED = r"""x_{t-1} &\leftarrow (1 - \eta \lambda)\, x_{t-1}
        && \text{decoupled weight decay } \lambda\\"""

_EXAMPLE = r"""
Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> res = rmsopt.{name}(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...                   jac=lambda x: 2.0 * (x - 3.0), learning_rate=0.05,
...                   maxiter=5000{extra})
>>> bool(np.allclose(res.x, {target}, atol=1e-3))
True
"""

_ADAM_DOC = (
    r"""Minimize a scalar function with Adam (Kingma and Ba, 2015).

{calling}

{options}

Notes
-----
"""
    + _EQUATIONS.replace("<decay>", _COUPLED).replace("<torch>", "Adam")
    + r"""

References
----------
.. [1] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization",
   ICLR 2015, arXiv:1412.6980.
.. [2] S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and
   Beyond", ICLR 2018 (amsgrad).
"""
    + _EXAMPLE.format(name="adam", extra="", target="3.0")
)

_ADAMW_DOC = (
    r"""Minimize a scalar function with AdamW: Adam with decoupled weight decay
(Loshchilov and Hutter, 2019).

{calling}

{options}

Notes
-----
"""
    + _EQUATIONS.replace("<decay>", _DECOUPLED).replace("<torch>", "AdamW")
    + r"""

The decay shrinks ``x`` towards zero by the factor ``1 - lr * weight_decay``
at every step, whatever the gradient's scale; with Adam's coupled L2 term the
adaptive denominator would rescale the penalty too.

References
----------
.. [1] I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization",
   ICLR 2019, arXiv:1711.05101.
.. [2] D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization",
   ICLR 2015, arXiv:1412.6980.
"""
    + _EXAMPLE.format(name="adamw", extra=", weight_decay=0.0", target="3.0")
)


def _moment_options(weight_decay: Option) -> tuple[Option, ...]:
    return (
        Option(
            "beta1",
            0.9,
            Real(0, 1),
            "Decay of the moving average of gradients m (torch's `betas[0]`).",
        ),
        Option(
            "beta2",
            0.999,
            Real(0, 1),
            "Decay of the moving average of squared gradients v (torch's `betas[1]`).",
        ),
        Option(
            "epsilon",
            1e-8,
            Real(0),
            "Added to the bias-corrected sqrt(v) in the denominator (torch's `eps`).",
        ),
        weight_decay,
        Option(
            "amsgrad",
            False,
            Flag(also=("optax",)),
            "Divide by the running maximum of v instead of v (Reddi et al., 2018), as "
            'torch\'s `amsgrad=True`; "optax": the maximum of the bias-corrected v, as '
            "optax's `amsgrad`.",
        ),
        Option(
            "epsilon_hat",
            False,
            Flag(),
            "Add epsilon to the root of the un-corrected v and correct the rate instead "
            "(Keras's and TensorFlow's Adam).",
        ),
        Option(
            "eps_root",
            0.0,
            Real(0),
            "Added to the bias-corrected v inside the root, as optax's `eps_root` (> 0 takes "
            "optax's form of the step).",
        ),
    )


def _check_variants(settings: Mapping[str, Any], subject: Callable[[str], str]) -> None:
    # Keras's step has no eps_root, and optax's no epsilon-hat.
    if settings["epsilon_hat"] and (settings["eps_root"] != 0 or settings["amsgrad"] == "optax"):
        raise invalid(
            ValueError,
            subject("epsilon_hat"),
            "False with eps_root > 0 or amsgrad='optax' (optax's form of the step)",
            f"True with eps_root={settings['eps_root']!r} and amsgrad={settings['amsgrad']!r}",
        )


def _kernel_values(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "amsgrad": bool(settings["amsgrad"]),
        "amsgrad_corrected": settings["amsgrad"] == "optax",
    }


_STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

ADAM = Method(
    name="adam",
    class_name="Adam",
    kernel="adam",
    learning_rate=1e-3,
    starting_rate=1e-2,
    hyperparameters=_moment_options(weight_decay_option(0.0)),
    kernel_constants={"decoupled_weight_decay": False},
    kernel_values=_kernel_values,
    check=_check_variants,
    state=_STATE,
    # keras.optimizers.Adam(learning_rate=0.001, epsilon=1e-7); optax.adam(b1=0.9, b2=0.999,
    # eps=1e-8), whose learning rate has no default.
    frameworks={
        "torch": {},
        "keras": {"learning_rate": 1e-3, "epsilon": 1e-7, "epsilon_hat": True},
        "optax": {},
    },
    second_moment="exp_avg_sq",
    doc=_ADAM_DOC,
    summary="Adam (Kingma and Ba, 2015): bias-corrected moving averages of the gradient and "
    "of its square.",
)

ADAMW = Method(
    name="adamw",
    class_name="AdamW",
    kernel="adam",
    learning_rate=1e-3,
    starting_rate=1e-2,
    hyperparameters=_moment_options(weight_decay_option(1e-2, decoupled=True)),
    kernel_constants={"decoupled_weight_decay": True},
    kernel_values=_kernel_values,
    check=_check_variants,
    state=_STATE,
    # keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.004, epsilon=1e-7);
    # optax.adamw(weight_decay=1e-4).
    frameworks={
        "torch": {},
        "keras": {
            "learning_rate": 1e-3,
            "weight_decay": 0.004,
            "epsilon": 1e-7,
            "epsilon_hat": True,
        },
        "optax": {"weight_decay": 1e-4},
    },
    second_moment="exp_avg_sq",
    doc=_ADAMW_DOC,
    summary="AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.",
)
