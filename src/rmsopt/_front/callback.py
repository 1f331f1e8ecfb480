"""SciPy's two callback forms, chosen by SciPy's rule."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .._checks.errors import argument, invalid

__all__ = ["ResultCallback", "adapt_callback", "adapt_epoch_callback"]

Notify = Callable[[np.ndarray, "float | None", np.ndarray, int], None]
# At an epoch's end: (x, epoch, nit, train_loss or None, val_fun or None).
EpochNotify = Callable[[np.ndarray, int, int, "float | None", "float | None"], None]


class ResultCallback:
    """``callback(intermediate_result=...)`` after every iteration; ``position``, when set (a
    minibatch run sets it), adds its fields (``epoch``, ``batch``) to the result."""

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.callback = callback
        self.position: Callable[[], dict[str, Any]] | None = None

    def __call__(self, x: np.ndarray, value: float | None, grad: np.ndarray, nit: int) -> None:
        extra = {} if self.position is None else self.position()
        self.callback(
            intermediate_result=OptimizeResult(
                x=x.copy(), fun=value, jac=grad.copy(), nit=nit, **extra
            )
        )


def adapt_callback(callback: Any) -> tuple[Notify | None, bool]:
    """Return ``(notify, needs_value)`` where the driver calls
    ``notify(x, value, grad, nit)`` after every iteration.

    As in `scipy.optimize.minimize`, a callback whose only parameter is named
    ``intermediate_result`` receives an `OptimizeResult` with ``x``, ``fun``,
    ``jac`` and ``nit``; any other callback receives a copy of ``x``.
    """
    if callback is None:
        return None, False
    if _takes_intermediate_result(callback, "callback"):
        return ResultCallback(callback), True

    def notify_legacy(x: np.ndarray, value: float | None, grad: np.ndarray, nit: int) -> None:
        callback(x.copy())

    return notify_legacy, False


def adapt_epoch_callback(callback: Any) -> EpochNotify | None:
    """The ``epoch_callback`` option as an epoch notification, by SciPy's callback rule: an
    `OptimizeResult` with ``x``, ``epoch``, ``nit``, ``train_loss`` and ``val_fun``, or a copy
    of ``x``. It is validated as a callable or None already."""
    if callback is None:
        return None
    if _takes_intermediate_result(callback, "epoch_callback"):

        def notify(x: np.ndarray, epoch: int, nit: int, train_loss: Any, val_fun: Any) -> None:
            callback(
                intermediate_result=OptimizeResult(
                    x=x.copy(), epoch=epoch, nit=nit, train_loss=train_loss, val_fun=val_fun
                )
            )

        return notify

    def notify_legacy(x: np.ndarray, epoch: int, nit: int, train_loss: Any, val_fun: Any) -> None:
        callback(x.copy())

    return notify_legacy


def _takes_intermediate_result(callback: Any, name: str) -> bool:
    """SciPy's rule: whether ``callback``'s only parameter is named ``intermediate_result``."""
    if not callable(callback):
        raise invalid(
            TypeError,
            argument(name),
            "callable, as callback(intermediate_result) or callback(xk), or None",
            repr(callback),
        )
    try:
        parameters = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        parameters = set()
    return parameters == {"intermediate_result"}
