"""The iteration loop for a C-level objective (a `scipy.LowLevelCallable`):
the same loop as ``_driver.pyx``, run without the GIL from start to end.

The objective computes the value and writes the gradient in one call,
``double f(int n, const double *x, double *grad, void *user_data)``. Python
is entered per iteration only for what the user asked to be Python: a
``callback`` (and the displays riding on it), a learning-rate schedule, and
``return_all``.
"""
import numpy as np

from cpython.pycapsule cimport PyCapsule_GetContext, PyCapsule_GetName, PyCapsule_GetPointer
from libc.math cimport INFINITY, isfinite

from ._history cimport History, record
from ._kernel cimport Kernel, committable_step
from ._termination cimport CALLBACK_STOP, CONTINUE, NONFINITE, termination
from ._vector cimport all_finite, max_abs_difference, projected_gradient_max_norm

from ._status import Status
from .schedules import validated_rate

ctypedef double (*objective_function)(int, const double *, double *, void *) noexcept nogil


cdef class NativeObjective:
    """A C function pointer and its ``user_data`` taken from a
    `scipy.LowLevelCallable` (kept alive here), with call counts."""

    cdef objective_function function
    cdef void *user_data
    cdef readonly object callable
    cdef readonly Py_ssize_t nfev

    def __cinit__(self, callable):
        # SciPy keeps the parsed callback as the tuple's first item: a capsule named by the
        # signature, holding the function pointer, with user_data as its context (what SciPy's
        # own ccallback.h reads).
        capsule = tuple.__getitem__(callable, 0)
        self.function = <objective_function>PyCapsule_GetPointer(
            capsule, PyCapsule_GetName(capsule)
        )
        self.user_data = PyCapsule_GetContext(capsule)
        self.callable = callable
        self.nfev = 0

    @property
    def njev(self):
        return self.nfev

    cdef inline double evaluate(self, double[::1] x, double[::1] grad) noexcept nogil:
        self.nfev += 1
        return self.function(<int>x.shape[0], &x[0], &grad[0], self.user_data)

    def value_and_gradient(self, x):
        """``(value, gradient)`` at ``x`` (a float64 array), counted as a call."""
        cdef double[::1] point = np.array(x, dtype=np.float64, copy=True)
        grad = np.empty_like(np.asarray(point))
        cdef double[::1] grad_view = grad
        cdef double value
        with nogil:
            value = self.evaluate(point, grad_view)
        return value, grad


cdef inline int advance(Kernel kernel,
                        NativeObjective objective,
                        const double[::1] x,            # IN: the current iterate
                        const double[::1] grad,         # IN: its gradient
                        const double[:, ::1] state,     # IN: the state that produced it
                        double[::1] x_next,             # OUT: the next iterate
                        double[::1] grad_next,          # OUT: its gradient
                        double[:, ::1] state_next,      # OUT
                        double[::1] clip_buffer,
                        double clipnorm,
                        double clipvalue,
                        Py_ssize_t step,
                        double rate,
                        const double[::1] lower,
                        const double[::1] upper,
                        double *value_next,             # OUT
                        double *step_norm,              # OUT
                        ) noexcept nogil:
    # One step and the evaluation after it: CONTINUE, or NONFINITE when the step or the
    # evaluation is not finite (the buffers of the current iterate are left as they were).
    if not committable_step(kernel, x, grad, state, x_next, state_next, clip_buffer, clipnorm,
                            clipvalue, step, rate, lower, upper):
        return NONFINITE
    value_next[0] = objective.evaluate(x_next, grad_next)
    if not (isfinite(value_next[0]) and all_finite(grad_next)):
        return NONFINITE
    step_norm[0] = max_abs_difference(x_next, x)
    return CONTINUE


