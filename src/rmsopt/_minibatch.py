"""Minibatch mode of `minimize`: the batches, the validation objective, and
the run of the native minibatch loop.

With ``batch_size`` every element of ``args`` is per-sample data, sliced
along axis 0; with ``batches`` the user makes the batches. Runs end after
``epochs`` passes, at ``maxiter``/``maxfev``, by early stopping, or on a
non-finite step, and with a ``validation`` objective they return the best
validated iterate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import scipy.sparse
from scipy.optimize import OptimizeWarning

from . import _minibatch_driver
from ._errors import argument, invalid
from ._method import Method
from ._objective import Objective, as_scalar
from ._warn import warn

__all__ = ["SampleBatches", "UserBatches", "is_minibatch", "run_minibatches"]

# Tests that judge a full objective: on minibatch values and gradients they would stop at random.
_UNUSED_TESTS = ("gtol", "ftol", "xtol")
_NO_LIMIT = 2**63 - 1


def is_minibatch(settings: Mapping[str, Any]) -> bool:
    return settings["batch_size"] is not None or settings["batches"] is not None


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
        self.data = _sample_arrays(data)
        self.n_samples = self.data[0].shape[0]
        if batch_size > self.n_samples:
            accepted = (
                f"an integer in the range [1, {self.n_samples}] (the number of samples in 'args')"
            )
            raise invalid(ValueError, subject, accepted, repr(batch_size))
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng

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
        self.passes = 0
        self.last: tuple | None = None

    @property
    def full(self) -> tuple:
        """No whole data set exists: the last batch stands in for it."""
        return self.last

    def epoch(self) -> Iterator[tuple]:
        self.passes += 1
        count = 0
        for batch in self.batches:
            count += 1
            self.last = batch if isinstance(batch, tuple) else (batch,)
            yield self.last
        if count == 0 and self.passes == 1:
            raise invalid(ValueError, self.subject, "an iterable that yields batches", "none")
        if count == 0:
            warn(
                f"The 'batches' iterable yielded no batch in epoch {self.passes}; the run ends "
                f"after {self.passes - 1} epochs. Pass a re-iterable to run several epochs.",
                RuntimeWarning,
            )


def _sample_arrays(data: tuple) -> tuple:
    """``args`` as arrays with samples along axis 0 and one sample count."""
    subject = argument("args")
    if not data:
        raise invalid(ValueError, subject, "the per-sample data when 'batch_size' is set", "()")
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
                "arrays with samples along axis 0 when 'batch_size' is set (pass constants "
                "through a closure or functools.partial)",
                f"args[{index}] = {item!r}",
            )
        arrays.append(array)
    counts = [array.shape[0] for array in arrays]
    if len(set(counts)) > 1:
        raise invalid(
            ValueError,
            subject,
            "arrays with the same number of samples (length of axis 0) when 'batch_size' is set",
            "lengths " + ", ".join(str(count) for count in counts),
        )
    return tuple(arrays)


def _validator(validation: Any, objective: Objective) -> Callable[[np.ndarray], float] | None:
    if validation is None:
        return None
    if callable(validation):

        def call_validation(x: np.ndarray) -> float:
            return as_scalar(validation(x.copy()), "The value returned by 'validation'")

        return call_validation

    def held_out_value(x: np.ndarray) -> float:
        return objective.value(x, validation)

    return held_out_value


def run_minibatches(
    method: Method,
    settings: Mapping[str, Any],
    given: Mapping[str, Any],
    objective: Objective,
    x: np.ndarray,
    state: np.ndarray,
    steps_taken: int,
    kernel_arguments: Mapping[str, Any],
    callback: Any,
    callback_needs_value: bool,
    allvecs: list | None,
) -> dict[str, Any]:
    """Run minibatch mode; return the result's fields."""
    unused = [name for name in _UNUSED_TESTS if name in given]
    if unused:
        warn(
            f"Options {', '.join(unused)} of method {method.name!r} are not used with "
            "minibatches: runs end after 'epochs', at maxiter or maxfev, or by early stopping.",
            OptimizeWarning,
        )
    if settings["batch_size"] is not None:
        rng = np.random.default_rng(settings["seed"])
        batches = SampleBatches(
            objective.args,
            settings["batch_size"],
            settings["shuffle"],
            rng,
            method.subject("batch_size"),
        )
    else:
        batches = UserBatches(settings["batches"], settings["epochs"], method.subject("batches"))

    status, nit, epochs, x_last, state_last, history, best = _minibatch_driver.run(
        method.make_kernel(settings),
        x,
        state,
        objective,
        batches,
        steps_taken=steps_taken,
        callback=callback,
        need_value=callback_needs_value,
        epochs=settings["epochs"],
        maxiter=settings["maxiter"] if "maxiter" in given else _NO_LIMIT,
        maxfev=settings["maxfev"] or 0,
        validate=_validator(settings["validation"], objective),
        patience=settings["patience"] or 0,
        min_delta=settings["min_delta"],
        allvecs=allvecs,
        **kernel_arguments,
    )
    fields: dict[str, Any] = {"status": status, "nit": nit, "epochs": epochs}
    if best is None:
        fields.update(x=x_last, state=state_last, steps=steps_taken + nit)
    else:
        best_epoch, best_nit, x_best, state_best = best
        fields.update(x=x_best, state=state_best, steps=steps_taken + best_nit)
        fields.update(best_epoch=best_epoch, val_fun=history[best_epoch - 1])
    if settings["validation"] is not None:
        fields["val_history"] = history
    fields["full_args"] = batches.full
    return fields
