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
``polynomial(...)``               ``initial * (1 - min(t, total_iters) / total_iters) ** power``
``piecewise_constant(...)``       ``initial * gamma ** (number of milestones <= t)``
``cyclic(...)``                   triangles between ``base_lr`` and ``max_lr``
``one_cycle(...)``                up to ``max_lr`` and down far below the start
``cosine_restarts(...)``          cosines from ``initial`` to ``eta_min``, restarted
``reduce_on_plateau(...)``        ``initial``, cut by ``factor`` when the loss stalls
================================  ================================================

The last six are torch's ``PolynomialLR``, ``MultiStepLR``, ``CyclicLR``,
``OneCycleLR``, ``CosineAnnealingWarmRestarts`` and ``ReduceLROnPlateau``,
step for step: ``schedule(t)`` is ``scheduler.get_last_lr()[0]`` after ``t``
calls of ``scheduler.step()`` on an optimizer made with the first rate.

Every built-in schedule has a class attribute ``needs_loss``. It is False for
all but `ReduceOnPlateau`, whose rate depends on the losses it is shown with
its ``observe(loss)`` method rather than on ``t``; whoever steps a schedule
with ``needs_loss`` true calls ``observe`` with the loss after every step. A
user-written callable without the attribute counts as ``needs_loss = False``.

`linear_warmup` wraps any schedule, built-in or user-written:

