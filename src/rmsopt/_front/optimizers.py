"""Ask/tell optimizer objects: the same kernels and options as `minimize`, for
loops the user owns (minibatch training, simulations, online learning).

One class per method, made from its declaration by `optimizer_class`.
"""

from __future__ import annotations

import copy
import inspect
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks.errors import invalid
from .._checks.options import Option, suggest
from .._core import stepper
from .._core.method_kernels import new_kernel
from .._methods.common import NONFINITE
from .._methods.method import Method
from .arguments import clip_threshold, rate_and_schedule
from .state import as_state_dict, load_state, new_state, rows_used

__all__ = ["Optimizer", "optimizer_class"]

_CLASS_DOC = """{summary}

The ask/tell form of `rmsopt.{name}`: your loop computes the gradient at ``x``
and calls `step`, which updates ``x`` in place with the same native kernel and
options as ``rmsopt.minimize(method="{name}")``. The update equations are in
`rmsopt.{name}`'s notes.

Parameters
----------
x : numpy.ndarray
    The iterate, updated in place by `step`: a writable, C-contiguous 1-D
    array of float32 or float64 (the run's precision). It is never copied.
**options
    The options below.

{options}

Every option is also an attribute: ``opt.learning_rate = 1e-4`` or
``opt.{first_option} = ...`` is checked as the constructor checks it and takes
effect at the next step; `state_dict` saves the options with the state.

Attributes
----------
x : numpy.ndarray
    The array given, updated in place.
step_count : int
    Steps taken (schedules are evaluated at this count).
skipped_steps : int
    Steps skipped with ``nonfinite="skip"``.
state : dict of str to numpy.ndarray
    Read-only copies of the state arrays as they are now ({rows}).
options : mapping
    The validated options, read-only (set options as attributes).

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> x = np.zeros(3)
>>> opt = rmsopt.{class_name}(x, learning_rate=0.01)
>>> for _ in range(100):
...     _ = opt.step(2.0 * (x - 1.0))
>>> opt.step_count, bool(np.all(x > 0))
(100, True)
>>> checkpoint = opt.state_dict()        # resume later with load_state_dict
"""


