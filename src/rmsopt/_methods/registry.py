"""The one list of methods: `minimize`'s dispatch, the public functions and classes and the
contract tests read it."""

from __future__ import annotations

from typing import Any

from .._checks.errors import argument, invalid
from .adadelta import ADADELTA
from .adafactor import ADAFACTOR
from .adagrad import ADAGRAD
from .adam import ADAM, ADAMW
from .adamax import ADAMAX
from .asgd import ASGD
from .lion import LION
from .method import Method
from .muon import MUON
from .nadam import NADAM
from .radam import RADAM
from .rmsprop import RMSPROP
from .rprop import RPROP
from .sgd import SGD

__all__ = ["METHODS", "defaults", "get_method"]

METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        RMSPROP,
        ADAGRAD,
        ADADELTA,
        ADAM,
        ADAMW,
        SGD,
        ADAMAX,
        NADAM,
        RADAM,
        RPROP,
        ASGD,
        LION,
        ADAFACTOR,
        MUON,
    )
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


def defaults(method: Any, framework: str = "torch") -> dict[str, Any]:
    """The options that give ``method`` the defaults of ``framework``.

    rmsopt's defaults are torch's for every method but RMSprop, whose
    ``learning_rate`` (1e-3) and ``rho`` (0.9) are Keras's; this gives each
    framework's, to pass on as they are.

    Parameters
    ----------
    method : str
        A method name (case-insensitive).
    framework : str, optional
        ``"torch"`` (every method but Lion, which torch does not have);
        ``"keras"`` for RMSprop, Adagrad, Adam, AdamW and SGD; ``"optax"`` for
        RMSprop, Adam, AdamW and Lion; ``"tf1"`` for RMSprop. optax and TF1
        have no default learning rate: rmsopt's is kept. docs/methods.md lists
        every setting.

    Returns
    -------
    dict
        ``learning_rate`` and the method's own options.

    Examples
    --------
    >>> import numpy as np
    >>> import rmsopt
    >>> rmsopt.defaults("rmsprop", "torch")["rho"]
    0.99
    >>> opt = rmsopt.RMSprop(np.zeros(3), **rmsopt.defaults("rmsprop", "torch"))
    >>> opt.learning_rate
    0.01
    """
    declared = get_method(method)
    if not isinstance(framework, str) or framework not in declared.frameworks:
        accepted = "one of " + ", ".join(repr(name) for name in declared.frameworks)
        raise invalid(ValueError, argument("framework"), accepted, repr(framework))
    return declared.framework_defaults(framework)
