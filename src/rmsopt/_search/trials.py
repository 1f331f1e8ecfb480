"""One trial of a search: a `minimize` run (or one per cross-validation fold)
that records what it raised instead of raising it, so a search goes on.

`Trials` holds what every trial of a search shares and is the task the
workers run; `Trial` is what differs. Both are plain picklable data, so a
trial runs the same in this process, a process pool or a Dask worker, and
gives the same result.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
from scipy.optimize import OptimizeResult

from .._front.minimize import minimize
from .._front.objective import Objective
from .._front.status import Status

__all__ = ["Trial", "TrialOutcome", "Trials", "error_result", "failed", "run_trial"]


@dataclass(frozen=True)
class Trial:
    """What one trial runs: a start, a method and its options."""

    x0: np.ndarray
    method: str
    options: dict[str, Any]


@dataclass
class TrialOutcome:
    """A trial's runs (one per fold, else one), the objective on each fold's
    held-out rows (empty without folds), and its wall time in seconds. A run
    that raised is a result with status `Status.ERROR`, and ends the trial."""

    results: list[OptimizeResult]
    held_out: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return any(failed(result) for result in self.results)


def failed(result: OptimizeResult) -> bool:
    """Whether a run raised or went non-finite: its iterate says nothing of its
    options' merit."""
    return result.status in (Status.ERROR, Status.NONFINITE)


@dataclass(frozen=True)
class Trials:
    """The arguments of `minimize` every trial shares; ``folds`` are
    ``(training rows, held-out rows)`` of ``args`` per cross-validation fold.
    Calling it runs one `Trial`."""

    fun: Any
    jac: Any
    args: tuple
    bounds: Any
    callback: Any
    tol: Any
    folds: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None

    def __call__(self, trial: Trial) -> TrialOutcome:
        start = time.perf_counter()
        outcome = TrialOutcome([])
        validation = trial.options.get("validation")
        if isinstance(validation, tuple):
            trial = Trial(
                trial.x0, trial.method, {**trial.options, "validation": aligned(validation)}
            )
        # A run that overflows stops with status 5; NumPy's warnings on the way would only
        # repeat that, and would be errors or not depending on the worker's warning filters.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for training, held_out in self.folds or [(None, None)]:
                result = self._run(trial, self._rows(training))
                outcome.results.append(result)
                if failed(result):
                    break
                if held_out is not None:
                    try:
                        outcome.held_out.append(self._held_out_value(result.x, held_out))
                    except Exception as error:  # noqa: BLE001 - the trial's to record
                        outcome.results.append(error_result(error, result.x))
                        break
        outcome.seconds = time.perf_counter() - start
        return outcome

    def _rows(self, rows: np.ndarray | None) -> tuple:
        args = aligned(self.args)
        return args if rows is None else tuple(array[rows] for array in args)

    def _run(self, trial: Trial, args: tuple) -> OptimizeResult:
        try:
            return minimize(
                self.fun,
                trial.x0,
                args,
                method=trial.method,
                jac=self.jac,
                bounds=self.bounds,
                tol=self.tol,
                callback=self.callback,
                options=trial.options,
            )
        except Exception as error:  # noqa: BLE001 - every error is the trial's to record
            return error_result(error, trial.x0)

    def _held_out_value(self, x: np.ndarray, rows: np.ndarray) -> float:
        # value() only asks whether fun returns its gradient too.
        objective = Objective(self.fun, True if self.jac is True else "2-point", (), None)
        return objective.value(x, self._rows(rows))


def aligned(data: tuple) -> tuple:
    """``data`` with each array (dense or sparse) whose memory NumPy marks
    unaligned replaced by an aligned copy. Engines such as Dask may unpack an
    array at any byte offset, and NumPy computes on unaligned data with other
    loops than BLAS, whose sums can differ in the last bits: without this, a
    trial's iterates would depend on the engine that ran it."""
    return tuple(_aligned(item) for item in data)


def _aligned(item: Any) -> Any:
    if isinstance(item, np.ndarray):
        return item if item.flags.aligned else np.array(item, copy=True)
    if scipy.sparse.issparse(item):
        parts = [getattr(item, name, None) for name in ("data", "indices", "indptr", "row", "col")]
        if any(isinstance(part, np.ndarray) and not part.flags.aligned for part in parts):
            return item.copy()
    return item


def run_trial(pair: tuple[Trials, Trial]) -> TrialOutcome:
    """Run ``trial`` with ``trials``: the task for searches whose trials do not
    all share one objective (`rmsopt.compare`'s problems)."""
    trials, trial = pair
    return trials(trial)


def error_result(error: Exception, x: Any) -> OptimizeResult:
    """The record of a run that raised ``error``, at the iterate ``x`` it had."""
    return OptimizeResult(
        x=np.array(x, copy=True),
        fun=np.nan,
        nit=0,
        status=int(Status.ERROR),
        success=False,
        message=Status.ERROR.message,
        error=f"{type(error).__name__}: {error}",
        traceback="".join(traceback.format_exception(error)),
    )