>>> from rmsopt.schedules import cosine_decay, linear_warmup
>>> schedule = linear_warmup(cosine_decay(1e-2, decay_steps=1000), warmup_steps=100)
>>> schedule(0), schedule(50), schedule(100), schedule(1100)
(0.0, 0.005, 0.01, 0.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, ClassVar

import numpy as np

from ._checks.constraints import Choice, Flag, Integer, Real
from ._checks.errors import invalid, summary

__all__ = [
    "Constant",
    "CosineDecay",
    "CosineRestarts",
    "Cyclic",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LinearWarmup",
    "OneCycle",
    "PiecewiseConstant",
    "Polynomial",
    "ReduceOnPlateau",
    "StepDecay",
    "constant",
    "cosine_decay",
    "cosine_restarts",
    "cyclic",
    "exponential_decay",
    "inverse_time_decay",
    "linear_warmup",
    "one_cycle",
    "piecewise_constant",
    "polynomial",
    "reduce_on_plateau",
    "step_decay",
    "validated_rate",
]

_POSITIVE_RATE = Real(0, low_closed=False)
_NONNEGATIVE_RATE = Real(0)
_POSITIVE_FACTOR = Real(0, 1, low_closed=False, high_closed=True)
_FRACTION = Real(0, 1, high_closed=True)
_POSITIVE_NUMBER = Real(0, low_closed=False)
_NONNEGATIVE_NUMBER = Real(0)
_BELOW_ONE = Real(0, 1)
_STEP_COUNT = Integer(1)
_STEP = Integer(0)
_COUNT_OR_NONE = Integer(0, none_ok=True)
_FLAG = Flag()
_CYCLIC_MODES = Choice(("triangular", "triangular2", "exp_range"))
_ANNEAL_STRATEGIES = Choice(("cos", "linear"))
_PLATEAU_MODES = Choice(("min", "max"))
_THRESHOLD_MODES = Choice(("rel", "abs"))
_MILESTONES_ACCEPTED = "a sequence of integers in the range [0, 2**63 - 1]"

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


def _validate(schedule: Any, factory: str, **constraints: Real | Integer | Flag | Choice) -> None:
    """Check each named parameter of ``schedule`` and store it normalised (float, int, bool)."""
    for name, constraint in constraints.items():
        _set(schedule, name, constraint.check(getattr(schedule, name), _parameter(factory, name)))


def _progress(t: int, decay_steps: int, staircase: bool) -> float:
    """``t / decay_steps``, floored (exactly, in integers) with ``staircase``."""
    return t // decay_steps if staircase else t / decay_steps


def _step(factory: str, t: Any) -> int:
    return _STEP.check(t, f"The step 't' passed to {factory}")


class _Schedule:
    """What every built-in schedule shares."""

    #: Whether the schedule's rate depends on the losses passed to its ``observe`` method.
    needs_loss: ClassVar[bool] = False


@dataclass(frozen=True)
class Constant(_Schedule):
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
class ExponentialDecay(_Schedule):
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
class StepDecay(_Schedule):
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
class InverseTimeDecay(_Schedule):
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
class CosineDecay(_Schedule):
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
class LinearWarmup(_Schedule):
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
        return a finite float >= 0 (see `validated_rate`). A schedule with
        ``needs_loss`` (`reduce_on_plateau`) is refused: its rate follows the
        losses, not ``t``, so there is nothing to warm up into.
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
        elif getattr(self.after, "needs_loss", False):
            # The warmup would hide the schedule's observe() from whoever feeds it losses.
            accepted = _AFTER_ACCEPTED + " that does not need the loss"
            raise invalid(TypeError, subject, accepted, repr(self.after))
        _validate(self, "linear_warmup", warmup_steps=_STEP, initial=_NONNEGATIVE_RATE)

    def __call__(self, t: int) -> float:
        t = _step("linear_warmup", t)
        if t >= self.warmup_steps:
            return self.after(t - self.warmup_steps)
        target = validated_rate(self.after(0), 0)
        return self.initial + (target - self.initial) * (t / self.warmup_steps)


@dataclass(frozen=True)
class Polynomial(_Schedule):
    """A learning rate falling along a power of the remaining fraction, then zero.

    The rate at step ``t`` is::

        initial * (1 - min(t, total_iters) / total_iters) ** power

    It reaches 0 at ``t = total_iters`` and stays there. Matches torch
    ``PolynomialLR(total_iters, power)`` stepped once per iteration, to
    rounding: torch multiplies the rate by the ratio of two successive values
    of the formula at every step, which can differ from the closed form in the
    last bits.

    Parameters
    ----------
    initial : float
        The rate at ``t = 0``, in ``(0, inf)``.
    total_iters : int, default 5
        The number of steps to reach 0, at least 1.
    power : float, default 1.0
        The exponent, in ``[0, inf)``: 1 is a straight line, above 1 falls
        faster at first, below 1 slower. 0 keeps ``initial`` for good.

    Examples
    --------
    >>> from rmsopt.schedules import polynomial
    >>> schedule = polynomial(1.0, total_iters=4)
    >>> [schedule(t) for t in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    >>> polynomial(1.0, total_iters=4, power=2.0)(2)
    0.25
    """

    initial: float
    total_iters: int = 5
    power: float = 1.0

    def __post_init__(self) -> None:
        _validate(
            self,
            "polynomial",
            initial=_POSITIVE_RATE,
            total_iters=_STEP_COUNT,
            power=_NONNEGATIVE_NUMBER,
        )

    def __call__(self, t: int) -> float:
        t = _step("polynomial", t)
        remaining = 1.0 - min(t, self.total_iters) / self.total_iters
        return self.initial * remaining**self.power


def _milestones(value: Any) -> tuple[int, ...]:
    """The ``milestones`` of `piecewise_constant`, sorted, repeats kept."""
    subject = _parameter("piecewise_constant", "milestones")
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise invalid(TypeError, subject, _MILESTONES_ACCEPTED, summary(value))
    items = list(value)
    checked = []
    for item in items:
        try:
            checked.append(_STEP.check(item, subject))
        except (TypeError, ValueError) as error:
            got = value if isinstance(value, (list, tuple)) else items
            raise invalid(type(error), subject, _MILESTONES_ACCEPTED, repr(got)) from None
    return tuple(sorted(checked))


@dataclass(frozen=True)
class PiecewiseConstant(_Schedule):
    """A learning rate multiplied by ``gamma`` at each of a list of steps.

    The rate at step ``t`` is::

        initial * gamma ** (number of milestones <= t)

    A milestone listed ``k`` times counts ``k`` times: the rate is multiplied by
    ``gamma ** k`` there. Matches torch ``MultiStepLR(milestones, gamma)``
    stepped once per iteration, bit for bit (at each distinct milestone ``m``
    listed ``k`` times, the rate before it is multiplied by ``gamma ** k``, in
    order, as torch does). Like torch it does not mind the order of
    ``milestones``; they are stored sorted. A milestone at 0 decays the rate
    from the first step on, as in torch.

    Parameters
    ----------
    initial : float
        The rate before the first milestone, in ``(0, inf)``.
    milestones : sequence of int
        The steps at which the rate is multiplied by ``gamma``, each in
        ``[0, 2**63 - 1]``, in any order, repeats allowed; may be empty (a
        constant rate).
    gamma : float, default 0.1
        The factor applied at each milestone, in ``(0, 1]``.

    Examples
    --------
    >>> from rmsopt.schedules import piecewise_constant
    >>> schedule = piecewise_constant(1.0, milestones=[3, 5], gamma=0.5)
    >>> [schedule(t) for t in range(7)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    >>> piecewise_constant(1.0, [4, 2, 4], gamma=0.5)
    PiecewiseConstant(initial=1.0, milestones=(2, 4, 4), gamma=0.5)
    >>> piecewise_constant(1.0, [4, 2, 4], gamma=0.5)(4)
    0.125
    """

    initial: float
    milestones: tuple[int, ...]
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _validate(self, "piecewise_constant", initial=_POSITIVE_RATE)
        _set(self, "milestones", _milestones(self.milestones))
        _validate(self, "piecewise_constant", gamma=_POSITIVE_FACTOR)

    def __call__(self, t: int) -> float:
        t = _step("piecewise_constant", t)
        rate = self.initial
        for milestone, repeats in groupby(self.milestones):
            if milestone > t:
                break
            rate *= self.gamma ** sum(1 for _ in repeats)
        return rate


@dataclass(frozen=True)
class Cyclic(_Schedule):
    """A learning rate going up and down between two bounds, in triangles.

    A cycle is ``step_size_up`` steps up from ``base_lr`` towards ``max_lr``
    and ``step_size_down`` steps back. With ``L = step_size_up +
    step_size_down``, ``c = floor(1 + t / L)`` the number of the cycle (from 1),
    ``x = 1 + t / L - c`` the position in it (in ``[0, 1)``) and ``r =
    step_size_up / L``, the rate at step ``t`` is::

        base_lr + (max_lr - base_lr) * h * s
        h = x / r                  if x <= r   (going up)
        h = (x - 1) / (r - 1)      otherwise   (coming down)

    where the amplitude scale ``s`` is 1 for ``mode="triangular"``, ``1 / 2 **
    (c - 1)`` for ``"triangular2"`` (halved every cycle) and ``gamma ** t`` for
    ``"exp_range"``. Matches torch ``CyclicLR(base_lr, max_lr, step_size_up,
    step_size_down, mode, gamma, cycle_momentum=False)`` stepped once per
    iteration, bit for bit, except that past 1024 cycles ``"triangular2"``
    settles on ``base_lr`` where torch's ``2.0 ** (c - 1)`` overflows. For
    torch's ``scale_fn``, write a schedule of your own; momentum cycling has no
    counterpart (it is not a learning rate).

    Parameters
    ----------
    base_lr : float
        The rate at the start of every cycle, in ``[0, inf)``.
    max_lr : float
        The rate the first cycle peaks at, in ``(0, inf)``. It may be below
        ``base_lr``; the triangles then point down.
    step_size_up : int, default 2000
        The number of steps from ``base_lr`` to the peak, at least 1.
    step_size_down : int or None, default None
        The number of steps from the peak back to ``base_lr``, at least 0
        (0 makes a sawtooth); None means ``step_size_up``.
    mode : {"triangular", "triangular2", "exp_range"}, default "triangular"
        How the amplitude shrinks: not at all, by half every cycle, or by
        ``gamma`` every step.
    gamma : float, default 1.0
        The factor of ``"exp_range"``, in ``(0, 1]``; the other modes ignore
        it.

    Examples
    --------
    >>> from rmsopt.schedules import cyclic
    >>> schedule = cyclic(0.0, 1.0, step_size_up=2)
    >>> [schedule(t) for t in range(9)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.5, 1.0, 0.5, 0.0]
    >>> halving = cyclic(0.0, 1.0, step_size_up=2, mode="triangular2")
    >>> [halving(t) for t in range(9)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.25, 0.5, 0.25, 0.0]
    """

    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self) -> None:
        _validate(
            self,
            "cyclic",
            base_lr=_NONNEGATIVE_RATE,
            max_lr=_POSITIVE_RATE,
            step_size_up=_STEP_COUNT,
            step_size_down=_COUNT_OR_NONE,
            mode=_CYCLIC_MODES,
            gamma=_POSITIVE_FACTOR,
        )

    def __call__(self, t: int) -> float:
        t = _step("cyclic", t)
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        length = float(self.step_size_up + down)
        rising = self.step_size_up / length
        # The same floating-point operations as torch, so that the rates agree to the bit.
        progress = 1.0 + t / length
        cycle = math.floor(progress)
        x = progress - cycle
        height = x / rising if x <= rising else (x - 1.0) / (rising - 1.0)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = math.ldexp(1.0, 1 - cycle)  # 1 / 2 ** (cycle - 1), exact, 0 when tiny
        else:
            scale = self.gamma**t
        return self.base_lr + (self.max_lr - self.base_lr) * height * scale


