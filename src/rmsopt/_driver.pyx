"""The iteration loop: evaluate, test termination, step, project, call back.

The front door (``_minimize.py``) has validated everything: arrays are
C-contiguous, of one dtype, and of matching lengths.
"""
import numpy as np

from cython cimport floating
from libc.math cimport INFINITY, fabs, fmax, isfinite

from ._kernel cimport Kernel, kernel_step
from ._vector cimport (
    all_finite,
    all_finite_rows,
    max_abs_difference,
    project_onto_box,
    projected_gradient_max_norm,
)

from ._status import Status


cdef inline bint _finite(object value, const floating[::1] grad) noexcept:
    return (value is None or isfinite(<double>value)) and all_finite(grad)


def run(Kernel kernel,
        floating[::1] x,
        floating[:, ::1] state,
        object objective,
        object callback,
        bint need_value,
        double learning_rate,
        bint maximize,
        Py_ssize_t maxiter,
        Py_ssize_t maxfev,
        double gtol,
        double ftol,
        double xtol,
        const double[::1] lower=None,
        const double[::1] upper=None,
        list allvecs=None):
    """Iterate ``kernel`` from ``x`` (updated in place) until a criterion holds.

    ``objective.evaluate(x, grad_out, need_value)`` writes the gradient into
    ``grad_out`` and returns the value (``None`` when not asked for and not
    free); ``objective.nfev`` counts calls of the user's function.
    ``callback(x, value, grad, nit)`` runs after every step and may raise
    ``StopIteration``. ``maxfev <= 0`` means no limit.

    Returns ``(status, nit, value, grad)`` for the final ``x``: when a step
    produces a non-finite iterate, value or gradient, ``x`` is rolled back to the
    last iterate whose values were finite.
    """
    cdef:
        Py_ssize_t nit = 0
        bint has_bounds = lower is not None
        bint finite_step
        double gradient_norm, step_norm = INFINITY, previous_value
        floating[::1] grad, previous_grad, previous_x

    x_array = np.asarray(x)
    grad_array = np.empty_like(x_array)
    previous_grad_array = np.empty_like(x_array)
    grad = grad_array
    previous_grad = previous_grad_array
    previous_x = np.empty_like(x_array)

    value = objective.evaluate(x_array, grad_array, need_value)
    if not _finite(value, grad):
        return Status.NONFINITE, nit, value, grad_array

    while True:
        with nogil:
            gradient_norm = projected_gradient_max_norm(x, grad, lower, upper, has_bounds, maximize)
        if gradient_norm <= gtol:
            status = Status.GTOL
            break
        if nit > 0 and ftol > 0:
            previous_value = previous_value_object
            if fabs(previous_value - value) <= ftol * fmax(fmax(fabs(previous_value), fabs(value)), 1.0):
                status = Status.FTOL
                break
        if nit > 0 and xtol > 0 and step_norm <= xtol:
            status = Status.XTOL
            break
        if nit >= maxiter:
            status = Status.MAXITER
            break
        if maxfev > 0 and objective.nfev >= maxfev:
            status = Status.MAXFEV
            break

        with nogil:
            previous_x[:] = x
            kernel_step(kernel, x, grad, state, nit + 1, learning_rate)
            if has_bounds:
                project_onto_box(x, lower, upper)
            # A finite but huge gradient can overflow the state (v = g**2) while x stays finite.
            finite_step = all_finite(x) and all_finite_rows(state)
        if not finite_step:
            x[:] = previous_x
            status = Status.NONFINITE
            break

        # Evaluate into the spare buffer, so that a rollback keeps the gradient at previous_x.
        new_value = objective.evaluate(x_array, previous_grad_array, need_value)
        if not _finite(new_value, previous_grad):
            x[:] = previous_x
            status = Status.NONFINITE
            break
        grad, previous_grad = previous_grad, grad
        grad_array, previous_grad_array = previous_grad_array, grad_array
        previous_value_object, value = value, new_value
        nit += 1
        with nogil:
            step_norm = max_abs_difference(x, previous_x)

        if allvecs is not None:
            allvecs.append(x_array.copy())
        if callback is not None:
            try:
                callback(x_array, value, grad_array, nit)
            except StopIteration:
                status = Status.CALLBACK_STOP
                break

    return status, nit, value, grad_array
