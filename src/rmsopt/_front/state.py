"""Optimizer state as a plain dict, and the checks that let a run resume from it.

A state dict holds ``"method"`` (the method's name), ``"step"`` (steps taken)
and one array per row of the method's state block. It contains only NumPy
arrays, a string and an integer, so it pickles and saves with `numpy.savez`;
`load_state` also accepts the 0-d arrays that `numpy.load` gives back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks.errors import invalid, summary
from .._methods.method import Method

__all__ = [
    "AVERAGE_KEYS",
    "MAX_STEPS",
    "as_state_dict",
    "load_average",
    "load_state",
    "new_state",
    "rows_used",
]

# The keys of a state whose run averaged its iterates (the averaging option): the average
# and how many iterates it holds.
AVERAGE_KEYS = ("x_average", "n_averaged")

# The largest step count a state may hold: the native loop counts steps in a signed 64-bit
# integer, and a run adds its iterations to the state's count, so a state's count leaves room
# for 2**62 more steps, more than any run takes.
MAX_STEPS = 2**62


def new_state(
    method: Method,
    settings: Mapping[str, Any],
    n: int,
    dtype: np.dtype,
    rows: int | None = None,
    copies: int | None = None,
) -> np.ndarray:
    """The state block of a fresh run: its first ``rows`` rows (default: every row of the
    method's state), initialised; with ``copies``, that many equal blocks stacked on a
    leading axis (filled in place: no block exists twice in memory)."""
    rows = len(method.state) if rows is None else rows
    shape = (rows, n) if copies is None else (copies, rows, n)
    block = np.zeros(shape, dtype=dtype)
    for name, value in method.initial_state(settings).items():
        if method.state.index(name) < rows:
            block[..., method.state.index(name), :] = value
    return block


def rows_used(rows_written: int) -> int:
    """How many leading rows of the state block a kernel writing the rows of the bit mask
    ``rows_written`` needs: up to its last written row (at least one, so that every buffer
    has an element). The rows after it are never read or written."""
    return max(int(rows_written).bit_length(), 1)


def as_state_dict(
    method: Method,
    steps: int,
    block: np.ndarray,
    rest: np.ndarray | None = None,
    settings: Mapping[str, Any] | None = None,
    copy: bool = True,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The state dict after ``steps`` steps of ``block``, the leading rows of the state; the
    rows after them are those of ``rest`` (the rows after ``block``'s, as the run started),
    or fresh ones as ``settings`` initialise them. ``copy=False`` hands ``block``'s rows over as
    they are (a run's result, whose buffers nothing else uses). With ``options``, the state
    also holds them (a copy) under ``"options"``."""
    used = block.shape[0]
    initial = method.initial_state(settings) if rest is None else {}
    rows = {}
    for row, name in enumerate(method.state):
        if row < used:
            rows[name] = block[row].copy() if copy else block[row]
        elif rest is not None:
            rows[name] = rest[row - used].copy()
        else:
            rows[name] = np.full(block.shape[1], initial.get(name, 0.0), dtype=block.dtype)
    state = {"method": method.name, "step": int(steps), **rows}
    if options is not None:
        state["options"] = dict(options)
    return state


def load_state(
    method: Method, state: Mapping[str, Any], n: int, dtype: np.dtype, subject: str
) -> tuple[int, np.ndarray, dict[str, Any] | None]:
    """``(steps, block, options)`` from a state dict, after checking that it belongs to
    ``method`` and to an ``x`` of ``n`` elements of ``dtype``; ``options`` is the dict the
    state holds under ``"options"`` (unchecked), or None."""
    expected = {"method", "step", *method.state}
    accepted = (
        f"a state of method {method.name!r} with the keys {sorted(expected)} "
        "(and optionally 'options')"
    )
    if any(key in state for key in AVERAGE_KEYS) if isinstance(state, Mapping) else False:
        expected |= set(AVERAGE_KEYS)
    if not isinstance(state, Mapping):
        raise invalid(TypeError, subject, accepted, summary(state))
    owner = _item(state.get("method"))
    if "method" in state and owner != method.name:
        raise invalid(
            ValueError, subject, f"a state of method {method.name!r}", f"a state of {owner!r}"
        )
    keys = set(map(str, state)) - {"options"}
    if keys != expected:
        missing, extra = sorted(expected - keys), sorted(keys - expected)
        got = "; ".join(
            text
            for text in (
                f"no {', '.join(map(repr, missing))}" if missing else "",
                f"the unknown {', '.join(map(repr, extra))}" if extra else "",
            )
            if text
        )
        raise invalid(ValueError, subject, accepted, got)
    options = _item(state.get("options"))
    if options is not None and not isinstance(options, Mapping):
        raise invalid(
            TypeError, f"{subject}: its 'options'", "a dict of option values", summary(options)
        )
    steps = _item(state["step"])
    if (
        not isinstance(steps, (int, np.integer))
        or isinstance(steps, bool)
        or not 0 <= steps <= MAX_STEPS
    ):
        raise invalid(
            ValueError,
            f"{subject}: its 'step'",
            "an integer in the range [0, 2**62]",
            summary(state["step"]),
        )

    block = np.empty((len(method.state), n), dtype=dtype)
    for row, name in enumerate(method.state):
        values = state[name]
        accepted = f"a {np.dtype(dtype).name} array of shape ({n},)"
        if not isinstance(values, np.ndarray) or values.dtype != dtype or values.shape != (n,):
            got = (
                f"a {values.dtype.name} array of shape {values.shape}"
                if isinstance(values, np.ndarray)
                else summary(values)
            )
            raise invalid(ValueError, f"{subject}: its {name!r}", accepted, got)
        if not np.all(np.isfinite(values)):
            raise invalid(ValueError, f"{subject}: its {name!r}", "finite", "non-finite values")
        block[row] = values
    return int(steps), block, None if options is None else dict(options)


def load_average(
    state: Mapping[str, Any], n: int, dtype: np.dtype, subject: str
) -> tuple[np.ndarray, int] | None:
    """``(x_average, n_averaged)`` of a state dict that `load_state` accepted, the average a
    copy; None when the state has none."""
    if "x_average" not in state:
        return None
    values = state["x_average"]
    if not isinstance(values, np.ndarray) or values.dtype != dtype or values.shape != (n,):
        got = (
            f"a {values.dtype.name} array of shape {values.shape}"
            if isinstance(values, np.ndarray)
            else summary(values)
        )
        accepted = f"a {np.dtype(dtype).name} array of shape ({n},)"
        raise invalid(ValueError, f"{subject}: its 'x_average'", accepted, got)
    if not np.all(np.isfinite(values)):
        raise invalid(ValueError, f"{subject}: its 'x_average'", "finite", "non-finite values")
    count = _item(state["n_averaged"])
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise invalid(
            ValueError,
            f"{subject}: its 'n_averaged'",
            "a non-negative integer",
            summary(state["n_averaged"]),
        )
    return values.copy(), int(count)


def _item(value: Any) -> Any:
    """A Python scalar for the 0-d arrays `numpy.load` returns."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value
