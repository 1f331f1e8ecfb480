"""The user's objective in one normalised form: every ``jac`` form, call counts,
and checks of what the user's functions return.

The driver asks for a gradient at every iterate and for the value only when
something needs it; this module decides what that costs in calls of the
user's functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize._numdiff import approx_derivative

__all__ = ["FINITE_DIFFERENCES", "Objective"]

FINITE_DIFFERENCES = ("2-point", "3-point", "cs")


class Objective:
    """Evaluate ``fun`` and its gradient at the driver's iterates.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or ``-> (float, ndarray)`` when ``jac is True``.
    jac : callable, True, or one of ``FINITE_DIFFERENCES``
        Already normalised by the front door (``None`` became ``"2-point"``).
    args : tuple
        Extra arguments for ``fun`` and ``jac``.
    bounds : (lower, upper) or None
        Keeps finite-difference steps inside the box.

    Attributes
    ----------
    nfev, njev : int
        Calls of ``fun`` (finite-difference calls included) and gradients
        obtained (each finite-difference gradient counts once).
    """

    def __init__(
        self,
        fun: Callable[..., Any],
        jac: Callable[..., Any] | bool | str,
        args: tuple,
        bounds: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        self.fun = fun
        self.jac = jac
        self.args = args
        self.bounds = (-np.inf, np.inf) if bounds is None else bounds
        self.nfev = 0
        self.njev = 0

    def value(self, x: np.ndarray) -> float:
        """``fun`` at ``x`` as a float (for ``jac=True``, the value part)."""
        if self.jac is True:
            return self._value_and_gradient(x)[0]
        self.nfev += 1
        return _as_scalar(self.fun(x.copy(), *self.args))

    def evaluate(self, x: np.ndarray, grad_out: np.ndarray, need_value: bool) -> float | None:
        """Write the gradient at ``x`` into ``grad_out``; return the value when it
        was asked for or came for free, else None."""
        if self.jac is True:
            value, grad = self._value_and_gradient(x)
        elif callable(self.jac):
            value = self.value(x) if need_value else None
            self.njev += 1
            grad = self.jac(x.copy(), *self.args)
        else:
            # Finite differences need the value at x anyway; SciPy reuses it as f0.
            value = self.value(x)
            if not np.isfinite(value):
                grad_out[...] = np.nan  # differences from a non-finite f0 mean nothing
                return value
            self.njev += 1
            grad = approx_derivative(
                self._counted_fun, x.copy(), method=self.jac, f0=value, bounds=self.bounds
            )
        grad_out[...] = _as_gradient(grad, x.shape[0])
        return value

    def _value_and_gradient(self, x: np.ndarray) -> tuple[float, Any]:
        self.nfev += 1
        self.njev += 1
        returned = self.fun(x.copy(), *self.args)
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            raise TypeError(
                "With jac=True, 'fun' must return a pair (value, gradient); "
                f"got {type(returned).__name__} instead."
            )
        return _as_scalar(returned[0]), returned[1]

    def _counted_fun(self, x: np.ndarray) -> Any:
        # Raw values: the complex-step method needs fun's complex result.
        self.nfev += 1
        return self.fun(x, *self.args)


def _as_scalar(value: Any) -> float:
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"'fun' must return a real scalar; got {_describe(value, array)} instead.")
    if array.size != 1:
        raise ValueError(
            f"'fun' must return a real scalar; got an array of shape {array.shape} instead."
        )
    return float(array.reshape(()))


def _as_gradient(grad: Any, n: int) -> np.ndarray:
    array = np.asarray(grad)
    if array.dtype.kind not in "iuf":
        raise TypeError(
            "The gradient ('jac', or the second item returned by 'fun' with jac=True) must "
            f"be an array of real numbers; got {_describe(grad, array)} instead."
        )
    if array.shape != (n,) and not (n == 1 and array.size == 1):
        raise ValueError(
            "The gradient ('jac', or the second item returned by 'fun' with jac=True) must "
            f"have shape ({n},), the shape of x0; got shape {array.shape} instead."
        )
    return array.reshape(n)


def _describe(value: Any, array: np.ndarray) -> str:
    if array.dtype.kind == "c":
        return f"a complex value ({value!r})"
    return f"a value of type {type(value).__name__} ({value!r})"
