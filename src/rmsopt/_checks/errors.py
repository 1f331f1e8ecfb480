"""The one wording of every input error rmsopt raises::

The 'rho' option of method 'rmsprop' must be a float in the range [0, 1). Got 1.5 instead.
The 'x0' argument must be finite. Got nan at index 1 instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

import numpy as np

__all__ = ["argument", "invalid", "summary"]

# What a message shows of a value it names: its repr up to this length, else a summary. A
# message stays short (about 300 characters at most) whatever the user passed.
_SHOWN = 80


def argument(name: str) -> str:
    """The subject of an error about a parameter of `minimize`."""
    return f"The {name!r} argument"


def invalid(error: type[Exception], subject: str, accepted: str, got: str) -> Exception:
    """``error`` with the message ``"<subject> must be <accepted>. Got <got> instead."``;
    a ``got`` longer than a short line is cut (callers pass a `summary` of the value)."""
    if len(got) > _SHOWN:
        got = got[: _SHOWN - 3] + "..."
    return error(f"{subject} must be {accepted}. Got {got} instead.")


def summary(value: Any) -> str:
    """``value`` for a message: its repr when short, else what it is (type, shape, dtype,
    size or keys), never its whole contents."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = ""
    if text and len(text) <= _SHOWN:
        return text
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"the {kind} {value.__qualname__.split('.<locals>.')[-1]}"
    if isinstance(value, np.ndarray):
        return f"a {value.dtype.name} array of shape {value.shape}"
    if isinstance(value, Mapping):
        keys = ", ".join(repr(key) for key in list(value)[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"{article} {kind} with the keys [{keys}{more}]"
    if isinstance(value, Sized) and not isinstance(value, str):
        return f"{article} {kind} of {len(value)} items"
    if text:  # a long number or string: its beginning
        return text[: _SHOWN - 3] + "..."
    return f"{article} {kind}"
