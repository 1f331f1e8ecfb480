"""Numbers people watch adaptive methods by, computed from an optimizer's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._errors import argument, invalid
from ._registry import get_method
from .schedules import validated_rate

__all__ = ["effective_step_size"]


def effective_step_size(state: Mapping[str, Any], **options: Any) -> np.ndarray:
    """The per-element step size of the last step, from a state dict.

    Adaptive methods scale the gradient element by element; this returns that
    scale, for example ``lr / (sqrt(v) + eps)`` for RMSprop and
    ``lr / (sqrt(s) + eps)`` for Adagrad, computed from the moving averages or
    sums in ``state`` (the equations of each method are in its docstring).
    Adagrad's ``s`` only grows, so its step size only shrinks; RMSprop's
    ``v`` forgets, so its step size recovers as the gradients shrink.

    Precisely, it is the factor the last step applied to the gradient (with
    a coupled ``weight_decay``, to the penalised gradient), before momentum:
    with ``momentum`` the buffer accumulates these scaled gradients and
    steady steps are up to ``1 / (1 - momentum)`` times larger. For Adam and
    AdamW it applies to the first moment ``m`` (AdamW's decoupled decay
    shrinks ``x`` separately), so SGD's is ``lr``. For Adadelta, whose state
    keeps only the updated average of squared steps, it is the factor the
    next step would apply to a gradient that leaves ``v`` unchanged.

    Parameters
    ----------
    state : dict
        ``res.state`` from `rmsopt.minimize`, or an optimizer's
        ``state_dict()``; it names the method and the steps taken.
    **options
        The options of the run that made ``state`` (those that shape a step:
        ``learning_rate``, ``epsilon``, ``rho``, ...); the rest take their
        defaults.

    Returns
    -------
    ndarray
        One step size per variable (float64).

    Examples
    --------
    >>> import numpy as np, rmsopt
    >>> grad = lambda x: 2.0 * x
    >>> res = rmsopt.minimize(lambda x: x @ x, np.ones(2), method="adagrad", jac=grad,
    ...                       options={"maxiter": 100, "gtol": 0.0})
    >>> rmsopt.effective_step_size(res.state) < 1e-2   # the default lr, divided down
    array([ True,  True])
    """
    if not isinstance(state, Mapping) or "method" not in state or "step" not in state:
        raise invalid(
            TypeError,
            argument("state"),
            "a dict returned as `res.state` or by `state_dict()`",
            repr(state),
        )
    method = get_method(str(np.asarray(state["method"]).item()))
    settings = method.validate(options, declared=method.step_options)
    block = np.ascontiguousarray(
        [np.asarray(state[name], dtype=np.float64) for name in method.state]
    )
    step = int(np.asarray(state["step"]).item())
    if step < 1:
        raise invalid(ValueError, argument("state"), "the state after at least one step", "step 0")
    rate = settings["learning_rate"]
    if callable(rate):
        rate = validated_rate(rate(step - 1), step - 1)
    return method.make_kernel(settings).step_size(block, step, rate)
