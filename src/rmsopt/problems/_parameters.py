"""Validation of the catalogue factories' parameters, by the same constraint
objects and in the same wording as the methods' options::

    The 'l2' parameter of problem 'mlp' must be a float in the range [0, inf). Got -1 instead.
"""

from __future__ import annotations

import math
from typing import Any

from .._checks.constraints import Integer, Real

__all__ = ["check_int", "check_real", "subject"]


def subject(problem: str, name: str) -> str:
    """The subject of an error about the parameter ``name`` of the factory
    ``problem``."""
    return f"The {name!r} parameter of problem {problem!r}"


def check_int(problem: str, name: str, value: Any, low: int) -> int:
    """``value`` as an int, after checking it is an integer >= ``low`` (bools
    refused): `TypeError` for another type, `ValueError` out of range."""
    return Integer(low).check(value, subject(problem, name))


def check_real(
    problem: str, name: str, value: Any, low: float = -math.inf, low_closed: bool = True
) -> float:
    """``value`` as a float, after checking it is a finite real number (bools
    refused) >= ``low``, or > ``low`` when not ``low_closed``: `TypeError` for
    another type, `ValueError` out of range."""
    return Real(low, low_closed=low_closed).check(value, subject(problem, name))
