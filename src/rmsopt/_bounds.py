"""Normalise ``bounds`` to a pair of float64 arrays, or None when nothing is bounded."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import Bounds

__all__ = ["normalize_bounds"]


def normalize_bounds(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(lower, upper)`` of length ``n`` with ``-inf``/``inf`` for open sides.

    Accepts a `scipy.optimize.Bounds` (scalars broadcast) or a sequence of ``n``
    ``(min, max)`` pairs with ``None`` for an open side. Returns None when every
    side is open, so that the driver skips projection.
    """
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lower = _side(bounds.lb, n, "bounds.lb")
        upper = _side(bounds.ub, n, "bounds.ub")
    else:
        lower, upper = _from_pairs(bounds, n)
    crossed = np.flatnonzero(lower > upper)
    if crossed.size:
        i = crossed[0]
        raise ValueError(
            f"bounds must have min <= max for every variable; variable {i} has "
            f"min {float(lower[i])!r} > max {float(upper[i])!r}."
        )
    if np.all(np.isneginf(lower)) and np.all(np.isposinf(upper)):
        return None
    return lower, upper


def _side(values: Any, n: int, name: str) -> np.ndarray:
    try:
        side = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be real numbers; got {values!r}.") from None
    if side.ndim > 1 or (side.ndim == 1 and side.shape[0] != n):
        raise ValueError(
            f"{name} must be a scalar or have length {n} (the length of x0); "
            f"got shape {side.shape}."
        )
    if np.isnan(side).any():
        raise ValueError(f"{name} must not contain NaN; use -inf or inf for an open side.")
    return np.array(np.broadcast_to(side, (n,)))


def _from_pairs(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    accepted = (
        "bounds must be a scipy.optimize.Bounds or a sequence of one (min, max) pair "
        "per variable, with None for an open side"
    )
    try:
        pairs = list(bounds)
    except TypeError:
        raise TypeError(f"{accepted}; got {bounds!r}.") from None
    if len(pairs) != n:
        raise ValueError(f"{accepted}: {n} pairs expected (the length of x0), got {len(pairs)}.")
    lower = np.empty(n)
    upper = np.empty(n)
    for i, pair in enumerate(pairs):
        try:
            low, high = pair
        except (TypeError, ValueError):
            raise ValueError(f"{accepted}; entry {i} is {pair!r}.") from None
        lower[i] = _bound_value(low, -np.inf, accepted, i)
        upper[i] = _bound_value(high, np.inf, accepted, i)
    return lower, upper


def _bound_value(value: Any, open_value: float, accepted: str, i: int) -> float:
    if value is None:
        return open_value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{accepted}; entry {i} holds {value!r}.") from None
    if np.isnan(number):
        raise ValueError(f"{accepted}; entry {i} holds NaN (use None for an open side).")
    return number
