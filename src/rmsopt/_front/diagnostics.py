"""Numbers people watch adaptive methods by, computed from an optimizer's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks.errors import argument, invalid, summary
from .._core.method_kernels import matrices, new_kernel
from .._methods.registry import get_method
from .arguments import rate_and_schedule

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
    shrinks ``x`` separately), so SGD's is ``lr``. Where a method's state
    holds less than the last step used, its docstring says what this gives.

    Parameters
    ----------
    state : dict
        ``res.state`` from `rmsopt.minimize`, or an optimizer's
        ``state_dict()``; it names the method and the steps taken.
    **options
        Options that shape a step (``learning_rate``, ``epsilon``, ``rho``,
        ...) to use instead of those the state records (``res.state`` and
        ``state_dict()`` hold the run's options); a state without options takes
        the defaults for those not given.

    Returns
    -------
    ndarray
        One step size per variable (float64). For the state of an optimizer
        of several arrays, the same structure of arrays, each shaped like its
        array (with parameter groups, each group's options apply to it).

    Examples
    --------
    >>> import numpy as np, rmsopt
    >>> grad = lambda x: 2.0 * x
    >>> x = np.ones(2)
    >>> opt = rmsopt.Adagrad(x)                # lr 1e-2, torch's
    >>> for _ in range(100):
    ...     _ = opt.step(grad(x))
    >>> rmsopt.effective_step_size(opt.state_dict()) < 1e-2   # lr, divided down
    array([ True,  True])

    The state records the run's options, so a run at another rate needs nothing more:

    >>> res = rmsopt.minimize(lambda x: x @ x, np.ones(2), method="adagrad", jac=grad,
    ...                       options={"learning_rate": 0.5, "maxiter": 10, "gtol": 0.0})
    >>> bool(np.all(rmsopt.effective_step_size(res.state) > 1e-2))
    True
    """
    if not isinstance(state, Mapping) or "method" not in state or "step" not in state:
        raise invalid(
            TypeError,
            argument("state"),
            "a dict returned as `res.state` or by `state_dict()`",
            summary(state),
        )
    method = get_method(str(np.asarray(state["method"]).item()))
    first = state.get(method.state[0])
    if isinstance(first, (list, tuple, Mapping)):
        return _structured_step_size(state, method.state, options)
    saved = state.get("options")
    if isinstance(saved, np.ndarray) and saved.ndim == 0:  # numpy.load's form
        saved = saved.item()
    step_options = {option.name for option in method.step_options}
    recorded = (
        {name: value for name, value in saved.items() if name in step_options}
        if isinstance(saved, Mapping)
        else {}
    )
    settings = method.validate({**recorded, **options}, declared=method.step_options)
    # Rows shaped like an N-D x are flattened, and the sizes given back in that shape.
    shape = np.shape(state[method.state[0]])
    block = np.ascontiguousarray(
        [np.asarray(state[name], dtype=np.float64).reshape(-1) for name in method.state]
    )
    step = int(np.asarray(state["step"]).item())
    if step < 1:
        raise invalid(ValueError, argument("state"), "the state after at least one step", "step 0")
    rate, schedule = rate_and_schedule(settings["learning_rate"])
    if schedule is not None:
        rate = schedule(step - 1)
    kernel = new_kernel(method.kernel, method.kernel_settings(settings))
    if kernel.whole and settings["shape"] is None and len(shape) >= 2:
        kernel.reserve(block.shape[1], block.itemsize, matrices(shape))  # a class's array
    return kernel.step_size(block, step, rate).reshape(shape)


def _structured_step_size(
    state: Mapping[str, Any], rows: tuple[str, ...], options: Mapping[str, Any]
) -> Any:
    """`effective_step_size` of a state of several arrays (a list, tuple or dict per row, or
    per group a list of them): leaf by leaf, with each group's recorded options."""
    groups = state.get("param_groups")
    if groups is None:
        return _leafwise(state, rows, state[rows[0]], lambda leaf: leaf, state.get("options"),
                         options)  # fmt: skip
    return [
        _leafwise(state, rows, state[rows[0]][i], lambda row, i=i: row[i], group, options)
        for i, group in enumerate(groups)
    ]


def _leafwise(state, rows, shape, pick, recorded, options):
    """The step sizes of the leaves of ``shape`` (a list, tuple or dict of arrays, or one
    array), each from the state rows' matching leaves (``pick`` selects a group's)."""

    def one(leaf_of):
        single = {"method": state["method"], "step": state["step"]}
        if recorded is not None:
            single["options"] = recorded
        for row in rows:
            single[row] = leaf_of(pick(state[row]))
        return effective_step_size(single, **options)

    if isinstance(shape, Mapping):
        return {key: one(lambda row, key=key: row[key]) for key in shape}
    if isinstance(shape, (list, tuple)):
        return type(shape)(one(lambda row, k=k: row[k]) for k in range(len(shape)))
    return one(lambda row: row)
