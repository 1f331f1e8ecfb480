"""Minibatch mode of `minimize`: the batches, the validation objective, and
the run of the native minibatch loop.

With ``batch_size`` every element of ``args`` is per-sample data, sliced
along axis 0; with ``batches`` the user makes the batches. Runs end after
``epochs`` passes, at ``maxiter``/``maxfev``, by early stopping, or on a
non-finite step, and with a ``validation`` objective they return the best
validated iterate.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import scipy.sparse
from scipy.optimize import OptimizeWarning

from . import _minibatch_driver
from ._errors import argument, invalid
from ._method import Method
from ._objective import Objective, as_scalar
from ._run import Run
from ._warn import warn

__all__ = [
    "check_minibatch_options",
    "is_minibatch",
    "make_batches",
    "planned_steps",
    "run_minibatches",
]

# Tests that judge a full objective: on minibatch values and gradients they would stop at random.
_UNUSED_TESTS = ("tol", "gtol", "ftol", "xtol")
_NO_LIMIT = 2**63 - 1


def is_minibatch(settings: Mapping[str, Any]) -> bool:
    return settings["batch_size"] is not None or settings["batches"] is not None


def check_minibatch_options(
    method: Method, settings: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """Refuse minibatch options that do not apply to the run as configured."""

    def refuse(name: str, accepted: str) -> None:
        raise invalid(ValueError, method.subject(name), accepted, repr(settings[name]))

    if settings["batch_size"] is not None and settings["batches"] is not None:
        refuse("batches", "None when 'batch_size' is set (one source of minibatches)")
    if not is_minibatch(settings):
        for name in ("epochs", "shuffle", "seed", "validation"):
            if name in given:
                refuse(name, "left unset unless 'batch_size' or 'batches' is set")
    if settings["batches"] is not None:
        for name in ("shuffle", "seed"):
            if name in given:
                refuse(name, "left unset with 'batches' (you make and order the batches)")
    if settings["validation"] is None:
        if settings["patience"] is not None:
            refuse("patience", "None unless 'validation' is set (it counts validated epochs)")
        if settings["min_delta"] != 0.0:
            refuse("min_delta", "0 unless 'validation' is set")


def make_batches(method: Method, settings: Mapping[str, Any], args: tuple) -> Any:
    """The run's source of minibatches, its arguments checked: `SampleBatches`
    of ``args`` with ``batch_size``, else `UserBatches` of ``batches``."""
    if settings["batch_size"] is not None:
        return SampleBatches(
            args,
            settings["batch_size"],
            settings["shuffle"],
            np.random.default_rng(settings["seed"]),
            method.subject("batch_size"),
        )
    return UserBatches(settings["batches"], settings["epochs"], method.subject("batches"))


def planned_steps(batches: Any, settings: Mapping[str, Any], given: Collection[str]) -> int | None:
    """How many steps the run takes if nothing stops it early, when its passes'
    length is known (for a progress bar)."""
    if not batches.length:
        return None
    planned = settings["epochs"] * batches.length
    return min(planned, settings["maxiter"]) if "maxiter" in given else planned


class SampleBatches:
    """The data ``args`` cut into batches of ``batch_size`` samples along axis 0,
    in a new order every epoch when ``shuffle`` (drawn from ``rng``)."""

    def __init__(
        self,
        data: tuple,
        batch_size: int,
        shuffle: bool,
        rng: np.random.Generator,
        subject: str,
    ) -> None:
        self.data = sample_arrays(data, argument("args"), " when 'batch_size' is set")
        self.n_samples = self.data[0].shape[0]
        if batch_size > self.n_samples:
            accepted = (
                f"an integer in the range [1, {self.n_samples}] (the number of samples in 'args')"
            )
            raise invalid(ValueError, subject, accepted, repr(batch_size))
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self.length = -(-self.n_samples // batch_size)

    @property
    def full(self) -> tuple:
        """The whole data set, for the value and gradient reported at the end."""
        return self.data

    def epoch(self) -> Iterator[tuple]:
        order = self.rng.permutation(self.n_samples) if self.shuffle else None
        for start in range(0, self.n_samples, self.batch_size):
            stop = start + self.batch_size
            if order is None:
                yield tuple(array[start:stop] for array in self.data)
            else:
                rows = order[start:stop]
                yield tuple(array[rows] for array in self.data)


class UserBatches:
    """Batches the user makes: one pass over ``batches`` is an epoch."""

    def __init__(self, batches: Iterable[Any], epochs: int, subject: str) -> None:
        if epochs > 1 and iter(batches) is batches:
            raise invalid(
                ValueError,
                subject,
                "re-iterable (a list, or an object whose __iter__ starts a new pass) when "
                "epochs > 1",
                f"a one-shot iterator ({type(batches).__name__}) with epochs={epochs}",
            )
        self.batches = batches
        self.subject = subject
        # A pass's length when the iterable knows it, so that a run ending with a pass pulls
        # no batch it will not use.
        self.length = len(batches) if hasattr(batches, "__len__") else 0
        self.passes = 0
        self.last: tuple | None = None

    @property
    def full(self) -> tuple:
        """No whole data set exists: the last batch used stands in for it."""
        return self.last

    def epoch(self) -> Iterator[tuple]:
        self.passes += 1
        count = 0
        for batch in self.batches:
            count += 1
            self.last = self._as_args(batch, count)
            yield self.last
        if count == 0 and self.passes == 1:
            raise invalid(ValueError, self.subject, "an iterable that yields batches", "none")
        if count == 0:
            warn(
                f"The 'batches' iterable yielded no batch in epoch {self.passes}; the run ends "
                f"after {self.passes - 1} epochs. Pass a re-iterable to run several epochs.",
                RuntimeWarning,
            )

    def _as_args(self, batch: Any, index: int) -> tuple:
        if isinstance(batch, tuple):
            return batch
        if isinstance(batch, np.ndarray) or scipy.sparse.issparse(batch):
            return (batch,)
        raise invalid(
            TypeError,
            f"Batch {index} of the 'batches' option",
            "a tuple of args for `fun`, or one array",
            f"{type(batch).__name__} {batch!r:.80}",
        )


def sample_arrays(data: Any, subject: str, when: str = "") -> tuple:
    """``data`` as arrays with samples along axis 0 and one sample count;
    ``when`` ends what the messages say is accepted."""
    if not isinstance(data, tuple) or not data:
        raise invalid(ValueError, subject, "the per-sample data" + when, repr(data))
    arrays = []
    for index, item in enumerate(data):
        if scipy.sparse.issparse(item):
            array = item.tocsr()
        elif isinstance(item, np.ndarray):
            array = item
        else:
            try:
                array = np.asarray(item)
            except (TypeError, ValueError):
                array = np.asarray(None)
        if array.ndim == 0:
            raise invalid(
                ValueError,
                subject,
                f"arrays with samples along axis 0{when} (pass constants through a closure "
                "or functools.partial)",
                f"item {index} = {item!r}",
            )
        arrays.append(array)
    counts = [array.shape[0] for array in arrays]
    if len(set(counts)) > 1:
        raise invalid(
            ValueError,
            subject,
            "arrays with the same number of samples (length of axis 0)" + when,
            "lengths " + ", ".join(str(count) for count in counts),
        )
    if counts[0] == 0:
        raise invalid(ValueError, subject, "arrays with at least one sample" + when, "none")
    return tuple(arrays)


def _validator(
    validation: Any, objective: Objective, n_args: int | None, subject: str
) -> Callable[[np.ndarray], float] | None:
    if validation is None:
        return None
    if callable(validation):

        def call_validation(x: np.ndarray) -> float:
            return as_scalar(validation(x.copy()), "The value returned by 'validation'")

        return call_validation

    held_out = sample_arrays(validation, subject)
    if n_args is not None and len(held_out) != n_args:
        accepted = f"a tuple of {n_args} arrays, one per element of 'args'"
        raise invalid(ValueError, subject, accepted, f"a tuple of {len(held_out)}")

    def held_out_value(x: np.ndarray) -> float:
        return objective.value(x, held_out)

    return held_out_value


def run_minibatches(run: Run, given: Collection[str], batches: Any) -> dict[str, Any]:
    """Run minibatch mode on ``batches`` (from `make_batches`); return the
    result's fields. ``given`` names the options (and ``tol``) the user set."""
    method, settings, objective = run.method, run.settings, run.objective
    unused = [name for name in _UNUSED_TESTS if name in given]
    if unused:
        warn(
            f"Options {', '.join(unused)} of method {method.name!r} are not used with "
            "minibatches: runs end after 'epochs', at maxiter or maxfev, or by early stopping.",
            OptimizeWarning,
        )
    n_args = len(batches.data) if isinstance(batches, SampleBatches) else None
    validate = _validator(settings["validation"], objective, n_args, method.subject("validation"))

    status, nit, epochs, x, state, x_nit, history, best_epoch = _minibatch_driver.run(
        method.make_kernel(settings),
        run.x,
        run.state,
        objective,
        batches,
        steps_taken=run.steps_taken,
        callback=run.callback,
        need_value=run.need_value,
        epochs=settings["epochs"],
        maxiter=settings["maxiter"] if "maxiter" in given else _NO_LIMIT,
        maxfev=settings["maxfev"] or 0,
        validate=validate,
        maximize=settings["maximize"],
        patience=settings["patience"] or 0,
        min_delta=settings["min_delta"],
        allvecs=run.allvecs,
        history=run.history,
        **run.step_arguments,
    )
    fields: dict[str, Any] = {
        "status": status,
        "nit": nit,
        "epochs": epochs,
        "x": x,
        "state": state,
        "steps": run.steps_taken + x_nit,
        "full_args": batches.full,
    }
    if validate is not None:
        fields["best_epoch"] = best_epoch
        fields["val_fun"] = None if best_epoch is None else history[best_epoch - 1]
        fields["val_history"] = history
    return fields
