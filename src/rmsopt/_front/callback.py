"""SciPy's two callback forms, chosen by SciPy's rule."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .._checks.errors import argument, invalid

__all__ = ["adapt_callback"]

Notify = Callable[[np.ndarray, "float | None", np.ndarray, int], None]


def adapt_callback(callback: Any) -> tuple[Notify | None, bool]:
    """Return ``(notify, needs_value)`` where the driver calls
    ``notify(x, value, grad, nit)`` after every iteration.

    As in `scipy.optimize.minimize`, a callback whose only parameter is named
    ``intermediate_result`` receives an `OptimizeResult` with ``x``, ``fun``,
    ``jac`` and ``nit``; any other callback receives a copy of ``x``.
    """
    if callback is None:
        return None, False
    if not callable(callback):
        raise invalid(
            TypeError,
            argument("callback"),
            "callable, as callback(intermediate_result) or callback(xk), or None",
            repr(callback),
        )
    try:
        parameters = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        parameters = set()

    if parameters == {"intermediate_result"}:

        def notify(x: np.ndarray, value: float | None, grad: np.ndarray, nit: int) -> None:
            callback(
                intermediate_result=OptimizeResult(x=x.copy(), fun=value, jac=grad.copy(), nit=nit)
            )

        return notify, True

    def notify_legacy(x: np.ndarray, value: float | None, grad: np.ndarray, nit: int) -> None:
        callback(x.copy())

    return notify_legacy, False
