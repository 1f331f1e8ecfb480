"""The one wording of every input error rmsopt raises::

The 'rho' option of method 'rmsprop' must be a float in the range [0, 1). Got 1.5 instead.
The 'x0' argument must be finite. Got nan at index 1 instead.
"""

from __future__ import annotations

__all__ = ["argument", "invalid"]


def argument(name: str) -> str:
    """The subject of an error about a parameter of `minimize`."""
    return f"The {name!r} argument"


def invalid(error: type[Exception], subject: str, accepted: str, got: str) -> Exception:
    """``error`` with the message ``"<subject> must be <accepted>. Got <got> instead."``"""
    return error(f"{subject} must be {accepted}. Got {got} instead.")
