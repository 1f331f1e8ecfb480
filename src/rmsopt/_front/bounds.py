"""Normalise ``bounds`` to a pair of arrays, or None when nothing is bounded."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy.optimize import Bounds

from .._checks.errors import argument, invalid, summary

__all__ = ["normalize_bounds"]

_SUBJECT = argument("bounds")
_ACCEPTED = (
    "a scipy.optimize.Bounds or a sequence of one (min, max) pair per variable, "
    "with None for an open side"
)
_REPRESENTABLE = "bounds a float64 can hold (use -inf or inf for an open side)"
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def normalize_bounds(bounds: Any, n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(lower, upper)`` of length ``n`` with ``-inf``/``inf`` for open sides.

    Accepts a `scipy.optimize.Bounds` (scalars broadcast) or a sequence of ``n``
    ``(min, max)`` pairs with ``None`` for an open side. The values are float64
    and representable in ``dtype``: for float32 runs each bound is rounded
    towards the inside of the box, so that a projected float32 iterate is never
    outside it. Returns None when every side is open, so the driver skips
    projection.
    """
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lower = _side(bounds.lb, n, "lb")
        upper = _side(bounds.ub, n, "ub")
    else:
        lower, upper = _from_pairs(bounds, n)
    # Vectorised: a Python loop over n variables cost more than many steps.
    bad = np.flatnonzero(~((lower <= upper) & (lower < np.inf) & (upper > -np.inf)))
    if bad.size:
        i = bad[0]
        raise invalid(
            ValueError,
            _SUBJECT,
            "min <= max, with min < inf and max > -inf, for every variable",
            f"min {float(lower[i])!r} and max {float(upper[i])!r} for variable {i}",
        )
    if np.all(np.isneginf(lower)) and np.all(np.isposinf(upper)):
        return None
    if dtype == np.float32:
        beyond = np.flatnonzero(
            (np.isfinite(lower) & (np.abs(lower) > _FLOAT32_MAX))
            | (np.isfinite(upper) & (np.abs(upper) > _FLOAT32_MAX))
        )
        if beyond.size:
            i = beyond[0]
            raise invalid(
                ValueError,
                _SUBJECT,
                "finite bounds a float32 can hold (|bound| <= 3.4e38) for a float32 x0, or "
                "-inf and inf for open sides",
                f"min {float(lower[i])!r} and max {float(upper[i])!r} for variable {i}",
            )
        lower, upper = _inside_in_float32(lower, upper)
    return lower, upper


def _side(values: Any, n: int, name: str) -> np.ndarray:
    subject = f"{_SUBJECT} ({name})"
    try:
        side = np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise invalid(ValueError, subject, _REPRESENTABLE, summary(values)) from None
    except (TypeError, ValueError):
        raise invalid(TypeError, subject, "real numbers", summary(values)) from None
    # SciPy's Bounds stores a scalar bound as an array of length 1, and broadcasts it.
    if side.ndim > 1 or (side.ndim == 1 and side.shape[0] not in (1, n)):
        raise invalid(
            ValueError,
            subject,
            f"a scalar, or of length 1 or {n} (the length of x0)",
            f"shape {side.shape}",
        )
    if np.isnan(side).any():
        raise invalid(ValueError, subject, "free of NaN (use -inf or inf for an open side)", "NaN")
    return np.array(np.broadcast_to(side, (n,)))


def _from_pairs(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        pairs = list(bounds)
    except TypeError:
        raise invalid(TypeError, _SUBJECT, _ACCEPTED, summary(bounds)) from None
    if len(pairs) != n:
        raise invalid(
            ValueError, _SUBJECT, f"{_ACCEPTED}: {n} pairs (the length of x0)", f"{len(pairs)}"
        )
    lower = np.empty(n)
    upper = np.empty(n)
    for i, pair in enumerate(pairs):
        try:
            low, high = pair
        except (TypeError, ValueError):
            raise invalid(ValueError, _SUBJECT, _ACCEPTED, f"{pair!r} for variable {i}") from None
        lower[i] = _bound_value(low, -np.inf, i)
        upper[i] = _bound_value(high, np.inf, i)
    return lower, upper


def _bound_value(value: Any, open_value: float, i: int) -> float:
    if value is None:
        return open_value
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise invalid(TypeError, _SUBJECT, _ACCEPTED, f"{summary(value)} for variable {i}")
    try:
        bound = float(value)
    except OverflowError:
        raise invalid(
            ValueError, _SUBJECT, _REPRESENTABLE, f"{summary(value)} for variable {i}"
        ) from None
    if np.isnan(bound):
        raise invalid(ValueError, _SUBJECT, f"{_ACCEPTED} (not NaN)", f"NaN for variable {i}")
    return bound


def _inside_in_float32(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low32 = lower.astype(np.float32)
    high32 = upper.astype(np.float32)
    low32 = np.where(low32 < lower, np.nextafter(low32, np.float32(np.inf)), low32)
    high32 = np.where(high32 > upper, np.nextafter(high32, np.float32(-np.inf)), high32)
    # A box too narrow to hold a float32 (a fixed variable whose value float32 cannot hold,
    # say) shrinks to the float32 nearest its midpoint.
    crossed = low32 > high32
    low32[crossed] = high32[crossed] = (0.5 * (lower[crossed] + upper[crossed])).astype(np.float32)
    return low32.astype(np.float64), high32.astype(np.float64)
