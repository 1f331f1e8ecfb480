"""The constraints of options and parameters: small objects that check a
value and describe what they accept, in the template of ``errors``::

    The 'rho' option of method 'rmsprop' must be a float in the range [0, 1). Got 1.5 instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import invalid, summary

__all__ = [
    "HISTORY_GROUPS",
    "BatchIterable",
    "CallableOrNone",
    "Choice",
    "Constraint",
    "Flag",
    "HistorySelection",
    "Integer",
    "RateOrSchedule",
    "Real",
    "Reals",
    "Seed",
    "Shape",
    "StateMapping",
    "Validation",
]

# Iteration counts reach the native driver as C ssize_t.
_LARGEST_COUNT = 2**63 - 1


def _invalid(error: type[Exception], subject: str, accepted: str, value: Any) -> Exception:
    return invalid(error, subject, accepted, summary(value))


def _is_real_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Real:
    """A real number in an interval (``inf`` bounds are open), or ``None`` when
    ``none_ok``."""

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = True
    high_closed: bool = False
    none_ok: bool = False

    def describe(self) -> str:
        left = "[" if self.low_closed and math.isfinite(self.low) else "("
        right = "]" if self.high_closed and math.isfinite(self.high) else ")"
        text = f"a float in the range {left}{_number(self.low)}, {_number(self.high)}{right}"
        return text + " or None" if self.none_ok else text

    def check(self, value: Any, subject: str) -> float | None:
        if value is None and self.none_ok:
            return None
        if not _is_real_number(value):
            raise _invalid(TypeError, subject, self.describe(), value)
        try:
            number = float(value)
        except OverflowError:
            raise _invalid(ValueError, subject, self.describe(), value) from None
        # An infinite bound is open whatever low_closed/high_closed say, as describe() shows.
        above = (
            number >= self.low
            if self.low_closed and math.isfinite(self.low)
            else (number > self.low)
        )
        below = (
            number <= self.high
            if self.high_closed and math.isfinite(self.high)
            else (number < self.high)
        )
        if not (above and below and not math.isnan(number)):
            raise _invalid(ValueError, subject, self.describe(), value)
        return number


@dataclass(frozen=True)
class Integer:
    """An integer in ``[low, high]`` (``high`` defaults to 2**63 - 1), or
    ``None`` when ``none_ok``. As SciPy's counts, an integral float (``1e4``) is
    accepted; booleans are not."""

    low: int = 0
    none_ok: bool = False
    high: int | None = None

    def describe(self) -> str:
        high = "2**63 - 1" if self.high is None else str(self.high)
        text = f"an integer in the range [{self.low}, {high}]"
        return text + " or None" if self.none_ok else text

    def check(self, value: Any, subject: str) -> int | None:
        if value is None and self.none_ok:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise _invalid(TypeError, subject, self.describe(), value)
        count = value
        if not isinstance(value, numbers.Integral):
            number = float(value)
            if not number.is_integer():  # 1.5, nan and inf are not counts
                raise _invalid(ValueError, subject, self.describe(), value)
            count = int(number)
        if not self.low <= count <= (_LARGEST_COUNT if self.high is None else self.high):
            raise _invalid(ValueError, subject, self.describe(), value)
        return int(count)


@dataclass(frozen=True)
class Flag:
    """A boolean: ``True`` or ``False`` (NumPy booleans included) or, as SciPy's
    flags, the integers 0 and 1; or ``None`` when ``none_ok``; or one of the
    strings ``also`` (a third setting, such as Adam's ``amsgrad="optax"``)."""

    none_ok: bool = False
    also: tuple[str, ...] = ()

    def describe(self) -> str:
        text = "a bool (True or False, or 0 or 1)"
        text += "".join(f" or {choice!r}" for choice in self.also)
        return text + " or None" if self.none_ok else text

    def check(self, value: Any, subject: str) -> bool | str | None:
        if value is None and self.none_ok:
            return None
        if isinstance(value, str) and value in self.also:
            return value
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if not isinstance(value, numbers.Integral):
            raise _invalid(TypeError, subject, self.describe(), value)
        if value not in (0, 1):
            raise _invalid(ValueError, subject, self.describe(), value)
        return bool(value)


@dataclass(frozen=True)
class Choice:
    """One of a few strings, or ``None`` when ``none_ok``."""

    choices: tuple[str, ...]
    none_ok: bool = False

    def describe(self) -> str:
        text = "one of " + ", ".join(repr(choice) for choice in self.choices)
        return text + " or None" if self.none_ok else text

    def check(self, value: Any, subject: str) -> str | None:
        if value is None and self.none_ok:
            return None
        if not isinstance(value, str):
            raise _invalid(TypeError, subject, self.describe(), value)
        if value not in self.choices:
            raise _invalid(ValueError, subject, self.describe(), value)
        return value


@dataclass(frozen=True)
class Shape:
    """The shape a whole-array method reads ``x`` as: a tuple of positive integers with
    ``min_dims`` to ``max_dims`` entries, the last two at least ``smallest``; or ``None``."""

    min_dims: int = 2
    max_dims: int | None = None
    smallest: int = 1
    none_ok: bool = True

    def describe(self) -> str:
        if self.max_dims == self.min_dims:
            count = f"{self.min_dims} positive integers"
        else:
            count = f"at least {self.min_dims} positive integers"
        text = f"a tuple of {count}"
        if self.smallest > 1:
            text += f", the last two at least {self.smallest}"
        return text + " or None" if self.none_ok else text

    def check(self, value: Any, subject: str) -> tuple[int, ...] | None:
        if value is None and self.none_ok:
            return None
        if not isinstance(value, (tuple, list)) or not all(
            isinstance(size, numbers.Integral) and not isinstance(size, (bool, np.bool_))
            for size in value
        ):
            raise _invalid(TypeError, subject, self.describe(), value)
        shape = tuple(int(size) for size in value)
        too_many = self.max_dims is not None and len(shape) > self.max_dims
        if (
            len(shape) < self.min_dims
            or too_many
            or min(shape, default=0) < 1
            or min(shape[-2:], default=0) < self.smallest
        ):
            raise _invalid(ValueError, subject, self.describe(), value)
        return shape


@dataclass(frozen=True)
class Reals:
    """A tuple of ``count`` finite real numbers (a list is taken as one)."""

    count: int

    def describe(self) -> str:
        return f"a tuple of {self.count} finite floats"

    def check(self, value: Any, subject: str) -> tuple[float, ...]:
        if not isinstance(value, (tuple, list)) or not all(_is_real_number(v) for v in value):
            raise _invalid(TypeError, subject, self.describe(), value)
        numbers_ = tuple(float(v) for v in value)
        if len(numbers_) != self.count or not all(math.isfinite(v) for v in numbers_):
            raise _invalid(ValueError, subject, self.describe(), value)
        return numbers_


@dataclass(frozen=True)
class RateOrSchedule:
    """A positive float, or a schedule: a callable ``t -> rate`` evaluated once
    per step with the number of steps taken before it (see `rmsopt.schedules`);
    or ``None`` (the default rate) when ``none_ok``."""

    none_ok: bool = False

    def describe(self) -> str:
        text = "a float in the range (0, inf) or a schedule (a callable t -> learning rate)"
        return f"{text}, or None" if self.none_ok else text

    def check(self, value: Any, subject: str) -> float | Callable[[int], float] | None:
        if callable(value) or (value is None and self.none_ok):
            return value
        try:
            return Real(0, low_closed=False).check(value, subject)
        except (TypeError, ValueError) as error:
            raise _invalid(type(error), subject, self.describe(), value) from None


@dataclass(frozen=True)
class StateMapping:
    """A mapping of an optimizer's state (``res.state`` or ``state_dict()``),
    or ``None``; its contents are checked against the run by ``_state``."""

    def describe(self) -> str:
        return "a dict returned as `res.state` or by `state_dict()`, or None"

    def check(self, value: Any, subject: str) -> Mapping[str, Any] | None:
        if value is None or isinstance(value, Mapping):
            return value
        raise _invalid(TypeError, subject, self.describe(), value)


@dataclass(frozen=True)
class BatchIterable:
    """An iterable of minibatches (each a tuple of ``args``, or one array),
    or ``None``; its batches are checked as they arrive."""

    def describe(self) -> str:
        return "an iterable of batches (each a tuple of args for `fun`, or one array), or None"

    def check(self, value: Any, subject: str) -> Any:
        if value is None:
            return None
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise _invalid(TypeError, subject, self.describe(), value)
        return value


@dataclass(frozen=True)
class Seed:
    """Anything `numpy.random.default_rng` accepts: None, a non-negative int,
    a `SeedSequence`, a `BitGenerator` or a `Generator`."""

    def describe(self) -> str:
        return "None, a non-negative int, a numpy.random.SeedSequence, BitGenerator or Generator"

    def check(self, value: Any, subject: str) -> Any:
        if isinstance(value, (bool, np.bool_)):
            raise _invalid(TypeError, subject, self.describe(), value)
        accepted_types = (
            numbers.Integral,
            np.random.SeedSequence,
            np.random.BitGenerator,
            np.random.Generator,
        )
        if value is not None and not isinstance(value, accepted_types):
            raise _invalid(TypeError, subject, self.describe(), value)
        if isinstance(value, numbers.Integral) and value < 0:
            raise _invalid(ValueError, subject, self.describe(), value)
        return value


@dataclass(frozen=True)
class CallableOrNone:
    """A callable, or ``None``."""

    def describe(self) -> str:
        return "a callable or None"

    def check(self, value: Any, subject: str) -> Callable[..., Any] | None:
        if value is None or callable(value):
            return value
        raise _invalid(TypeError, subject, self.describe(), value)


@dataclass(frozen=True)
class Validation:
    """Held-out data for ``fun`` (a tuple of arrays used in place of ``args``),
    a callable ``validation(x) -> float``, or ``None``."""

    def describe(self) -> str:
        return (
            "a tuple of arrays passed to `fun` in place of `args` (held-out data), "
            "a callable validation(x) -> float, or None"
        )

    def check(self, value: Any, subject: str) -> tuple | Callable[..., Any] | None:
        if value is None or callable(value) or isinstance(value, tuple):
            return value
        raise _invalid(TypeError, subject, self.describe(), value)


HISTORY_GROUPS = ("fun", "grad_norm", "step_norm", "learning_rate", "step_size", "v")


@dataclass(frozen=True)
class HistorySelection:
    """False, True (every group), or a sequence of names from ``HISTORY_GROUPS``;
    checked into False or the tuple of the groups to record."""

    def describe(self) -> str:
        return "a bool, or a list of names among " + ", ".join(map(repr, HISTORY_GROUPS))

    def check(self, value: Any, subject: str) -> tuple[str, ...] | bool:
        if isinstance(value, (bool, np.bool_)):
            return HISTORY_GROUPS if value else False
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise _invalid(TypeError, subject, self.describe(), value)
        unknown = [name for name in value if name not in HISTORY_GROUPS]
        if unknown or not value:
            raise _invalid(ValueError, subject, self.describe(), value)
        return tuple(name for name in HISTORY_GROUPS if name in value)


def _number(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:g}"


Constraint = (
    Real
    | Integer
    | Flag
    | Choice
    | RateOrSchedule
    | StateMapping
    | BatchIterable
    | Seed
    | Validation
    | HistorySelection
)
