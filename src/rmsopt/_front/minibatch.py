"""Minibatch mode of `minimize`: the options' checks, the batches and the validation
objective (the native loop's `Minibatches` source runs them).

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

from .._checks.errors import argument, invalid, summary
from .._checks.warn import warn
from .._methods.method import Method
from .objective import Objective, as_scalar

__all__ = [
    "check_minibatch_options",
    "is_minibatch",
    "make_batches",
    "sample_arrays",
    "validator",
]


def is_minibatch(settings: Mapping[str, Any]) -> bool:
    return settings["batch_size"] is not None or settings["batches"] is not None


def check_minibatch_options(
    method: Method, settings: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """Refuse minibatch options that do not apply to the run as configured."""

    def refuse(name: str, accepted: str) -> None:
        raise invalid(ValueError, method.subject(name), accepted, summary(settings[name]))

    if settings["batch_size"] is not None and settings["batches"] is not None:
        refuse("batches", "None when 'batch_size' is set (one source of minibatches)")
    if not is_minibatch(settings):
        for name in ("epochs", "shuffle", "seed", "validation", "epoch_callback"):
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
                yield tuple([array[start:stop] for array in self.data])
            else:
                rows = order[start:stop]
                yield tuple([array[rows] for array in self.data])


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


def validator(
    validation: Any, objective: Objective | None, batches: Any, method: Method
) -> Callable[[np.ndarray], float] | None:
    """The ``validation`` option as ``x -> float``: a callable given is called on a copy of
    ``x``; held-out data (a tuple like ``args``, one array per element of the batches' data
    when ``batch_size`` cuts them) is checked now and evaluated with ``fun``."""
    if validation is None:
        return None
    if callable(validation):

        def call_validation(x: np.ndarray) -> float:
            return as_scalar(validation(x.copy()), "The value returned by 'validation'")

        return call_validation

    subject = method.subject("validation")
    held_out = sample_arrays(validation, subject)
    if isinstance(batches, SampleBatches) and len(held_out) != len(batches.data):
        accepted = f"a tuple of {len(batches.data)} arrays, one per element of 'args'"
        raise invalid(ValueError, subject, accepted, f"a tuple of {len(held_out)}")

    def held_out_value(x: np.ndarray) -> float:
        return objective.value(x, held_out)

    return held_out_value
