"""The one list of methods: `minimize`'s dispatch, the public functions and classes and the
contract tests read it."""

from __future__ import annotations

from typing import Any

from .._checks.errors import argument, invalid
from .adadelta import ADADELTA
from .adagrad import ADAGRAD
from .adam import ADAM, ADAMW
from .method import Method
from .rmsprop import RMSPROP
from .sgd import SGD

__all__ = ["METHODS", "get_method"]

METHODS: dict[str, Method] = {
    method.name: method for method in (RMSPROP, ADAGRAD, ADADELTA, ADAM, ADAMW, SGD)
}


def get_method(name: Any) -> Method:
    """The declaration for ``name`` (case-insensitive)."""
    accepted = f"one of {', '.join(repr(key) for key in METHODS)} (case-insensitive)"
    if not isinstance(name, str):
        raise invalid(TypeError, argument("method"), accepted, repr(name))
    try:
        return METHODS[name.lower()]
    except KeyError:
        raise invalid(ValueError, argument("method"), accepted, repr(name)) from None
