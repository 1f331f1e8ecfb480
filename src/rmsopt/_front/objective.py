"""The user's objective in one normalised form: every ``jac`` form, call counts,
and checks of what the user's functions return.

The driver asks for a gradient at every iterate and for the value only when
something needs it; this module decides what that costs in calls of the
user's functions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

# SciPy's own finite differences, the ones its minimize uses (private module, present since
# SciPy 1.1; pyproject pins scipy>=1.11).
from scipy.optimize._numdiff import approx_derivative

from .._checks.errors import invalid, summary

__all__ = ["FINITE_DIFFERENCES", "Objective", "as_scalar"]

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
        # Variables fixed by lower == upper are left out of finite differences (a zero step).
        self.free = (
            None if bounds is None or np.all(bounds[0] < bounds[1]) else bounds[0] < bounds[1]
        )
        self.gradient_source = "'fun' (with jac=True)" if jac is True else "'jac'"
        self.separate_gradient = jac is not True and callable(jac)
        self.nfev = 0
        self.njev = 0
        self._spare: np.ndarray | None = None

    def _copy(self, x: np.ndarray) -> np.ndarray:
        """A copy of ``x`` for the user's functions, which may keep or change it (SciPy's
        convention). The last copy is reused when nothing else holds it or a view of it: a
        fresh array of n elements every call would cost more than the step."""
        spare = self._spare
        # References: the attribute, `spare` and getrefcount's argument. Any other is the user's.
        if spare is None or sys.getrefcount(spare) > 3 or spare.shape != x.shape:
            spare = self._spare = np.empty_like(x)
        spare[...] = x  # x is the run's own: of one dtype for the whole run
        return spare

    def value(self, x: np.ndarray, args: tuple | None = None) -> float:
        """``fun`` at ``x`` as a float (for ``jac=True``, the value part).
        ``args`` (a minibatch) replaces the objective's own."""
        args = self.args if args is None else args
        if self.jac is True:
            return self._value_and_gradient(x, args)[0]
        self.nfev += 1
        return as_scalar(self.fun(self._copy(x), *args))

    def gradient(
        self, x: np.ndarray, need_value: bool, args: tuple | None = None
    ) -> tuple[float | None, np.ndarray | None, bool]:
        """``(value, gradient, private)`` at ``x``: the value when it was asked for or came
        for free, else None; the gradient as an array of x's shape (the user's own when it
        is one; None when the value is not finite and finite differences could not be
        taken); and whether nothing but the caller holds that array, which may then keep it
        instead of copying it. ``args`` (a minibatch) replaces the objective's own."""
        if args is None:
            args = self.args
        if self.separate_gradient:  # the common case first: this runs every iteration
            value = self.value(x, args) if need_value else None
            self.njev += 1
            grad = self.jac(self._copy(x), *args)
        elif self.jac is True:
            value, grad = self._value_and_gradient(x, args)
        else:
            # Finite differences need the value at x anyway; SciPy reuses it as f0.
            value = self.value(x, args)
            if not np.isfinite(value):
                return value, None, False  # differences from a non-finite f0 mean nothing
            self.njev += 1
            grad = self._finite_differences(x, value, args)
        if not (type(grad) is np.ndarray and grad.shape == x.shape and grad.dtype.kind in "fiu"):
            grad = _as_gradient(grad, x.shape[0], self.gradient_source)
        # References to an array nobody else holds: the name `grad` and getrefcount's argument.
        private = grad.base is None and sys.getrefcount(grad) == 2
        return value, grad, private

    def evaluate(
        self, x: np.ndarray, grad_out: np.ndarray, need_value: bool, args: tuple | None = None
    ) -> float | None:
        """Write the gradient at ``x`` into ``grad_out``; return the value when it
        was asked for or came for free, else None (see `gradient`)."""
        value, grad, _ = self.gradient(x, need_value, args)
        grad_out[...] = np.nan if grad is None else grad
        return value

    def _finite_differences(self, x: np.ndarray, value: float, args: tuple) -> np.ndarray:
        def counted_fun(point: np.ndarray) -> Any:
            # Raw values: the complex-step method needs fun's complex result.
            self.nfev += 1
            return self.fun(point, *args)

        if self.free is None:
            return approx_derivative(
                counted_fun, x.copy(), method=self.jac, f0=value, bounds=self.bounds
            )
        free = self.free

        def restricted(x_free: np.ndarray) -> Any:
            full = x.astype(np.result_type(x, x_free))
            full[free] = x_free
            return counted_fun(full)

        grad = np.zeros_like(x)
        grad[free] = approx_derivative(
            restricted,
            x[free],
            method=self.jac,
            f0=value,
            bounds=(self.bounds[0][free], self.bounds[1][free]),
        )
        return grad

    def _value_and_gradient(self, x: np.ndarray, args: tuple) -> tuple[float, Any]:
        self.nfev += 1
        self.njev += 1
        returned = self.fun(self._copy(x), *args)
        if not isinstance(returned, (tuple, list)) or len(returned) != 2:
            raise invalid(
                TypeError,
                "With jac=True, the value returned by 'fun'",
                "a pair (value, gradient)",
                f"{type(returned).__name__} {returned!r}",
            )
        return as_scalar(returned[0]), returned[1]


def as_scalar(value: Any, subject: str = "The value returned by 'fun'") -> float:
    """``value`` as a float, or an error naming ``subject``."""
    accepted = "a real scalar"
    if isinstance(value, tuple) and len(value) == 2:
        # fun(x) -> (value, gradient) is jac=True's form: say so rather than fail on shapes.
        raise invalid(
            TypeError,
            subject,
            f"{accepted}; a fun that returns (value, gradient) needs jac=True",
            "a tuple of 2 elements",
        )
    try:
        array = np.asarray(value)
    except ValueError:  # ragged sequences
        raise invalid(TypeError, subject, accepted, summary(value)) from None
    if array.dtype.kind not in "iuf":
        raise invalid(TypeError, subject, accepted, _describe(value, array))
    if array.size != 1:
        raise invalid(ValueError, subject, accepted, f"an array of shape {array.shape}")
    return float(array.reshape(()))


def _as_gradient(grad: Any, n: int, source: str) -> np.ndarray:
    subject = f"The gradient returned by {source}"
    array = np.asarray(grad)
    if array.dtype.kind not in "iuf":
        raise invalid(TypeError, subject, "an array of real numbers", _describe(grad, array))
    if array.shape != (n,) and not (n == 1 and array.size == 1):
        raise invalid(
            ValueError, subject, f"of shape ({n},), the shape of x0", f"shape {array.shape}"
        )
    return array.reshape(n)


def _describe(value: Any, array: np.ndarray) -> str:
    kind = (
        "a complex value" if array.dtype.kind == "c" else f"a value of type {type(value).__name__}"
    )
    return f"{kind} ({value!r})"