class Optimizer:
    """Base of the per-method optimizer classes (see `optimizer_class`): every
    ``rmsopt.<ClassName>`` is one, so ``isinstance(opt, rmsopt.Optimizer)`` tells an
    rmsopt optimizer; the base itself is not instantiated.

    Examples
    --------
    >>> import numpy as np, rmsopt
    >>> opt = rmsopt.Adam(np.zeros(3))
    >>> isinstance(opt, rmsopt.Optimizer), type(opt).__name__
    (True, 'Adam')
    """

    _method: Method
    # No instance dict: a misspelt attribute (opt.learnig_rate = ...) raises instead of being
    # silently kept. The options are properties of each method's class.
    __slots__ = (
        "_x",
        "_settings",
        "_rows",
        "_rest",
        "_rate",
        "_schedule",
        "_stepper",
        "_step_count",
        "_skipped_steps",
    )

    def __init__(self, x: np.ndarray, **options: Any) -> None:
        if type(self) is Optimizer:
            raise TypeError(
                "Optimizer is the base class of rmsopt's optimizers; use one of them, such as "
                "rmsopt.RMSprop or rmsopt.Adam."
            )
        method = self._method
        name = type(self).__name__
        declared = _object_options(method)
        known = [option.name for option in declared]
        for given in options:
            if given not in known:
                close = suggest(given, known)
                hint = f" (did you mean {close!r}?)" if close else ""
                raise TypeError(f"{name}() got an unexpected keyword argument {given!r}{hint}")
        self._x = _iterate(x, f"The 'x' argument of {name}")
        self._step_count = 0
        self._skipped_steps = 0
        self._configure(method.validate(options, declared), None)

    def _configure(self, settings: dict[str, Any], state: dict[str, Any] | None) -> None:
        """Take ``settings`` (validated) and continue from the full state dict ``state``
        (None: a fresh state as the settings initialise it)."""
        method = self._method
        kernel = new_kernel(method.kernel, method.kernel_settings(settings))
        # The leading state rows the kernel uses, double-buffered; the rows after them keep
        # their starting values (None: as the options initialise them).
        rows = rows_used(kernel.rows_written)
        n, dtype = self._x.shape[0], self._x.dtype
        states = new_state(method, settings, n, dtype, rows, copies=2)
        rest = None
        if state is not None:
            block = np.stack([state[name] for name in method.state])
            states[:] = block[:rows]
            rest = block[rows:] if rows < block.shape[0] else None
        self._settings = settings
        self._rows, self._rest = rows, rest
        self._rate, self._schedule = rate_and_schedule(settings["learning_rate"])
        self._stepper = stepper.Stepper(
            kernel,
            self._x,
            states,
            clip_threshold(settings["clipnorm"]),
            clip_threshold(settings["clipvalue"]),
        )

    def _set_option(self, name: str, value: Any) -> None:
        """``opt.<name> = value``: checked with the other options as the constructor checks
        them; the kernel is rebuilt when the option is one of its parameters."""
        method = self._method
        settings = method.validate({**self._settings, name: value}, _object_options(method))
        if name == "learning_rate":
            self._settings = settings
            self._rate, self._schedule = rate_and_schedule(settings["learning_rate"])
        elif name == "nonfinite":
            self._settings = settings
        else:
            self._configure(settings, self.state_dict())

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            object.__setattr__(self, name, value)
        except AttributeError:
            known = [option.name for option in _object_options(self._method)]
            close = suggest(name, known)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise AttributeError(
                f"{type(self).__name__} has no option or attribute {name!r}{hint}; its "
                f"options are {', '.join(known)}."
            ) from None

    @property
    def x(self) -> np.ndarray:
        return self._x

    @property
    def step_count(self) -> int:
        return self._step_count

    @property
    def skipped_steps(self) -> int:
        return self._skipped_steps

    @property
    def options(self) -> Mapping[str, Any]:
        # Read-only, so that opt.options["rho"] = ... fails instead of being ignored.
        return MappingProxyType(dict(self._settings))

    @property
    def state(self) -> dict[str, np.ndarray]:
        # Snapshots: the live state alternates between two buffers, so a view would go stale.
        snapshots = self.state_dict()
        del snapshots["method"], snapshots["step"], snapshots["options"]
        for snapshot in snapshots.values():
            snapshot.flags.writeable = False
        return snapshots

    def step(self, grad: np.ndarray, loss: float | None = None) -> np.ndarray:
        """Take one step with ``grad``, the gradient at ``x``; return ``x``.

        ``grad`` must be a 1-D array of ``x``'s dtype and length (a
        non-contiguous one is copied). With a non-finite gradient, or a step
        that would make ``x`` or the state non-finite, nothing changes and the
        ``nonfinite`` option decides between FloatingPointError and a skip.

        ``loss``, the objective at the ``x`` where ``grad`` was evaluated, feeds
        a learning-rate schedule that needs it (`rmsopt.schedules.reduce_on_plateau`):
        it is observed after the step, as torch's ``scheduler.step(loss)`` after
        ``optimizer.step()``. Such a schedule requires it; others ignore it.
        """
        x = self._x
        schedule = self._settings["learning_rate"]
        observes = self._schedule is not None and getattr(schedule, "needs_loss", False)
        if observes:
            name = type(self).__name__
            if loss is None:
                raise TypeError(
                    f"{name}.step: the learning-rate schedule {schedule!r} needs the loss; "
                    "pass step(grad, loss=value), the objective where grad was evaluated."
                )
            if not isinstance(loss, numbers.Real) or isinstance(loss, (bool, np.bool_)):
                raise invalid(
                    TypeError, f"The 'loss' given to {name}.step", "a real number", repr(loss)
                )
        if not isinstance(grad, np.ndarray) or grad.dtype != x.dtype:
            accepted = f"a numpy array of dtype {x.dtype.name}, like x"
            raise invalid(
                TypeError,
                f"The gradient given to {type(self).__name__}.step",
                accepted,
                _describe(grad),
            )
        if grad.shape != x.shape:
            accepted = f"of shape {x.shape}, like x"
            raise invalid(
                ValueError,
                f"The gradient given to {type(self).__name__}.step",
                accepted,
                _describe(grad),
            )
        if not grad.flags.c_contiguous:
            grad = np.ascontiguousarray(grad)

        rate = self._rate if self._schedule is None else self._schedule(self._step_count)
        outcome = self._stepper.step(grad, self._step_count + 1, rate)
        if outcome == stepper.TAKEN:
            self._step_count += 1
            if observes:
                schedule.observe(loss)
        elif self._settings["nonfinite"] == "skip":
            self._skipped_steps += 1
        else:
            cause = (
                "the gradient has a NaN or infinite element"
                if outcome == stepper.NONFINITE_GRADIENT
                else "the step would make x or the state non-finite (overflow)"
            )
            raise FloatingPointError(
                f"{type(self).__name__}.step: {cause}; x, the state and step_count are "
                "unchanged. "
                "Pass nonfinite='skip' to skip such steps instead."
            )
        return x

    def state_dict(self) -> dict[str, Any]:
        """The state as a plain dict (copies): ``"method"``, ``"step"``, one
        array per state row, and ``"options"``, the options as they are now. It
        pickles; `numpy.savez` saves it (``numpy.load`` then needs
        ``allow_pickle=True`` for the options)."""
        return as_state_dict(
            self._method,
            self._step_count,
            self._stepper.state,
            self._rest,
            self._settings,
            # A copy: a schedule that observes losses carries state of its own.
            options=copy.deepcopy(self._settings),
        )

    def load_state_dict(self, state: Any) -> None:
        """Continue from ``state`` (from `state_dict`, `numpy.load` or
        ``res.state``): the following steps equal those of the run that saved it,
        given the same ``x``. The options the state holds, if any, replace the
        object's (as ``torch.optim`` restores its hyperparameters)."""
        x = self._x
        name = type(self).__name__
        subject = f"The state given to {name}.load_state_dict"
        steps, block, options = load_state(self._method, state, x.shape[0], x.dtype, subject)
        settings = self._settings
        if options is not None:
            known = {option.name for option in _object_options(self._method)}
            unknown = sorted(set(map(str, options)) - known)
            if unknown:
                raise invalid(
                    ValueError,
                    f"{subject}: its 'options'",
                    f"options of {name} ({', '.join(sorted(known))})",
                    f"the unknown option(s) {', '.join(map(repr, unknown))}",
                )
            given = {key: copy.deepcopy(_plain(value)) for key, value in options.items()}
            settings = self._method.validate({**settings, **given}, _object_options(self._method))
        self._configure(settings, {row: block[i] for i, row in enumerate(self._method.state)})
        self._step_count = steps

    def __reduce__(self) -> tuple:
        # copy.deepcopy and pickle: the copy is rebuilt on its own copy of x (deepcopy and
        # pickle copy the array) from the state dict, which carries the options and a
        # schedule with its position, so it continues bit for bit like the original.
        return (_restored, (type(self), self._x, self.state_dict(), self._skipped_steps))

    def __repr__(self) -> str:
        options = ", ".join(
            f"{name}={value!r}"
            for name, value in self._settings.items()
            if value != _default(self._method, name)
        )
        return (
            f"{type(self).__name__}(<{self._x.dtype.name} array of {self._x.shape[0]}>"
            f"{', ' + options if options else ''}; step_count={self._step_count})"
        )


