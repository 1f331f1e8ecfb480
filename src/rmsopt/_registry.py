"""The registry of declared methods: `minimize`'s dispatch and the contract
tests read it."""

from __future__ import annotations

from typing import Any

from ._adadelta import ADADELTA
from ._adagrad import ADAGRAD
from ._adam import ADAM, ADAMW
from ._errors import argument, invalid
from ._method import Method
from ._rmsprop import RMSPROP
from ._sgd import SGD

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