@dataclass(frozen=True)
class OneCycle(_Schedule):
    """The 1cycle policy: up to ``max_lr``, then down to far below the start.

    With ``N = total_steps``, ``p = pct_start``, the start ``s = max_lr /
    div_factor`` and the end ``e = s / final_div_factor``, the rate anneals,
    along ``anneal_strategy``, through the phases

    =================  ===================================  ============
    phase              steps                                rate
    =================  ===================================  ============
    warm               ``0 .. p N - 1``                     ``s`` to ``max_lr``
    anneal             ``p N - 1 .. N - 1``                 ``max_lr`` to ``e``
    =================  ===================================  ============

    or, with ``three_phase``, ``s`` to ``max_lr`` over ``0 .. p N - 1``,
    ``max_lr`` back to ``s`` over ``p N - 1 .. 2 p N - 2`` and ``s`` to ``e``
    over ``2 p N - 2 .. N - 1``. In a phase from step ``a`` to step ``b`` and
    rate ``u`` to rate ``v``, with ``f = (t - a) / (b - a)``, the rate is::

        v + (u - v) / 2 * (cos(pi * f) + 1)     anneal_strategy="cos"
        (v - u) * f + u                         anneal_strategy="linear"

    A step belongs to the first phase whose end it does not pass. Matches torch
    ``OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy,
    div_factor=div_factor, final_div_factor=final_div_factor,
    three_phase=three_phase, cycle_momentum=False)`` stepped once per
    iteration, bit for bit, for ``t < total_steps``. The schedule ends at
    ``t = total_steps - 1`` (at ``e``, unless ``pct_start = 1``); from there on
    the rate stays where it ended. torch instead extrapolates the last phase
    one step further at ``t = total_steps`` (which can give a negative rate
    with ``"linear"``) and raises after that.

    Parameters
    ----------
    max_lr : float
        The peak rate, in ``(0, inf)``.
    total_steps : int
        The length of the cycle in steps, at least 1.
    pct_start : float, default 0.3
        The fraction of ``total_steps`` spent going up, in ``[0, 1]``. It
        cannot be exactly ``1 / total_steps``, which makes the first phase one
        point long (torch divides by zero there).
    anneal_strategy : {"cos", "linear"}, default "cos"
        Cosine or straight-line interpolation within each phase.
    div_factor : float, default 25.0
        ``max_lr / div_factor`` is the first rate, in ``(0, inf)``.
    final_div_factor : float, default 1e4
        The last rate is the first divided by this, in ``(0, inf)``.
    three_phase : bool, default False
        Come back down to the first rate symmetrically before falling to the
        last (the original paper) instead of falling straight from the peak
        (fastai's default).

    Examples
    --------
    >>> from rmsopt.schedules import one_cycle
    >>> schedule = one_cycle(1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear",
    ...                      div_factor=10.0, final_div_factor=10.0)
    >>> [round(schedule(t), 3) for t in range(11)]
    [0.1, 0.325, 0.55, 0.775, 1.0, 0.802, 0.604, 0.406, 0.208, 0.01, 0.01]
    >>> one_cycle(1.0, total_steps=100)(99) == 1.0 / 25.0 / 1e4  # and so on after step 99
    True
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def __post_init__(self) -> None:
        _validate(
            self,
            "one_cycle",
            max_lr=_POSITIVE_RATE,
            total_steps=_STEP_COUNT,
            pct_start=_FRACTION,
            anneal_strategy=_ANNEAL_STRATEGIES,
            div_factor=_POSITIVE_NUMBER,
            final_div_factor=_POSITIVE_NUMBER,
            three_phase=_FLAG,
        )
        if self.pct_start * self.total_steps == 1.0:
            accepted = (
                f"a float in the range [0, 1] other than 1 / total_steps = {1 / self.total_steps:g}"
            )
            raise invalid(
                ValueError, _parameter("one_cycle", "pct_start"), accepted, repr(self.pct_start)
            )

    def _phases(self) -> list[tuple[float, float, float]]:
        """Each phase as (its last step, its first rate, its last rate), in order."""
        first = self.max_lr / self.div_factor
        last = first / self.final_div_factor
        n = self.total_steps
        warm_end = self.pct_start * n - 1
        if not self.three_phase:
            return [(warm_end, first, self.max_lr), (n - 1, self.max_lr, last)]
        return [
            (warm_end, first, self.max_lr),
            (2 * self.pct_start * n - 2, self.max_lr, first),
            (n - 1, first, last),
        ]

    def __call__(self, t: int) -> float:
        t = min(_step("one_cycle", t), self.total_steps - 1)
        *leading, final = self._phases()
        begin = 0.0
        for phase in leading:
            if t <= phase[0]:
                break
            begin = phase[0]
        else:
            phase = final
        end, start_rate, end_rate = phase
        fraction = (t - begin) / (end - begin)
        if self.anneal_strategy == "cos":
            return end_rate + (start_rate - end_rate) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end_rate - start_rate) * fraction + start_rate


@dataclass(frozen=True)
class CosineRestarts(_Schedule):
    """Cosine annealing from ``initial`` to ``eta_min``, restarted (SGDR).

    Period ``i`` (from 0) lasts ``T_i = T_0 * T_mult ** i`` steps. With
    ``T_cur`` the number of steps since the start of the period that holds
    ``t`` and ``T_i`` its length, the rate at step ``t`` is::

        eta_min + (initial - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    so that each period starts at ``initial`` and ends one step short of
    ``eta_min``. Matches torch ``CosineAnnealingWarmRestarts(T_0, T_mult,
    eta_min)`` stepped once per iteration with ``scheduler.step()`` (no epoch
    argument), bit for bit.

    Parameters
    ----------
    initial : float
        The rate at the start of every period, in ``(0, inf)``.
    T_0 : int
        The length of the first period in steps, at least 1.
    T_mult : int, default 1
        The factor by which each period is longer than the one before, at
        least 1.
    eta_min : float, default 0.0
        The rate the cosine falls towards, in ``[0, inf)``.

    Examples
    --------
    >>> from rmsopt.schedules import cosine_restarts
    >>> schedule = cosine_restarts(1.0, T_0=2, T_mult=2)
    >>> [round(schedule(t), 3) for t in range(8)]
    [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0, 0.962]
    """

    initial: float
    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        _validate(
            self,
            "cosine_restarts",
            initial=_POSITIVE_RATE,
            T_0=_STEP_COUNT,
            T_mult=_STEP_COUNT,
            eta_min=_NONNEGATIVE_RATE,
        )

    def __call__(self, t: int) -> float:
        t = _step("cosine_restarts", t)
        period = self.T_0
        if self.T_mult == 1:
            since_restart = t % period
        else:
            since_restart = t
            while since_restart >= period:  # about log(t) / log(T_mult) times
                since_restart -= period
                period *= self.T_mult
        cosine = 1 + math.cos(math.pi * since_restart / period)
        return self.eta_min + (self.initial - self.eta_min) * cosine / 2


_PLATEAU_STATE = ("learning_rate", "best", "num_bad_epochs", "cooldown_counter", "last_epoch")


def _loss(value: Any) -> float:
    """A loss passed to `ReduceOnPlateau.observe` as a float (NaN and infinities kept)."""
    subject = "The 'loss' passed to reduce_on_plateau.observe"
    accepted = "a real number within the range of a float"
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise invalid(TypeError, subject, accepted, summary(value))
    if isinstance(value, np.ndarray) and value.dtype.kind not in "iuf":
        raise invalid(TypeError, subject, accepted, summary(value))
    zero_dimensional = getattr(value, "ndim", None) == 0  # a NumPy or torch scalar array
    if not (isinstance(value, numbers.Real) or zero_dimensional):
        raise invalid(TypeError, subject, accepted, summary(value))
    try:
        return float(value)
    except OverflowError:
        raise invalid(ValueError, subject, accepted, summary(value)) from None
    except (TypeError, ValueError):
        raise invalid(TypeError, subject, accepted, summary(value)) from None


def _best(value: Any, subject: str) -> float:
    accepted = "a float in the range [-inf, inf] (not NaN)"
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise invalid(TypeError, subject, accepted, summary(value))
    try:
        best = float(value)
    except OverflowError:
        raise invalid(ValueError, subject, accepted, summary(value)) from None
    if math.isnan(best):
        raise invalid(ValueError, subject, accepted, summary(value))
    return best


@dataclass(frozen=True)
class ReduceOnPlateau(_Schedule):
    """A learning rate cut by ``factor`` when the loss stops improving.

    The rate does not depend on ``t`` but on the losses passed to `observe`,
    once per step after the step (or once per epoch). It starts at ``initial``.
    Each observed loss ``l`` is an improvement when, with ``best`` the best
    loss so far (``inf`` at first, ``-inf`` with ``mode="max"``)::

        l < best * (1 - threshold)     mode="min", threshold_mode="rel"
        l < best - threshold           mode="min", threshold_mode="abs"
        l > best * (1 + threshold)     mode="max", threshold_mode="rel"
        l > best + threshold           mode="max", threshold_mode="abs"

    An improvement makes ``l`` the new ``best`` and clears the count of bad
    observations; anything else (NaN included) adds one to it. While a
    cooldown runs, it is shortened by one per observation and the count is
    cleared. When the count exceeds ``patience``, the rate becomes::

        max(rate * factor, min_lr)       (kept unchanged if that lowers it by eps or less)

    the cooldown starts at ``cooldown`` and the count is cleared. Matches
    torch ``ReduceLROnPlateau(mode, factor, patience, threshold,
    threshold_mode, cooldown, min_lr, eps)`` bit for bit: ``observe(loss)``
    does what ``scheduler.step(loss)`` does, and the rate it returns, and
    ``schedule(t)`` returns until the next observation, is
    ``scheduler.get_last_lr()[0]``.

    ``needs_loss`` is True: whoever steps the schedule must call `observe`.
    The schedule is the one stateful built-in: it is not hashable, compares
    equal to another only with the same parameters and state, and saves and
    restores its state with `state_dict` and `load_state_dict` (pickling keeps
    the state too).

    Parameters
    ----------
    initial : float
        The rate until the first cut, in ``(0, inf)``.
    mode : {"min", "max"}, default "min"
        Whether a lower or a higher observed value is an improvement.
    factor : float, default 0.1
        The factor each cut multiplies the rate by, in ``[0, 1)``.
    patience : int, default 10
        The number of bad observations in a row that are tolerated, at least
        0; the next one cuts the rate.
    threshold : float, default 1e-4
        How much better than ``best`` an improvement must be, in ``[0, inf)``,
        relative to ``best`` or absolute (see ``threshold_mode``).
    threshold_mode : {"rel", "abs"}, default "rel"
        Whether ``threshold`` is relative or absolute.
    cooldown : int, default 0
        The number of observations after a cut during which bad observations
        are not counted, at least 0.
    min_lr : float, default 0.0
        The floor of the cuts, in ``[0, inf)``.
    eps : float, default 1e-8
        The smallest cut made, in ``[0, inf)``: a cut that would lower the rate
        by ``eps`` or less is skipped. With rates near ``eps`` this stops the
        cuts early, as in torch.

    Examples
    --------
    >>> from rmsopt.schedules import reduce_on_plateau
    >>> schedule = reduce_on_plateau(1.0, factor=0.5, patience=1)
    >>> [schedule.observe(loss) for loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.5, 1.5]]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    >>> schedule(7)
    0.25
    >>> state = schedule.state_dict()
    >>> state["learning_rate"], state["best"], state["num_bad_epochs"], state["last_epoch"]
    (0.25, 1.0, 0, 7)
    >>> restored = reduce_on_plateau(1.0, factor=0.5, patience=1)
    >>> restored.load_state_dict(state)
    >>> restored.observe(1.5), restored.observe(1.5)
    (0.25, 0.125)
    """

    needs_loss: ClassVar[bool] = True
    __hash__ = None  # type: ignore[assignment]  # the state changes, so no hash

    initial: float
    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8
    # The state, as torch names it; changed only by observe() and load_state_dict().
    learning_rate: float = field(init=False, repr=False)
    best: float = field(init=False, repr=False)
    num_bad_epochs: int = field(init=False, repr=False)
    cooldown_counter: int = field(init=False, repr=False)
    last_epoch: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _validate(
            self,
            "reduce_on_plateau",
            initial=_POSITIVE_RATE,
            mode=_PLATEAU_MODES,
            factor=_BELOW_ONE,
            patience=_STEP,
            threshold=_NONNEGATIVE_NUMBER,
            threshold_mode=_THRESHOLD_MODES,
            cooldown=_STEP,
            min_lr=_NONNEGATIVE_RATE,
            eps=_NONNEGATIVE_NUMBER,
        )
        _set(self, "learning_rate", self.initial)
        _set(self, "best", math.inf if self.mode == "min" else -math.inf)
        _set(self, "num_bad_epochs", 0)
        _set(self, "cooldown_counter", 0)
        _set(self, "last_epoch", 0)

    def __call__(self, t: int) -> float:
        """The current rate; ``t`` is checked but does not change it."""
        _step("reduce_on_plateau", t)
        return self.learning_rate

    def _improves(self, loss: float) -> bool:
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            bar = self.best * (1.0 - self.threshold) if relative else self.best - self.threshold
            return loss < bar
        bar = self.best * (1.0 + self.threshold) if relative else self.best + self.threshold
        return loss > bar

    def observe(self, loss: Any) -> float:
        """Take the loss measured after a step into account; return the rate for the next.

        Parameters
        ----------
        loss : float
            The monitored value: a real number, NumPy or torch zero-dimensional
            arrays included; NaN counts as no improvement.

        Returns
        -------
        float
            The rate from now on, which is also what ``schedule(t)`` returns.
        """
        value = _loss(loss)
        _set(self, "last_epoch", self.last_epoch + 1)
        if self._improves(value):
            _set(self, "best", value)
            _set(self, "num_bad_epochs", 0)
        else:
            _set(self, "num_bad_epochs", self.num_bad_epochs + 1)
        if self.cooldown_counter > 0:
            _set(self, "cooldown_counter", self.cooldown_counter - 1)
            _set(self, "num_bad_epochs", 0)
        if self.num_bad_epochs > self.patience:
            lowered = max(self.learning_rate * self.factor, self.min_lr)
            if self.learning_rate - lowered > self.eps:
                _set(self, "learning_rate", lowered)
            _set(self, "cooldown_counter", self.cooldown)
            _set(self, "num_bad_epochs", 0)
        return self.learning_rate

    def state_dict(self) -> dict[str, float | int]:
        """The state: the rate, ``best``, the counters and the number of observations.

        Returns
        -------
        dict
            A new plain dict of Python floats and ints with the keys
            ``learning_rate``, ``best`` (``inf`` or ``-inf`` before the first
            observation), ``num_bad_epochs``, ``cooldown_counter`` and
            ``last_epoch`` (the number of observations). Loaded into a
            schedule with the same parameters, it continues the same way.
        """
        return {name: getattr(self, name) for name in _PLATEAU_STATE}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by `state_dict`.

        Parameters
        ----------
        state : dict
            The five entries `state_dict` returns, no more and no fewer. It is
            checked whole before anything changes.
        """
        subject = "The state passed to reduce_on_plateau.load_state_dict"
        accepted = "a dict with the keys " + ", ".join(map(repr, _PLATEAU_STATE))
        if not isinstance(state, Mapping):
            raise invalid(TypeError, subject, accepted, summary(state))
        if set(state) != set(_PLATEAU_STATE):
            raise invalid(ValueError, subject, accepted, f"the keys {list(state)!r}")

        def entry(name: str) -> str:
            return f"The {name!r} entry of the state passed to reduce_on_plateau.load_state_dict"

        restored = {
            "learning_rate": _NONNEGATIVE_RATE.check(
                state["learning_rate"], entry("learning_rate")
            ),
            "best": _best(state["best"], entry("best")),
        }
        for name in ("num_bad_epochs", "cooldown_counter", "last_epoch"):
            restored[name] = _STEP.check(state[name], entry(name))
        for name, value in restored.items():
            _set(self, name, value)


constant = Constant
exponential_decay = ExponentialDecay
step_decay = StepDecay
inverse_time_decay = InverseTimeDecay
cosine_decay = CosineDecay
linear_warmup = LinearWarmup
polynomial = Polynomial
piecewise_constant = PiecewiseConstant
cyclic = Cyclic
one_cycle = OneCycle
cosine_restarts = CosineRestarts
reduce_on_plateau = ReduceOnPlateau
