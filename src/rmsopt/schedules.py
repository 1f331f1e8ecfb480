"""Learning-rate schedules for the ``learning_rate`` option of every method.

The ``learning_rate`` option accepts a float or a schedule: any callable
``schedule(t) -> float``, where ``t`` is the number of optimizer steps already
taken (0 for the first step, as in optax and Keras's ``LearningRateSchedule``).
The optimizer calls it once per iteration and checks what it returns with
`validated_rate`.

The built-in schedules are small frozen dataclasses: they validate their
parameters when made, compare equal when their parameters are equal, print
as their parameters and pickle. Each is available under its class name and
under a lower-case factory name:

================================  ================================================
``constant(value)``               ``value``
``exponential_decay(...)``        ``initial * decay_rate ** (t / decay_steps)``
``step_decay(...)``               ``initial * gamma ** (t // step_size)``
``inverse_time_decay(...)``       ``initial / (1 + decay_rate * t / decay_steps)``
``cosine_decay(...)``             cosine from ``initial`` to ``alpha * initial``
``linear_warmup(after, ...)``     linear ramp up to ``after(0)``, then ``after``
================================  ================================================

`linear_warmup` wraps any schedule, built-in or user-written:

>>> from rmsopt.schedules import cosine_decay, linear_warmup
>>> schedule = linear_warmup(cosine_decay(1e-2, decay_steps=1000), warmup_steps=100)
>>> schedule(0), schedule(50), schedule(100), schedule(1100)
(0.0, 0.005, 0.01, 0.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks.constraints import Flag, Integer, Real
from ._checks.errors import invalid

__all__ = [
    "Constant",
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LinearWarmup",
    "StepDecay",
    "constant",
    "cosine_decay",
    "exponential_decay",
    "inverse_time_decay",
    "linear_warmup",
    "step_decay",
    "validated_rate",
]

_POSITIVE_RATE = Real(0, low_closed=False)
_NONNEGATIVE_RATE = Real(0)
_POSITIVE_FACTOR = Real(0, 1, low_closed=False, high_closed=True)
_FRACTION = Real(0, 1, high_closed=True)
_STEP_COUNT = Integer(1)
_STEP = Integer(0)
_FLAG = Flag()

_AFTER_ACCEPTED = "a float in the range (0, inf) or a schedule (a callable t -> learning rate)"


def validated_rate(value: Any, t: int) -> float:
    """Check what a learning-rate schedule returned at step ``t``.

    Parameters
    ----------
    value : Any
        The schedule's return value.
    t : int
        The step the schedule was called with.

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans, strings, arrays and
        ``None`` are not; NumPy scalars such as ``np.float32`` are).
    ValueError
        If ``value`` is NaN, infinite or negative.

    Examples
    --------
    >>> from rmsopt.schedules import validated_rate
    >>> validated_rate(0.1, 3)
    0.1
    >>> validated_rate(-0.1, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The learning-rate schedule returned -0.1 at step 3; it must return a finite ...
    """
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(_bad_rate_message(value, t))
    try:
        rate = float(value)
    except OverflowError:
        raise ValueError(_bad_rate_message(value, t)) from None
    if not (math.isfinite(rate) and rate >= 0.0):
        raise ValueError(_bad_rate_message(value, t))
    return rate


def _bad_rate_message(value: Any, t: int) -> str:
    return (
        f"The learning-rate schedule returned {value!r} at step {t}; "
        "it must return a finite float >= 0."
    )


def _parameter(factory: str, name: str) -> str:
    return f"The {name!r} parameter of {factory}"


def _set(schedule: Any, name: str, value: Any) -> None:
    """Store a validated, normalised parameter on a frozen dataclass."""
    object.__setattr__(schedule, name, value)


def _validate(schedule: Any, factory: str, **constraints: Real | Integer | Flag) -> None:
    """Check each named parameter of ``schedule`` and store it normalised (float, int, bool)."""
    for name, constraint in constraints.items():
        _set(schedule, name, constraint.check(getattr(schedule, name), _parameter(factory, name)))


def _progress(t: int, decay_steps: int, staircase: bool) -> float:
    """``t / decay_steps``, floored (exactly, in integers) with ``staircase``."""
    return t // decay_steps if staircase else t / decay_steps


def _step(factory: str, t: Any) -> int:
    return _STEP.check(t, f"The step 't' passed to {factory}")


@dataclass(frozen=True)
class Constant:
    """The same learning rate at every step.

    The rate at step ``t`` is ``value``. Matches optax ``constant_schedule``
    and a plain float learning rate.

    Parameters
    ----------
    value : float
        The rate, in ``(0, inf)``, as for a float ``learning_rate``.

    Examples
    --------
    >>> from rmsopt.schedules import constant
    >>> constant(0.01)(500)
    0.01
    """

    value: float

    def __post_init__(self) -> None:
        _validate(self, "constant", value=_POSITIVE_RATE)

    def __call__(self, t: int) -> float:
        _step("constant", t)
        return self.value


@dataclass(frozen=True)
class ExponentialDecay:
    """A learning rate multiplied by ``decay_rate`` every ``decay_steps`` steps.

    The rate at step ``t`` is::

        initial * decay_rate ** (t / decay_steps)

    with ``t / decay_steps`` replaced by ``t // decay_steps`` when
    ``staircase``. Matches Keras ``ExponentialDecay`` and optax
    ``exponential_decay(initial, decay_steps, decay_rate, staircase=staircase)``
    with no ``transition_begin`` and no ``end_value``; with ``decay_steps=1`` it
    is torch ``ExponentialLR(gamma=decay_rate)`` stepped once per iteration.

    Parameters
    ----------
    initial : float
        The rate at ``t = 0``, in ``(0, inf)``.
    decay_rate : float
        The factor applied per ``decay_steps`` steps, in ``(0, 1]``; growth
        (a factor above 1) would overflow and is left to a user schedule.
    decay_steps : int
        The number of steps over which the rate is multiplied by
        ``decay_rate``, at least 1.
    staircase : bool, default False
        Decay in whole multiples of ``decay_rate`` at every ``decay_steps``-th
        step instead of continuously.

    Examples
    --------
    >>> from rmsopt.schedules import exponential_decay
    >>> schedule = exponential_decay(1.0, decay_rate=0.5, decay_steps=10)
    >>> schedule(0), schedule(10), schedule(20)
    (1.0, 0.5, 0.25)
    >>> exponential_decay(1.0, 0.5, 10, staircase=True)(19)
    0.5
    """

    initial: float
    decay_rate: float
    decay_steps: int
    staircase: bool = False

    def __post_init__(self) -> None:
        _validate(
            self,
            "exponential_decay",
            initial=_POSITIVE_RATE,
            decay_rate=_POSITIVE_FACTOR,
            decay_steps=_STEP_COUNT,
            staircase=_FLAG,
        )

    def __call__(self, t: int) -> float:
        t = _step("exponential_decay", t)
        return self.initial * self.decay_rate ** _progress(t, self.decay_steps, self.staircase)


@dataclass(frozen=True)
class StepDecay:
    """A learning rate multiplied by ``gamma`` once every ``step_size`` steps.

    The rate at step ``t`` is::

        initial * gamma ** (t // step_size)

    Matches torch ``StepLR(step_size, gamma)`` with ``scheduler.step()`` called
    after every optimizer step (torch counts in epochs; here every count is a
    step). It equals ``exponential_decay(initial, gamma, step_size,
    staircase=True)``.

    Parameters
    ----------
    initial : float
        The rate for the first ``step_size`` steps, in ``(0, inf)``.
    step_size : int
        The number of steps between two decays, at least 1.
    gamma : float, default 0.1
        The factor applied at each decay, in ``(0, 1]``.

    Examples
    --------
    >>> from rmsopt.schedules import step_decay
    >>> schedule = step_decay(1.0, step_size=100, gamma=0.5)
    >>> schedule(99), schedule(100), schedule(250)
    (1.0, 0.5, 0.25)
    """

    initial: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _validate(
            self,
            "step_decay",
            initial=_POSITIVE_RATE,
            step_size=_STEP_COUNT,
            gamma=_POSITIVE_FACTOR,
        )

    def __call__(self, t: int) -> float:
        t = _step("step_decay", t)
        return self.initial * self.gamma ** (t // self.step_size)


@dataclass(frozen=True)
class InverseTimeDecay:
    """A learning rate decaying as the inverse of the step count.

    The rate at step ``t`` is::

        initial / (1 + decay_rate * (t / decay_steps))

    with ``t / decay_steps`` replaced by ``t // decay_steps`` when
    ``staircase``. Matches Keras ``InverseTimeDecay`` (and TensorFlow 1's
    ``tf.train.inverse_time_decay``).

    Parameters
    ----------
    initial : float
        The rate at ``t = 0``, in ``(0, inf)``.
    decay_rate : float
        How fast the rate falls, in ``(0, inf)``: after ``decay_steps`` steps
        it is ``initial / (1 + decay_rate)``.
    decay_steps : int
        The unit of ``t`` in the formula, at least 1.
    staircase : bool, default False
        Decay only at every ``decay_steps``-th step instead of continuously.

    Examples
    --------
    >>> from rmsopt.schedules import inverse_time_decay
    >>> schedule = inverse_time_decay(1.0, decay_rate=1.0, decay_steps=10)
    >>> schedule(0), schedule(10), schedule(30)
    (1.0, 0.5, 0.25)
    """

    initial: float
    decay_rate: float
    decay_steps: int
    staircase: bool = False

    def __post_init__(self) -> None:
        _validate(
            self,
            "inverse_time_decay",
            initial=_POSITIVE_RATE,
            decay_rate=_POSITIVE_RATE,
            decay_steps=_STEP_COUNT,
            staircase=_FLAG,
        )

    def __call__(self, t: int) -> float:
        t = _step("inverse_time_decay", t)
        progress = _progress(t, self.decay_steps, self.staircase)
        return self.initial / (1.0 + self.decay_rate * progress)


@dataclass(frozen=True)
class CosineDecay:
    """A learning rate falling along half a cosine, then held at its floor.

    With ``u = min(t, decay_steps) / decay_steps``, the rate at step ``t`` is::

        initial * ((1 - alpha) * 0.5 * (1 + cos(pi * u)) + alpha)

    It falls from ``initial`` at ``t = 0`` to exactly ``alpha * initial`` at
    ``t = decay_steps`` and stays there. Matches Keras ``CosineDecay`` (without
    its warmup arguments) and optax ``cosine_decay_schedule(initial,
    decay_steps, alpha)``; up to ``t = decay_steps`` it is also torch
    ``CosineAnnealingLR(T_max=decay_steps, eta_min=alpha * initial)``, which
    rises again afterwards where this one does not.

    Parameters
    ----------
    initial : float
        The rate at ``t = 0``, in ``(0, inf)``.
    decay_steps : int
        The number of steps to reach the floor, at least 1.
    alpha : float, default 0.0
        The floor as a fraction of ``initial``, in ``[0, 1]``.

    Examples
    --------
    >>> from rmsopt.schedules import cosine_decay
    >>> schedule = cosine_decay(1.0, decay_steps=100, alpha=0.1)
    >>> schedule(0), schedule(50), schedule(100), schedule(10**6)
    (1.0, 0.55, 0.1, 0.1)
    """

    initial: float
    decay_steps: int
    alpha: float = 0.0

    def __post_init__(self) -> None:
        _validate(
            self,
            "cosine_decay",
            initial=_POSITIVE_RATE,
            decay_steps=_STEP_COUNT,
            alpha=_FRACTION,
        )

    def __call__(self, t: int) -> float:
        t = _step("cosine_decay", t)
        completed = min(t, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * completed))
        return self.initial * ((1.0 - self.alpha) * cosine + self.alpha)


@dataclass(frozen=True)
class LinearWarmup:
    """A linear warmup in front of another schedule.

    For ``t < warmup_steps`` the rate at step ``t`` is::

        initial + (after(0) - initial) * (t / warmup_steps)

    and from ``t = warmup_steps`` on it is ``after(t - warmup_steps)``: the
    ramp ends exactly where ``after`` starts, and ``after`` then runs on its
    own clock. Matches optax ``join_schedules([linear_schedule(initial,
    after(0), warmup_steps), after], [warmup_steps])``. In particular optax
    ``warmup_cosine_decay_schedule(initial, peak, warmup_steps, decay_steps,
    end)`` is ``linear_warmup(cosine_decay(peak, decay_steps - warmup_steps,
    alpha=end / peak), warmup_steps, initial)``.

    Parameters
    ----------
    after : float or callable
        The schedule to warm up into: a float in ``(0, inf)``, which is stored
        as ``constant(after)``, or any schedule ``after(t) -> float``, built-in
        or user-written. ``after(0)`` is called at every warmup step and must
        return a finite float >= 0 (see `validated_rate`).
    warmup_steps : int
        The length of the ramp, at least 0; 0 means no warmup at all.
    initial : float, default 0.0
        The rate at ``t = 0``, in ``[0, inf)``. It may exceed ``after(0)``, in
        which case the ramp goes down.

    Examples
    --------
    >>> from rmsopt.schedules import linear_warmup
    >>> schedule = linear_warmup(0.5, warmup_steps=4)
    >>> [schedule(t) for t in range(6)]
    [0.0, 0.125, 0.25, 0.375, 0.5, 0.5]
    >>> schedule
    LinearWarmup(after=Constant(value=0.5), warmup_steps=4, initial=0.0)
    >>> halving = linear_warmup(lambda t: 0.5**t, warmup_steps=2)
    >>> [halving(t) for t in range(5)]
    [0.0, 0.5, 1.0, 0.5, 0.25]
    """

    after: float | Callable[[int], float]
    warmup_steps: int
    initial: float = 0.0

    def __post_init__(self) -> None:
        subject = _parameter("linear_warmup", "after")
        if isinstance(self.after, numbers.Real) and not isinstance(self.after, (bool, np.bool_)):
            try:
                _set(self, "after", Constant(self.after))
            except ValueError:
                raise invalid(ValueError, subject, _AFTER_ACCEPTED, repr(self.after)) from None
        elif not callable(self.after):
            raise invalid(TypeError, subject, _AFTER_ACCEPTED, repr(self.after))
        _validate(self, "linear_warmup", warmup_steps=_STEP, initial=_NONNEGATIVE_RATE)

    def __call__(self, t: int) -> float:
        t = _step("linear_warmup", t)
        if t >= self.warmup_steps:
            return self.after(t - self.warmup_steps)
        target = validated_rate(self.after(0), 0)
        return self.initial + (target - self.initial) * (t / self.warmup_steps)


constant = Constant
exponential_decay = ExponentialDecay
step_decay = StepDecay
inverse_time_decay = InverseTimeDecay
cosine_decay = CosineDecay
linear_warmup = LinearWarmup