def optimizer_class(method: Method) -> type[Optimizer]:
    """The public optimizer class of ``method`` (``rmsopt.<class_name>``)."""
    declared = _object_options(method)
    cls = type(
        method.class_name,
        (Optimizer,),
        {
            "_method": method,
            "__module__": "rmsopt",
            "__slots__": (),
            "__doc__": _CLASS_DOC.format(
                summary=method.summary,
                name=method.name,
                class_name=method.class_name,
                options=method.options_section(declared),
                rows=", ".join(f"``{row}``" for row in method.state),
                first_option=next(o.name for o in declared if o.name != "learning_rate"),
            ),
            **{option.name: _option_property(option) for option in declared},
        },
    )
    cls.__signature__ = inspect.Signature(
        [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=option.default)
            for option in declared
        ]
    )
    return cls


def _restored(cls: type[Optimizer], x: np.ndarray, state: dict, skipped_steps: int) -> Optimizer:
    """An optimizer of ``cls`` on ``x`` continuing from ``state`` (see Optimizer.__reduce__)."""
    optimizer = cls(x)
    optimizer.load_state_dict(state)
    optimizer._skipped_steps = skipped_steps
    return optimizer


def _option_property(option: Option) -> property:
    """The attribute of an option: read from the settings, set through `_set_option`."""

    def get(self: Optimizer) -> Any:
        return self._settings[option.name]

    def set_(self: Optimizer, value: Any) -> None:
        self._set_option(option.name, value)

    return property(get, set_, doc=f"The {option.name!r} option (settable).")


def _plain(value: Any) -> Any:
    """A Python scalar for the 0-d arrays `numpy.load` gives back."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def _object_options(method: Method) -> tuple[Option, ...]:
    """The options of ``method``'s class: the step options and ``nonfinite``."""
    return method.step_options + (NONFINITE,)


def _default(method: Method, name: str) -> Any:
    for option in _object_options(method):
        if option.name == name:
            return option.default
    raise KeyError(name)


def _iterate(x: Any, subject: str) -> np.ndarray:
    accepted = (
        "a writable, C-contiguous 1-D numpy array of float32 or float64 with finite values "
        "(it is updated in place, never copied)"
    )
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64):
        raise invalid(TypeError, subject, accepted, _describe(x))
    if x.ndim != 1 or not x.flags.c_contiguous or not x.flags.writeable:
        raise invalid(ValueError, subject, accepted, _describe(x))
    if x.size == 0:
        raise invalid(ValueError, subject, "non-empty", "an empty array")
    if not np.all(np.isfinite(x)):
        raise invalid(ValueError, subject, accepted, "an array with non-finite values")
    return x


def _describe(value: Any) -> str:
    if not isinstance(value, np.ndarray):
        return f"an object of type {type(value).__name__}"
    traits = []
    if not value.flags.writeable:
        traits.append("read-only")
    if not value.flags.c_contiguous:
        traits.append("non-contiguous")
    text = f"{' '.join(traits + [value.dtype.name])} array of shape {value.shape}"
    return f"{'an' if text[0] in 'aeiou' else 'a'} {text}"