def run(Kernel kernel,
        const double[::1] x0,
        const double[:, ::1] state0,
        NativeObjective objective,
        *,
        Py_ssize_t steps_taken,
        object learning_rate,
        double clipnorm,
        double clipvalue,
        object callback,
        bint maximize,
        Py_ssize_t maxiter,
        Py_ssize_t maxfev,
        double gtol,
        double ftol,
        double xtol,
        const double[::1] lower=None,
        const double[::1] upper=None,
        list allvecs=None,
        History history=None):
    """Iterate ``kernel`` from ``x0`` and ``state0`` on ``objective`` until a
    termination criterion holds; the arguments and the returned
    ``(status, nit, value, x, grad, state)`` are those of ``_driver.run``
    (the value is always known here)."""
    cdef:
        Py_ssize_t n = x0.shape[0], nit = 0, step
        int current = 0, code = CONTINUE
        bint has_bounds = lower is not None
        bint has_history = history is not None
        bint scheduled = callable(learning_rate)
        bint keep_all = allvecs is not None
        bint calls_back = callback is not None
        bint stopped = False
        double rate = 0.0 if scheduled else learning_rate, committed_rate = rate
        double value, new_value, previous_value = INFINITY
        double gradient_norm, step_norm = INFINITY
        double[::1] clip_buffer
        # Two buffers each for the iterate, its gradient and the state; `current` says which
        # holds the committed ones. Fixed views, so that the loop never slices (slicing a view
        # costs atomic reference counts, which at small n would cost more than the step).
        double[::1] x_a, x_b, grad_a, grad_b
        double[:, ::1] state_a, state_b

    xs_array = np.empty((2, n))
    grads_array = np.empty((2, n))
    states_array = np.empty((2,) + np.asarray(state0).shape)
    x_a, x_b = xs_array[0], xs_array[1]
    grad_a, grad_b = grads_array[0], grads_array[1]
    state_a, state_b = states_array[0], states_array[1]
    x_a[:] = x0
    state_a[...] = state0
    # Rows a configuration never writes must hold their values in both buffers.
    state_b[...] = state0
    clip_buffer = np.empty(n if clipnorm > 0 or clipvalue > 0 else 0)
    x_views = (xs_array[0], xs_array[1])
    grad_views = (grads_array[0], grads_array[1])

    with nogil:
        value = objective.evaluate(x_a, grad_a)
        if not (isfinite(value) and all_finite(grad_a)):
            code = NONFINITE
        elif has_history:
            record(history, kernel, 0, value, grad_a, x_a, x_a, state_a, 0, rate, False)
        while code == CONTINUE:
            if current == 0:
                gradient_norm = projected_gradient_max_norm(x_a, grad_a, lower, upper,
                                                            has_bounds, maximize)
            else:
                gradient_norm = projected_gradient_max_norm(x_b, grad_b, lower, upper,
                                                            has_bounds, maximize)
            code = termination(gradient_norm, gtol, nit, value, previous_value, ftol, step_norm,
                               xtol, rate, maxiter, objective.nfev, maxfev)
            if code != CONTINUE:
                break

            step = steps_taken + nit + 1
            if scheduled:
                with gil:
                    rate = validated_rate(learning_rate(step - 1), step - 1)
            if current == 0:
                code = advance(kernel, objective, x_a, grad_a, state_a, x_b, grad_b, state_b,
                               clip_buffer, clipnorm, clipvalue, step, rate, lower, upper,
                               &new_value, &step_norm)
            else:
                code = advance(kernel, objective, x_b, grad_b, state_b, x_a, grad_a, state_a,
                               clip_buffer, clipnorm, clipvalue, step, rate, lower, upper,
                               &new_value, &step_norm)
            if code != CONTINUE:
                break
            current = 1 - current
            committed_rate = rate
            previous_value, value = value, new_value
            nit += 1

            if has_history:
                if current == 0:
                    record(history, kernel, nit, value, grad_a, x_b, x_a, state_a, step, rate,
                           False)
                else:
                    record(history, kernel, nit, value, grad_b, x_a, x_b, state_b, step, rate,
                           False)
            if keep_all or calls_back:
                with gil:
                    if keep_all:
                        allvecs.append(x_views[current].copy())
                    if calls_back:
                        try:
                            callback(x_views[current], value, grad_views[current], nit)
                        except StopIteration:
                            stopped = True
                if stopped:
                    code = CALLBACK_STOP
                    break
        if has_history and nit > 0:
            if current == 0:
                record(history, kernel, nit, value, grad_a, x_b, x_a, state_a,
                       steps_taken + nit, committed_rate, True)
            else:
                record(history, kernel, nit, value, grad_b, x_a, x_b, state_b,
                       steps_taken + nit, committed_rate, True)
    return (
        Status(code),
        nit,
        value,
        xs_array[current].copy(),
        grads_array[current].copy(),
        states_array[current].copy(),
    )
