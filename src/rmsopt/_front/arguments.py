"""The front door: every argument of a run checked and normalised once, before anything runs.

`check_arguments` is what `minimize`, the SciPy custom-method functions and the searches call
(the searches before their first trial). It returns a `Run`: values a native loop takes
directly, with no ``None`` or ``0`` sentinels left (an absent limit is the largest count, an
absent clipping threshold infinity, a constant learning rate a float and a schedule a callable
that validates what it returns).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning

from .._checks.constraints import Real
from .._checks.errors import argument, invalid, summary
from .._checks.warn import warn
from .._methods.method import Method
from ..schedules import Constant, ReduceOnPlateau, validated_rate
from .bounds import normalize_bounds
from .callback import adapt_callback
from .minibatch import check_minibatch_options, is_minibatch, make_batches, validator
from .native import check_native, is_native
from .objective import FINITE_DIFFERENCES, Objective
from .state import load_average, load_state

__all__ = [
    "NO_LIMIT",
    "Run",
    "as_options",
    "check_arguments",
    "clip_threshold",
    "rate_and_schedule",
]

# What an absent count limit (maxfev, patience, maxiter of a minibatch run) becomes: the
# largest count the native loop holds.
NO_LIMIT = sys.maxsize

# Tests that judge a whole objective: on minibatch values and gradients they would stop at random.
_TESTS_UNUSED_BY_MINIBATCHES = ("tol", "gtol", "ftol", "xtol")


@dataclass(frozen=True)
class Run:
    """One checked run of ``method``.

    Attributes
    ----------
    method, settings, given
        The method, its validated options (defaults filled in) and the names the user set
        (``tol`` among them when given).
    fun, args, jac
        The objective as given (``native``: a `scipy.LowLevelCallable`), ``args`` as a tuple,
        ``jac`` normalised (None became ``"2-point"``).
    objective
        The Python objective (`Objective`), or None for a C-level ``fun``.
    x, box
        A fresh start (float32 or float64, clipped into the box) and the box as a pair of
        float64 arrays, or None.
    steps_taken, state
        The steps the starting state has taken and its ``(rows, n)`` block (None for a fresh
        start, whose state the run makes).
    learning_rate, schedule
        The constant rate, or 0.0 with ``schedule(t)`` the validated rate of the step that
        follows ``t`` steps.
    clipnorm, clipvalue
        Clipping thresholds; infinity when off.
    maxiter, maxfev
        Limits; ``NO_LIMIT`` when absent (minibatch runs without ``maxiter`` end after
        ``epochs``).
    notify, callback_needs_value
        The user's callback adapted to ``notify(x, value, grad, nit)`` (or None) and whether
        it reads the value.
    batches, validate, patience
        Minibatch runs: the source of batches, the validation objective ``x -> float`` (or
        None) and the patience (``NO_LIMIT`` when absent); None otherwise.
    """

    method: Method
    settings: dict[str, Any]
    given: frozenset[str]
    fun: Any
    native: bool
    args: tuple
    jac: Any
    objective: Objective | None
    x: np.ndarray
    box: tuple[np.ndarray, np.ndarray] | None
    steps_taken: int
    state: np.ndarray | None
    learning_rate: float
    schedule: Callable[[int], float] | None
    clipnorm: float
    clipvalue: float
    maxiter: int
    maxfev: int
    notify: Any
    callback_needs_value: bool
    batches: Any
    validate: Callable[[np.ndarray], float] | None
    patience: int
    average: np.ndarray | None
    n_averaged: int


def check_arguments(
    method: Method,
    fun: Any,
    x0: Any,
    args: Any,
    jac: Any,
    bounds: Any,
    callback: Any,
    tol: Any,
    options: Any,
) -> Run:
    """Check every argument of a run of ``method`` as `minimize` takes them, raising its
    errors (and warning of unknown or unused options), without running anything."""
    native = is_native(fun)
    if not (native or callable(fun)):
        raise invalid(TypeError, argument("fun"), "callable or a scipy.LowLevelCallable", repr(fun))
    x = _start_point(x0)
    args = args if isinstance(args, tuple) else (args,)
    given_jac, jac = jac, _normalize_jac(jac)
    box = normalize_bounds(bounds, x.shape[0], x.dtype)
    if box is not None:
        np.clip(x, *box, out=x)
    options = as_options(options)
    given = frozenset(options) | ({"tol"} if tol is not None else frozenset())
    if tol is not None:
        options.setdefault("gtol", Real(0).check(tol, argument("tol")))
    settings = method.validate(options)
    _check_shape(method, settings, x.shape[0])
    if native:
        check_native(fun, x, args, given_jac, settings)
    objective = None if native else Objective(fun, jac, args, box)

    check_minibatch_options(method, settings, given)
    batches = validate = None
    patience = NO_LIMIT
    maxiter = settings["maxiter"]
    if is_minibatch(settings):
        unused = [name for name in _TESTS_UNUSED_BY_MINIBATCHES if name in given]
        if unused:
            warn(
                f"Options {', '.join(unused)} of method {method.name!r} are not used with "
                "minibatches: runs end after 'epochs', at maxiter or maxfev, or by early "
                "stopping.",
                OptimizeWarning,
            )
        batches = make_batches(method, settings, args)
        validate = validator(settings["validation"], objective, batches, method)
        if settings["patience"] is not None:
            patience = settings["patience"]
        if "maxiter" not in given:
            maxiter = NO_LIMIT

    if settings["learning_rate"] is None:
        settings["learning_rate"] = (
            method.learning_rate if batches is not None else default_rate(method)
        )
    notify, callback_needs_value = adapt_callback(callback)
    if settings["state"] is None:
        steps_taken, state = 0, None  # made by the run, with the rows its kernel uses only
    else:
        subject = method.subject("state")
        steps_taken, state, saved_options = load_state(
            method, settings["state"], x.shape[0], x.dtype, subject
        )
    average, n_averaged = None, 0
    if settings["averaging"] is not None:
        # The average starts as the start point, as torch's AveragedModel starts as a copy of
        # the model; its first averaged iterate replaces it.
        saved = None
        if settings["state"] is not None:
            saved = load_average(settings["state"], x.shape[0], x.dtype, method.subject("state"))
        average, n_averaged = saved if saved is not None else (x.copy(), 0)
    if settings["validate_average"] and (settings["averaging"] is None or validate is None):
        raise invalid(
            ValueError,
            method.subject("validate_average"),
            "False unless 'averaging' and 'validation' are set",
            f"True with averaging={settings['averaging']!r} and "
            f"validation={'set' if validate is not None else None}",
        )
    if getattr(settings["learning_rate"], "needs_loss", False):
        # The run observes losses into its own copy: the user's schedule stays as given, runs
        # repeat, and a resumed run continues from the state's copy.
        settings["learning_rate"] = observing_schedule(
            settings["learning_rate"], saved_options if settings["state"] is not None else None
        )
    learning_rate, schedule = rate_and_schedule(settings["learning_rate"])
    return Run(
        method=method,
        settings=settings,
        given=given,
        fun=fun,
        native=native,
        args=args,
        jac=jac,
        objective=objective,
        x=x,
        box=box,
        steps_taken=steps_taken,
        state=state,
        learning_rate=learning_rate,
        schedule=schedule,
        clipnorm=clip_threshold(settings["clipnorm"]),
        clipvalue=clip_threshold(settings["clipvalue"]),
        maxiter=maxiter,
        maxfev=NO_LIMIT if settings["maxfev"] is None else settings["maxfev"],
        notify=notify,
        callback_needs_value=callback_needs_value,
        batches=batches,
        validate=validate,
        patience=patience,
        average=average,
        n_averaged=n_averaged,
    )


def default_rate(method: Method) -> ReduceOnPlateau:
    """The learning rate of a full-batch `minimize` run given none: the method's starting
    rate, halved whenever fun has gone 20 iterations without a new low."""
    return ReduceOnPlateau(method.starting_rate, factor=0.5, patience=20, threshold=0.0)


def rate_and_schedule(learning_rate: Any) -> tuple[float, Callable[[int], float] | None]:
    """A validated ``learning_rate`` option as ``(rate, None)`` when it is constant (a float
    or a `rmsopt.schedules.Constant`), else ``(0.0, schedule)`` where ``schedule(t)`` is the
    checked rate of the step that follows ``t`` steps."""
    if isinstance(learning_rate, Constant):
        return learning_rate.value, None
    if not callable(learning_rate):
        return float(learning_rate), None

    def checked_schedule(t: int) -> float:
        return validated_rate(learning_rate(t), t)

    return 0.0, checked_schedule


def observing_schedule(schedule: Any, saved_options: Mapping[str, Any] | None) -> Any:
    """A copy of a schedule that observes losses, continuing from what the one of the same
    kind in ``saved_options`` (a resumed state's) had observed, when there is one."""
    own = copy.deepcopy(schedule)
    saved = None if saved_options is None else saved_options.get("learning_rate")
    if type(saved) is type(schedule):
        own.load_state_dict(saved.state_dict())
    return own


def clip_threshold(value: float | None) -> float:
    """A validated ``clipnorm``/``clipvalue`` as the native code takes it: infinity when off."""
    return np.inf if value is None else float(value)


def as_options(options: Any) -> dict[str, Any]:
    """``options`` as a new dict (None is empty); anything but a mapping is refused."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        accepted = "a mapping (e.g. a dict) of option names to values, or None"
        raise invalid(TypeError, argument("options"), accepted, summary(options))
    return dict(options)


def _check_shape(method: Method, settings: dict[str, Any], n: int) -> None:
    """A whole-array method's ``shape`` holds x0's n elements; Muon's is required."""
    if method.matrix is None:
        return
    shape = settings["shape"]
    if shape is None and method.matrix == "required":
        raise invalid(
            ValueError,
            method.subject("shape"),
            f"(rows, cols) with rows * cols == {n}, the size of x0 (Muon reads x as a matrix)",
            "None",
        )
    if shape is not None and int(np.prod(shape)) != n:
        raise invalid(
            ValueError,
            method.subject("shape"),
            f"a shape of {n} elements, the size of x0",
            f"{shape!r} ({int(np.prod(shape))} elements)",
        )


def _start_point(x0: Any) -> np.ndarray:
    """A fresh, writable copy of ``x0``: float32 stays float32, other reals become float64."""
    subject = argument("x0")
    accepted = "an array_like of real numbers, 1-D (a scalar is one variable)"
    if isinstance(x0, np.ma.MaskedArray):
        # Its mask would be dropped, and the masked values optimised as any other.
        raise invalid(TypeError, subject, f"{accepted}, not a masked array", "a masked array")
    try:
        array = np.asarray(x0)
    except (TypeError, ValueError):
        raise invalid(TypeError, subject, accepted, repr(x0)) from None
    if array.dtype.kind not in "iuf":
        raise invalid(TypeError, subject, accepted, f"{x0!r} (dtype {array.dtype})")
    if array.ndim > 1:
        raise invalid(ValueError, subject, accepted, f"an array of shape {array.shape}")
    if array.size == 0:
        raise invalid(ValueError, subject, "non-empty", "an empty array")
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    x = np.array(np.atleast_1d(array), dtype=dtype, copy=True, order="C")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise invalid(ValueError, subject, "finite", f"{float(x[bad[0]])!r} at index {bad[0]}")
    return x


def _normalize_jac(jac: Any) -> Callable[..., Any] | bool | str:
    if jac is None or jac is False:
        return "2-point"
    if jac is True or callable(jac):
        return jac
    if isinstance(jac, str) and jac in FINITE_DIFFERENCES:
        return jac
    choices = ", ".join(repr(s) for s in FINITE_DIFFERENCES)
    accepted = f"a callable, True, False, None, or one of {choices}"
    error = ValueError if isinstance(jac, str) else TypeError
    raise invalid(error, argument("jac"), accepted, repr(jac))
