"""Ask/tell optimizer objects: the same kernels and options as `minimize`, for
loops the user owns (minibatch training, simulations, online learning).

One class per method, made from its declaration by `optimizer_class`.
"""

from __future__ import annotations

import copy
import functools
import inspect
import numbers
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks.errors import invalid, summary
from .._checks.options import Option, suggest
from .._core import stepper
from .._core.kernel import AVERAGING_CODES, average_iterate
from .._core.method_kernels import matrices, new_kernel
from .._methods.common import NONFINITE
from .._methods.method import Method
from .arguments import clip_threshold, rate_and_schedule
from .parameters import ARRAY, GROUPS, Group, Parameters, describe, parse_parameters
from .state import AVERAGE_KEYS, as_state_dict, load_average, load_state, new_state, rows_used

__all__ = ["Optimizer", "optimizer_class"]

_TAKEN = stepper.TAKEN

_CLASS_DOC = """{summary}

The ask/tell form of `rmsopt.{name}`: your loop computes the gradient at ``x``
and calls `step`, which updates ``x`` in place with the same native kernel and
options as ``rmsopt.minimize(method="{name}")``. The update equations are in
`rmsopt.{name}`'s notes.

Parameters
----------
x : numpy.ndarray, list, tuple, dict, or list of dict
    What `step` updates in place, never copied: a writable, C-contiguous
    array of float32 or float64 of any shape; or several, as a list or tuple
    of arrays or a dict of named arrays (a model's weights and biases); or
    torch-style parameter groups, a list of dicts each with ``"params"`` (an
    array, a list or tuple, or a dict of arrays) and options of its own that
    replace the keywords for that group. The arrays of a group share a dtype
    and are stepped, element by element, as their concatenation would be
    (``clipnorm`` takes the norm of all of them), in one native loop.
**options
    The options below (with groups, the defaults of every group).

{options}

Every option is also an attribute: ``opt.learning_rate = 1e-4`` or
``opt.{first_option} = ...`` is checked as the constructor checks it and takes
effect at the next step (in every group; ``opt.set_option(name, value,
group=i)`` sets one group's); `state_dict` saves the options with the state.

Attributes
----------
x : numpy.ndarray, list, tuple, dict, or list of dict
    What was given, its arrays updated in place.
step_count : int
    Steps taken (schedules are evaluated at this count).
skipped_steps : int
    Steps skipped with ``nonfinite="skip"``.
state : dict
    Read-only copies of the state arrays as they are now ({rows}), each in
    the structure of ``x``.
options : mapping
    The validated options, read-only (set options as attributes).
param_groups : tuple of mapping
    Each group's ``"params"`` and options, read-only (one group unless
    groups were given).

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> x = np.zeros({vector})
>>> opt = rmsopt.{class_name}(x, learning_rate=0.01)
>>> for _ in range(100):
...     _ = opt.step(2.0 * (x - 1.0))
>>> opt.step_count, bool(np.all(x > 0))
(100, True)
>>> checkpoint = opt.state_dict()        # resume later with load_state_dict

Several arrays, in the structure they have in your model; with groups, each
group's options replace the keywords:

>>> W, b = np.zeros((3, 2)), np.zeros({bias})
>>> opt = rmsopt.{class_name}({{"W": W, "b": b}}, learning_rate=0.01)
>>> _ = opt.step({{"W": np.ones((3, 2)), "b": np.ones({bias})}})
>>> opt.state[{first_row!r}]["W"].shape
(3, 2)
>>> opt = rmsopt.{class_name}([{{"params": [W], "learning_rate": 0.1}}, {{"params": b}}])
>>> _ = opt.step([[np.ones((3, 2))], np.ones({bias})])
>>> [group["learning_rate"] for group in opt.param_groups]
[0.1, {learning_rate!r}]
"""


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` run under the optimizer's lock, as its steps are."""

    @functools.wraps(method)
    def locked(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


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
    # _counts is [steps taken, steps skipped]: a list, so that a step updates it without
    # going through __setattr__.
    # _lock serialises steps and state changes: the kernels run without the GIL, so two
    # threads stepping one object would interleave their writes.
    __slots__ = (
        "_params",
        "_defaults",
        "_groups",
        "_counts",
        "_single",
        "_flat",
        "_arrays",
        "_lock",
    )

    def __init__(self, x: Any, **options: Any) -> None:
        if type(self) is Optimizer:
            raise TypeError(
                "Optimizer is the base class of rmsopt's optimizers; use one of them, such as "
                "rmsopt.RMSprop or rmsopt.Adam."
            )
        method = self._method
        name = type(self).__name__
        self._check_names(options, f"{name}()")
        params = parse_parameters(x, f"The 'x' argument of {name}")
        for index, group in enumerate(params.groups):
            self._check_names(group.options, f"{name}(), parameter group {index},")
        self._params = params
        self._lock = threading.Lock()
        self._counts = [0, 0]
        declared = _object_options(method)
        self._defaults = method.validate(options, declared)
        self._groups = []
        for group in params.groups:
            settings = method.validate({**self._defaults, **group.options}, declared)
            if params.kind == GROUPS:
                settings = _own_schedule(settings)
            self._groups.append(_GroupStepper(method, group, settings, None))
        # The one group of one array, which step() takes a shorter way; else None.
        self._single = self._groups[0] if params.kind == ARRAY else None
        # Whether every array is 1-D, so that gradients reach the steppers as they are.
        self._flat = all(group.flat_x for group in self._groups)
        self._arrays = tuple(array for group in params.groups for array in group.arrays)

    def _check_names(self, options: Mapping[str, Any], where: str) -> None:
        known = [option.name for option in _object_options(self._method)]
        for given in options:
            if given not in known:
                close = suggest(str(given), known)
                hint = f" (did you mean {close!r}?)" if close else ""
                raise TypeError(f"{where} got an unexpected keyword argument {given!r}{hint}")

    @_locked
    def set_option(self, name: str, value: Any, group: int | None = None) -> None:
        """Set option ``name`` to ``value`` in parameter group ``group`` (an index), or in
        every group when None (``opt.<name> = value`` does that). Checked as the
        constructor checks it; it takes effect at the next step."""
        method = self._method
        declared = _object_options(method)
        self._check_names({name: value}, f"{type(self).__name__}.set_option()")
        count = len(self._groups)
        defaults = self._defaults
        if group is None:
            defaults = method.validate({**defaults, name: value}, declared)
            chosen = range(count)
        else:
            if not isinstance(group, (int, np.integer)) or not 0 <= group < count:
                raise invalid(
                    ValueError,
                    f"The 'group' given to {type(self).__name__}.set_option",
                    f"an index in range({count}) or None",
                    repr(group),
                )
            chosen = [int(group)]
        updated = {}
        for index in chosen:  # everything checked before anything changes
            updated[index] = method.validate({**self._groups[index].settings, name: value},
                                             declared)  # fmt: skip
        self._defaults = defaults
        for index, settings in updated.items():
            if self._params.kind == GROUPS and name == "learning_rate":
                settings = _own_schedule(settings)
            self._groups[index].set(name, settings)
        if self._params.kind != GROUPS:
            # Without groups the options are the one group's.
            self._defaults = self._groups[0].settings

    def _set_option(self, name: str, value: Any) -> None:
        self.set_option(name, value)

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
    def x(self) -> Any:
        return self._params.given

    @property
    def step_count(self) -> int:
        return self._counts[0]

    @property
    def skipped_steps(self) -> int:
        return self._counts[1]

    @property
    def options(self) -> Mapping[str, Any]:
        # Read-only, so that opt.options["rho"] = ... fails instead of being ignored.
        return MappingProxyType(dict(self._defaults))

    @property
    def param_groups(self) -> tuple[Mapping[str, Any], ...]:
        """Each parameter group's arrays (``"params"``, as given) and options, read-only
        (set them with `set_option`). One group unless groups were given."""
        return tuple(
            MappingProxyType({"params": _group_params(self._params, index), **group.settings})
            for index, group in enumerate(self._groups)
        )

    @property
    def state(self) -> dict[str, Any]:
        # Snapshots: the live state alternates between two buffers, so a view would go stale.
        snapshots = self.state_dict()
        rows = {name: snapshots[name] for name in self._method.state}
        for row in rows.values():
            for leaf in _leaves(self._params, row):
                leaf.flags.writeable = False
        return rows

    @property
    def x_average(self) -> Any:
        """The average of the iterates (the ``averaging`` option), in the structure of ``x``
        (copies); ASGD's own average ``ax`` without the option; None for other methods
        without it."""
        if all(group.average is None for group in self._groups):
            row = self._method.average_row
            return None if row is None else self.state_dict()[row]
        with self._lock:
            return self._x_average()

    def _x_average(self) -> Any:
        # A group without averaging contributes its arrays as they are.
        return self._params.rebuild(
            [
                _split(
                    group.average.copy()
                    if group.average is not None
                    else np.concatenate(list(group.group.flat)),
                    group.group,
                )
                for group in self._groups
            ]
        )

    def step(self, grad: Any, loss: float | None = None) -> Any:
        """Take one step with ``grad``, the gradient at ``x``; return ``x``.

        ``grad`` has the structure of ``x``: an array of ``x``'s dtype and shape
        (a non-contiguous one is copied), or a list, tuple or dict of them, or
        for parameter groups a list with one such gradient per group. With a
        non-finite gradient, or a step that would make ``x`` or the state
        non-finite, nothing changes and the ``nonfinite`` option decides between
        FloatingPointError and a skip.

        ``loss``, the objective at the ``x`` where ``grad`` was evaluated, feeds
        a learning-rate schedule that needs it (`rmsopt.schedules.reduce_on_plateau`):
        it is observed after the step, as torch's ``scheduler.step(loss)`` after
        ``optimizer.step()``. Such a schedule requires it; others ignore it.
        """
        with self._lock:  # one step at a time: the kernels run without the GIL
            group = self._single
            if group is not None:
                # One array, the common case (and the hot one for small n): no structure to walk.
                counts = self._counts
                if group.observes:
                    self._check_loss(loss, group)
                rate = group.rate if group.schedule is None else group.schedule(counts[0])
                if type(grad) is np.ndarray and group.flat_x:
                    # The stepper checks the dtype, layout and length in C; anything it refuses
                    # goes through _gradient, for the message (or a contiguous copy).
                    try:
                        outcome = group.stepper.step(grad, counts[0] + 1, rate)
                    except ValueError:
                        grad = _gradient(group.group.arrays[0], grad, self)
                        outcome = group.stepper.step(grad, counts[0] + 1, rate)
                else:
                    grad = _gradient(group.group.arrays[0], grad, self)
                    outcome = group.stepper.step(grad, counts[0] + 1, rate)
                if outcome == _TAKEN:
                    counts[0] += 1
                    if group.observes:
                        group.settings["learning_rate"].observe(loss)
                    if group.averaging:
                        group.average_step(counts[0])
                    return self._params.given
                return self._not_taken(outcome)
            for group in self._groups:
                if group.observes:
                    self._check_loss(loss, group)
            leaves = self._params.gradients(grad, _subject(self))
            try:
                # With 1-D arrays only, the steppers check each gradient's type, dtype, layout
                # and length in C; anything refused goes through _gradient, for the message.
                if not self._flat:
                    raise ValueError("N-D arrays: their gradients are flattened first")
                outcome = self._step_groups(leaves)
            except ValueError:
                flats = [
                    [
                        _gradient(array, leaf, self)
                        for array, leaf in zip(group.arrays, values, strict=True)
                    ]
                    for group, values in zip(self._params.groups, leaves, strict=True)
                ]
                outcome = self._step_groups(flats)
            if outcome != _TAKEN:
                return self._not_taken(outcome)
            self._counts[0] += 1
            for group in self._groups:
                if group.observes:
                    group.settings["learning_rate"].observe(loss)
                if group.averaging:
                    group.average_step(self._counts[0])
            return self._params.given

    def _not_taken(self, outcome: int) -> Any:
        """A step the stepper refused: skipped, or FloatingPointError (ValueError for an array
        made read-only)."""
        if outcome == stepper.READ_ONLY:
            index = next(i for i, array in enumerate(self._arrays) if not array.flags.writeable)
            raise _read_only(self, index)
        if self._defaults["nonfinite"] == "skip":
            self._counts[1] += 1
            return self._params.given
        cause = (
            "the gradient has a NaN or infinite element"
            if outcome == stepper.NONFINITE_GRADIENT
            else "the step would make x or the state non-finite (overflow)"
        )
        raise FloatingPointError(
            f"{type(self).__name__}.step: {cause}; x, the state and step_count are "
            "unchanged. Pass nonfinite='skip' to skip such steps instead."
        )

    def _check_loss(self, loss: Any, group: _GroupStepper) -> None:
        """A schedule that observes losses needs a real ``loss`` with every step."""
        name = type(self).__name__
        if loss is None:
            schedule = group.settings["learning_rate"]
            raise TypeError(
                f"{name}.step: the learning-rate schedule {schedule!r} needs the loss; "
                "pass step(grad, loss=value), the objective where grad was evaluated."
            )
        if not isinstance(loss, numbers.Real) or isinstance(loss, (bool, np.bool_)):
            raise invalid(
                TypeError, f"The 'loss' given to {name}.step", "a real number", repr(loss)
            )

    def _step_groups(self, flats: list[list[np.ndarray]]) -> int:
        """Every group's step, as one transaction: all are committed, or none changed."""
        if len(self._groups) == 1:
            return self._groups[0].step(flats[0], self._counts[0])
        taken = []
        for group, flat in zip(self._groups, flats, strict=True):
            try:
                outcome = group.try_step(flat, self._counts[0])
            except ValueError:  # a gradient the stepper refused: nothing may stay stepped
                for earlier in taken:
                    earlier.undo()
                raise
            if outcome != stepper.TAKEN:
                for earlier in taken:
                    earlier.undo()
                return outcome
            taken.append(group)
        for group in taken:
            group.commit()
        return stepper.TAKEN

    @_locked
    def state_dict(self) -> dict[str, Any]:
        """The state as a plain dict (copies): ``"method"``, ``"step"``, one
        entry per state row in the structure of ``x`` (an array like ``x`` for
        one array; a list, tuple or dict of arrays otherwise), and
        ``"options"``, the options as they are now (with parameter groups,
        ``"param_groups"`` lists each group's). It pickles; for one array,
        `numpy.savez` saves it (``numpy.load`` then needs ``allow_pickle=True``
        for the options)."""
        method = self._method
        per_group = [group.state_dict(self._counts[0]) for group in self._groups]
        state: dict[str, Any] = {"method": method.name, "step": int(self._counts[0])}
        for row in method.state:
            state[row] = self._params.rebuild(
                [
                    _split(flat_state[row], group)
                    for flat_state, group in zip(per_group, self._params.groups, strict=True)
                ]
            )
        if any(group.average is not None for group in self._groups):
            state["x_average"] = self._x_average()
            counts = [group.n_averaged for group in self._groups]
            state["n_averaged"] = counts if self._params.kind == GROUPS else counts[0]
        if self._params.kind == GROUPS:
            state["options"] = copy.deepcopy(self._defaults)
            state["param_groups"] = [flat_state["options"] for flat_state in per_group]
        else:
            state["options"] = per_group[0]["options"]
        return state

    @_locked
    def load_state_dict(self, state: Any) -> None:
        """Continue from ``state`` (from `state_dict`, `numpy.load` or
        ``res.state``): the following steps equal those of the run that saved it,
        given the same ``x``. The options the state holds, if any, replace the
        object's (as ``torch.optim`` restores its hyperparameters)."""
        name = type(self).__name__
        subject = f"The state given to {name}.load_state_dict"
        method = self._method
        params = self._params
        if not isinstance(state, Mapping):
            raise invalid(TypeError, subject, "a dict returned by `state_dict()`", summary(state))
        group_options: list[Any] = [state.get("options")]
        extra = set()
        if params.kind == GROUPS:
            group_options = _plain(state.get("param_groups"))
            extra = {"param_groups"}
            if not isinstance(group_options, (list, tuple)) or len(group_options) != len(
                params.groups
            ):
                raise invalid(
                    ValueError,
                    f"{subject}: its 'param_groups'",
                    f"a list of {len(params.groups)} dicts of options, one per group",
                    summary(group_options),
                )
        rows = {}
        for row in (*method.state, "x_average"):
            if row in state:
                rows[row] = self._params.gradients(state[row], f"{subject}: its {row!r}")
        counts = _plain(state.get("n_averaged"))
        loaded, averages = [], []
        for index, group in enumerate(params.groups):
            flat_state = {
                key: value
                for key, value in state.items()
                if key not in method.state
                and key not in extra
                and key not in AVERAGE_KEYS
                and key != "options"
            }
            for row, leaves in rows.items():
                flat_state[row] = _joined(leaves[index], group, f"{subject}: its {row!r}")
            if "n_averaged" in state:
                flat_state["n_averaged"] = (
                    counts[index]
                    if params.kind == GROUPS and isinstance(counts, (list, tuple))
                    else counts
                )
            if group_options[index] is not None:
                flat_state["options"] = group_options[index]
            loaded.append(load_state(method, flat_state, group.size, group.dtype, subject))
            averages.append(load_average(flat_state, group.size, group.dtype, subject))
        declared = _object_options(method)
        configured = []
        for index, (steps, block, options) in enumerate(loaded):
            settings = self._groups[index].settings
            if options is not None:
                known = {option.name for option in declared}
                unknown = sorted(set(map(str, options)) - known)
                if unknown:
                    raise invalid(
                        ValueError,
                        f"{subject}: its 'options'",
                        f"options of {name} ({', '.join(sorted(known))})",
                        f"the unknown option(s) {', '.join(map(repr, unknown))}",
                    )
                given = {key: copy.deepcopy(_plain(value)) for key, value in options.items()}
                settings = method.validate({**settings, **given}, declared)
            configured.append((settings, block, steps))
        saved_defaults = _plain(state.get("options"))
        if params.kind == GROUPS and isinstance(saved_defaults, Mapping):
            saved = {key: copy.deepcopy(_plain(value)) for key, value in saved_defaults.items()}
            self._defaults = method.validate({**self._defaults, **saved}, declared)
        elif params.kind != GROUPS:
            self._defaults = dict(configured[0][0])
        for group, (settings, block, _), average in zip(
            self._groups, configured, averages, strict=True
        ):
            full = {row: block[i] for i, row in enumerate(method.state)}
            if average is not None:
                full["x_average"], full["n_averaged"] = average
            group.average = None  # the state's average, or a fresh one
            group.configure(settings, full)
        self._counts[0] = configured[0][2]

    def __reduce__(self) -> tuple:
        # copy.deepcopy and pickle: the copy is rebuilt on its own copy of x (deepcopy and
        # pickle copy the arrays) from the state dict, which carries the options and a
        # schedule with its position, so it continues bit for bit like the original. It is
        # made with the original's options first: some decide what x may be (Muon's shape).
        return (
            _restored,
            (type(self), self._params.given, self.state_dict(), self._counts[1], self._defaults),
        )

    def __repr__(self) -> str:
        options = ", ".join(
            f"{name}={value!r}"
            for name, value in self._defaults.items()
            if value != _default(self._method, name)
        )
        return (
            f"{type(self).__name__}({self._params.describe()}"
            f"{', ' + options if options else ''}; step_count={self._counts[0]})"
        )


class _GroupStepper:
    """One parameter group's options, state and native stepper."""

    __slots__ = (
        "method",
        "group",
        "settings",
        "rows",
        "rest",
        "rate",
        "schedule",
        "observes",
        "stepper",
        "flat_x",
        "averaging",
        "average_start",
        "average_decay",
        "average",
        "average_views",
        "n_averaged",
    )

    def __init__(self, method: Method, group: Group, settings: dict[str, Any], state: Any) -> None:
        self.method = method
        self.group = group
        # 1-D arrays only: their gradients go to the stepper as they are.
        self.flat_x = all(array.ndim == 1 for array in group.arrays)
        self.configure(settings, state)

    def configure(self, settings: dict[str, Any], state: dict[str, Any] | None) -> None:
        """Take ``settings`` (validated) and continue from the full state ``state`` (rows of
        the group's total length; None: a fresh state as the settings initialise it)."""
        method, group = self.method, self.group
        kernel = new_kernel(method.kernel, method.kernel_settings(settings))
        # The leading state rows the kernel uses, double-buffered; the rows after them keep
        # their starting values (None: as the options initialise them).
        rows = rows_used(kernel.rows_written)
        states = new_state(method, settings, group.size, group.dtype, rows, copies=2)
        rest = None
        if state is not None:
            block = np.stack([state[name] for name in method.state])
            states[:] = block[:rows]
            rest = block[rows:] if rows < block.shape[0] else None
        self.rows, self.rest = rows, rest
        self._take_average(settings, state)
        self._take_rate(settings)
        self.stepper = stepper.Stepper(
            kernel,
            list(group.flat),
            states,
            clip_threshold(settings["clipnorm"]),
            clip_threshold(settings["clipvalue"]),
            owners=list(group.arrays),
            shapes=_matrix_shapes(method, settings, group) if kernel.whole else None,
        )

    def set(self, name: str, settings: dict[str, Any]) -> None:
        """Take ``settings``, where option ``name`` changed."""
        if name == "learning_rate":
            self._take_rate(settings)
        elif name == "nonfinite":
            self.settings = settings
        else:
            self.configure(settings, self.full_state())

    def _take_average(self, settings: dict[str, Any], state: dict[str, Any] | None) -> None:
        """The averaging option's code, and the average: the state's, else the one kept so
        far (an option changed), else a copy of the arrays as they start."""
        self.averaging = AVERAGING_CODES[settings["averaging"]]
        self.average_start = settings["averaging_start"]
        self.average_decay = settings["averaging_decay"]
        if not self.averaging:
            self.average, self.average_views, self.n_averaged = None, [], 0
            return
        if state is not None and "x_average" in state:
            self.average, self.n_averaged = state["x_average"].copy(), state["n_averaged"]
        elif getattr(self, "average", None) is None:
            self.average = np.concatenate(self.group.flat)
            self.n_averaged = 0
        self.average_views = [view.reshape(-1) for view in _split(self.average, self.group)]

    def average_step(self, steps: int) -> None:
        """Take the arrays after step ``steps`` into the average (from averaging_start on)."""
        if steps <= self.average_start:
            return
        averaging, decay, count = self.averaging, self.average_decay, self.n_averaged
        for view, flat in zip(self.average_views, self.group.flat, strict=True):
            average_iterate(view, flat, averaging, decay, count)
        self.n_averaged = count + 1

    def _take_rate(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.rate, self.schedule = rate_and_schedule(settings["learning_rate"])
        # Whether each step's loss must be observed (reduce_on_plateau).
        self.observes = self.schedule is not None and getattr(
            settings["learning_rate"], "needs_loss", False
        )

    def rate_at(self, steps: int) -> float:
        return self.rate if self.schedule is None else self.schedule(steps)

    def step(self, flat: list[np.ndarray], steps: int) -> int:
        return self.stepper.step(
            flat[0] if len(flat) == 1 else flat, steps + 1, self.rate_at(steps)
        )

    def try_step(self, flat: list[np.ndarray], steps: int) -> int:
        return self.stepper.try_step(flat, steps + 1, self.rate_at(steps))

    def commit(self) -> None:
        self.stepper.commit()

    def undo(self) -> None:
        self.stepper.undo()

    def full_state(self) -> dict[str, np.ndarray]:
        """Every state row, of the group's total length (copies)."""
        flat_state = self.state_dict(0)
        return {row: flat_state[row] for row in self.method.state}

    def state_dict(self, steps: int) -> dict[str, Any]:
        state = as_state_dict(
            self.method,
            steps,
            self.stepper.state,
            self.rest,
            self.settings,
            # A copy: a schedule that observes losses carries state of its own.
            options=copy.deepcopy(self.settings),
        )
        if self.average is not None:
            state.update(x_average=self.average.copy(), n_averaged=self.n_averaged)
        return state


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
                first_row=method.state[0],
                learning_rate=method.learning_rate,
                # Muon takes matrices only: its examples' vectors are rows.
                vector="(1, 3)" if method.matrix == "required" else "3",
                bias="(1, 2)" if method.matrix == "required" else "2",
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


def _restored(
    cls: type[Optimizer], x: Any, state: dict, skipped_steps: int, options: dict | None = None
) -> Optimizer:
    """An optimizer of ``cls`` on ``x`` with ``options`` continuing from ``state`` (see
    Optimizer.__reduce__)."""
    optimizer = cls(x, **(options or {}))
    optimizer.load_state_dict(state)
    optimizer._counts[1] = skipped_steps
    return optimizer


def _option_property(option: Option) -> property:
    """The attribute of an option: read from the settings, set through `_set_option`."""

    def get(self: Optimizer) -> Any:
        return self._defaults[option.name]

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


def _read_only(optimizer: Optimizer, index: int) -> ValueError:
    """The error of a step on an array made read-only after the optimizer took it."""
    which = "x" if optimizer._params.kind == ARRAY else f"array {index} of x (in order)"
    return ValueError(
        f"{type(optimizer).__name__}.step: {which} has been made read-only since the optimizer "
        "took it, and is updated in place; x, the state and step_count are unchanged."
    )


def _subject(optimizer: Optimizer) -> str:
    return f"The gradient given to {type(optimizer).__name__}.step"


def _gradient(array: np.ndarray, grad: Any, optimizer: Optimizer) -> np.ndarray:
    """``grad`` checked against ``array`` (its dtype and shape), as a 1-D C-contiguous view
    or copy; errors name ``optimizer``'s step."""
    if isinstance(grad, np.ma.MaskedArray):
        accepted = f"a numpy array of dtype {array.dtype.name}, like x, not a masked array"
        raise invalid(TypeError, _subject(optimizer), accepted, "a masked array")
    if not isinstance(grad, np.ndarray) or grad.dtype != array.dtype:
        accepted = f"a numpy array of dtype {array.dtype.name}, like x"
        raise invalid(TypeError, _subject(optimizer), accepted, describe(grad))
    if grad.shape != array.shape:
        accepted = f"of shape {array.shape}, like x"
        raise invalid(ValueError, _subject(optimizer), accepted, describe(grad))
    if not grad.flags.c_contiguous:
        grad = np.ascontiguousarray(grad)
    return grad if grad.ndim == 1 else grad.reshape(-1)


def _matrix_shapes(
    method: Method, settings: dict[str, Any], group: Group
) -> list[tuple[int, int, int]]:
    """How a whole-array method reads each array of ``group``, as ``(batches, rows,
    cols)``: with the ``shape`` option (each array holding that many elements), else with
    the array's own shape (torch's: Adafactor factors an array of two or more dimensions and
    takes a vector as it is; Muon takes 2-D arrays only)."""
    option = next(option for option in method.step_options if option.name == "shape")
    shapes = []
    for index, array in enumerate(group.arrays):
        shape = settings["shape"]
        if shape is None:
            subject = f"The shape of array {index} of the parameters of {method.class_name}"
            shape = array.shape
            if len(shape) < 2 and method.matrix == "optional":
                shapes.append(matrices(None))
                continue
            if (
                len(shape) != 2
                and method.matrix == "required"
                or min(shape[-2:]) < 2
                and (method.matrix == "optional")
            ):
                accepted = (
                    "2-D (Muon reads each array as a matrix), or the 'shape' option given"
                    if method.matrix == "required"
                    else "1-D, or with its last two dimensions at least 2 (Adafactor factors "
                    "a matrix's second moment; reshape a (1, n) array to 1-D)"
                )
                raise invalid(ValueError, subject, accepted, repr(shape))
            shape = option.constraint.check(shape, subject)
        elif int(np.prod(shape)) != array.size:
            raise invalid(
                ValueError,
                method.subject("shape"),
                f"a shape of {array.size} elements, the size of array {index}",
                f"{shape!r} ({int(np.prod(shape))} elements)",
            )
        shapes.append(matrices(shape))
    return shapes


def _split(row: np.ndarray, group: Group) -> list[np.ndarray]:
    """A group's state row cut into one array per parameter array, shaped like it."""
    leaves, start = [], 0
    for array in group.arrays:
        leaves.append(row[start : start + array.size].reshape(array.shape))
        start += array.size
    return leaves


def _joined(leaves: list[Any], group: Group, subject: str) -> Any:
    """The state row of a group from its arrays' (checked against theirs), or the one leaf as
    it is when the group has one 1-D array (`load_state` checks it)."""
    if len(group.arrays) == 1 and group.arrays[0].ndim == 1:
        return leaves[0]
    parts = []
    for array, leaf in zip(group.arrays, leaves, strict=True):
        leaf = np.asarray(leaf) if isinstance(leaf, np.ndarray) else leaf
        if not isinstance(leaf, np.ndarray) or leaf.shape != array.shape:
            raise invalid(
                ValueError, subject, f"arrays shaped like x ({array.shape})", summary(leaf)
            )
        parts.append(leaf.reshape(-1))
    return np.concatenate(parts)


def _leaves(params: Parameters, value: Any) -> list[np.ndarray]:
    return [leaf for group in params.gradients(value, "state") for leaf in group]


def _group_params(params: Parameters, index: int) -> Any:
    group = params.groups[index]
    return group.rebuild(list(group.arrays))


def _own_schedule(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings whose schedule, if it observes losses, is the group's own copy (each group
    observes the loss once per step)."""
    schedule = settings["learning_rate"]
    if getattr(schedule, "needs_loss", False):
        settings = {**settings, "learning_rate": copy.deepcopy(schedule)}
    return settings
