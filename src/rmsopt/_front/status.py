"""The one table of termination statuses, shared by every method."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

__all__ = ["Status"]


class Status(enum.IntEnum):
    """Why a run stopped: ``OptimizeResult.status`` holds one of these.

    ====  =====================  =======  =======================================================
    code  name                   success  meaning
    ====  =====================  =======  =======================================================
    0     ``GTOL``               yes      the projected gradient's max-norm is at most ``gtol``
    1     ``FTOL``               yes      the relative change of ``fun`` is at most ``ftol``
    2     ``XTOL``               yes      the step's max-norm is at most ``xtol``
    3     ``MAXITER``            no       ``maxiter`` iterations were taken
    4     ``MAXFEV``             no       ``fun`` was called ``maxfev`` times
    5     ``NONFINITE``          no       a value, gradient, iterate or state was NaN or inf
    6     ``EPOCHS``             yes      minibatch mode: ``epochs`` passes over the data
    7     ``EARLY_STOP``         yes      minibatch mode: no validation improvement larger than
                                          ``min_delta`` for ``patience`` epochs
    8     ``BATCHES_EXHAUSTED``  no       minibatch mode: a pass over ``batches`` yielded nothing
                                          before ``epochs`` passes were made
    9     ``ERROR``              no       `multistart`, `tune`, `compare` only: the run
                                          raised; its ``error`` and ``traceback`` are kept
    99    ``CALLBACK_STOP``      no       ``callback`` raised ``StopIteration`` (SciPy's code)
    ====  =====================  =======  =======================================================

    With ``NONFINITE`` the result holds the last iterate at which everything
    evaluated was finite, and ``res.state`` the optimizer state that produced
    it; in minibatch mode with a ``validation`` objective, the best validated
    iterate when an epoch validated, as always in that mode (a non-finite
    validation value of the first epoch returns the iterate before it). ``fun`` is evaluated
    only where something needs it (with a separate ``jac`` and no ``ftol`` or
    new-style callback, only for the result), so a non-finite ``fun`` found for
    the result is reported at that iterate.

    Examples
    --------
    >>> import numpy as np, rmsopt
    >>> res = rmsopt.minimize(lambda x: x @ x, np.ones(2), jac=lambda x: 2 * x,
    ...                       options={"maxiter": 5})
    >>> rmsopt.Status(res.status), rmsopt.Status(res.status).success
    (<Status.MAXITER: 3>, False)
    """

    GTOL = 0
    FTOL = 1
    XTOL = 2
    MAXITER = 3
    MAXFEV = 4
    NONFINITE = 5
    EPOCHS = 6
    EARLY_STOP = 7
    BATCHES_EXHAUSTED = 8
    ERROR = 9
    CALLBACK_STOP = 99

    @property
    def success(self) -> bool:
        return self in (Status.GTOL, Status.FTOL, Status.XTOL, Status.EPOCHS, Status.EARLY_STOP)

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    Status.GTOL: "Optimization terminated successfully: "
    "the max-norm of the projected gradient is at most gtol.",
    Status.FTOL: "Optimization terminated successfully: "
    "the relative change of the objective is at most ftol.",
    Status.XTOL: "Optimization terminated successfully: the max-norm of the step is at most xtol.",
    Status.MAXITER: "Maximum number of iterations has been exceeded.",
    Status.MAXFEV: "Maximum number of function evaluations has been exceeded.",
    Status.NONFINITE: "A non-finite value, gradient, iterate or optimizer state was "
    "encountered; the run stopped (see rmsopt.Status for which iterate is returned).",
    Status.EPOCHS: "Optimization terminated successfully: the requested number of epochs "
    "was completed.",
    Status.EARLY_STOP: "Optimization terminated successfully: the validation objective did "
    "not improve by more than min_delta for `patience` epochs (early stopping).",
    Status.BATCHES_EXHAUSTED: "The `batches` iterable yielded no batch in a pass before "
    "`epochs` passes were made.",
    Status.ERROR: "The run raised an exception: `error` holds it and `traceback` where "
    "it was raised.",
    Status.CALLBACK_STOP: "`callback` raised `StopIteration`.",
}


def nonfinite_detail(failure: tuple, nit: int, committed: Any, state_rows: tuple[str, ...]) -> str:
    """What was not finite, and where, for a run's NONFINITE message: ``failure`` is the
    driver's ``(kind, x, grad, state, value)``, ``nit`` the iterations committed,
    ``committed`` the iterate the run reports (the failed evaluation was at it when ``x`` is
    that very array) and ``state_rows`` the names of the state block's rows."""
    kind, x, grad, state, value = failure
    if kind == "validation":
        return (
            f"The validation objective was not finite at the end of an epoch (after {nit} steps)."
        )
    if kind == "step":
        rows = [] if state is None else list(zip(state_rows, state, strict=True))
        for name, values in [("x", x), *rows]:
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                what = "x" if name == "x" else f"the state row {name!r}"
                return (
                    f"Step {nit + 1} would have made {what} non-finite ({_elements(bad, values)}); "
                    f"the result holds the iterate and state after step {nit}."
                )
        return f"Step {nit + 1} would have made x or the state non-finite."
    where = f"the iterate after {nit} steps" if x is committed else f"the iterate of step {nit + 1}"
    if nit == 0 and x is committed:
        where = "x0"
    if kind == "value":
        return f"fun returned {value!r} at {where}."
    bad = np.flatnonzero(~np.isfinite(grad))
    return f"The gradient was not finite at {where} ({_elements(bad, grad)})."


def _elements(bad: np.ndarray, values: np.ndarray) -> str:
    first = int(bad[0])
    count = f"{bad.size} element{'s' if bad.size > 1 else ''}"
    return f"{count}, the first at index {first}: {float(values[first])!r}"
