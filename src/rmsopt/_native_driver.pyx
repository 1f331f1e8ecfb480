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
from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport INFINITY, NAN, isfinite

from ._history cimport History, record
from ._kernel cimport Kernel, committable_step
from ._termination cimport CALLBACK_STOP, CONTINUE, NONFINITE, termination
from ._vector cimport all_finite, max_abs_difference, projected_gradient_max_norm

from ._status import Status
from .schedules import validated_rate

# Iterations between checks for Ctrl-C (a check takes the GIL, about 0.1 us).
DEF SIGNAL_CHECK_INTERVAL = 65536

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

    cdef inline double evaluate(self,
                                Py_ssize_t n,
                                const double* x,      # IN
                                double* grad,         # OUT
                                ) noexcept nogil:
        # NaN first: a function that leaves part of grad unwritten (a Python function behind
        # ctypes that raised writes nothing and returns 0) then stops the run as non-finite,
        # instead of stepping on an older gradient.
        cdef Py_ssize_t i
        for i in range(n):
            grad[i] = NAN
        self.nfev += 1
        return self.function(<int>n, x, grad, self.user_data)

    def value_and_gradient(self, x):
        """``(value, gradient)`` at ``x`` (a float64 array), counted as a call."""
        cdef double[::1] point = np.array(x, dtype=np.float64, copy=True)
        grad = np.empty_like(np.asarray(point))
        cdef double[::1] grad_view = grad
        cdef Py_ssize_t n = point.shape[0]
        cdef double value
        # An empty view has no element 0 to take the address of.
        cdef const double* point_data = &point[0] if n > 0 else NULL
        cdef double* grad_data = &grad_view[0] if n > 0 else NULL
        with nogil:
            value = self.evaluate(n, point_data, grad_data)
        return value, grad


cdef inline int advance(Kernel kernel,
                        NativeObjective objective,
                        Py_ssize_t n,
                        Py_ssize_t rows,                # of the state blocks
                        const double* x,                # IN: the current iterate
                        const double* grad,             # IN: its gradient
                        const double* state,            # IN: the state that produced it
                        double* x_next,                 # OUT: the next iterate
                        double* grad_next,              # OUT: its gradient
                        double* state_next,             # OUT
                        double* clip_buffer,            # scratch, n when clipping
                        double clipnorm,
                        double clipvalue,
                        Py_ssize_t step,
                        double rate,
                        const double* lower,            # IN: the box, or NULL
                        const double* upper,            # IN
                        double* value_next,             # OUT
                        double* step_norm,              # OUT
                        ) noexcept nogil:
    # One step and the evaluation after it: CONTINUE, or NONFINITE when the step or the
    # evaluation is not finite (the buffers of the current iterate are left as they were).
    if not committable_step(kernel, n, rows, x, grad, state, x_next, state_next, clip_buffer,
                            clipnorm, clipvalue, step, rate, lower, upper):
        return NONFINITE
    value_next[0] = objective.evaluate(n, x_next, grad_next)
    if not (isfinite(value_next[0]) and all_finite(n, grad_next)):
        return NONFINITE
    step_norm[0] = max_abs_difference(n, x_next, x)
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
    (the value is always known here). ``x0`` is not empty (the front door
    refuses that)."""
    cdef:
        Py_ssize_t n = x0.shape[0], rows = state0.shape[0], nit = 0, step, i
        int current = 0, following, code = CONTINUE
        bint has_history = history is not None
        bint scheduled = callable(learning_rate)
        bint keep_all = allvecs is not None
        bint calls_back = callback is not None
        bint stopped = False
        double rate = 0.0 if scheduled else learning_rate, committed_rate = rate
        double value, new_value, previous_value = INFINITY
        double gradient_norm, step_norm = INFINITY
        const double* lower_data = NULL
        const double* upper_data = NULL
        double* clip_data = NULL
        double[:, ::1] xs, grads
        double[:, :, ::1] states
        double[::1] clip_buffer
        # Two buffers each for the iterate, its gradient and the state; `current` says which
        # holds the committed ones. Their addresses are taken once here: the loop passes raw
        # pointers and never slices a view (slicing costs atomic reference counts, and passing
        # a view copies its struct, both more than the step itself at small n).
        double* x_rows[2]
        double* grad_rows[2]
        double* state_blocks[2]

    xs_array = np.empty((2, n))
    grads_array = np.empty((2, n))
    states_array = np.empty((2, rows, n))
    xs, grads, states = xs_array, grads_array, states_array
    xs[0] = x0
    states[0] = state0
    # Rows a configuration never writes must hold their values in both buffers.
    states[1] = state0
    clip_buffer = np.empty(n if clipnorm > 0 or clipvalue > 0 else 0)
    for i in range(2):
        x_rows[i] = &xs[i, 0]
        grad_rows[i] = &grads[i, 0]
        state_blocks[i] = &states[i, 0, 0]
    if clip_buffer.shape[0] > 0:
        clip_data = &clip_buffer[0]
    if lower is not None:
        lower_data, upper_data = &lower[0], &upper[0]
    x_views = (xs_array[0], xs_array[1])
    grad_views = (grads_array[0], grads_array[1])

    with nogil:
        value = objective.evaluate(n, x_rows[0], grad_rows[0])
        if not (isfinite(value) and all_finite(n, grad_rows[0])):
            code = NONFINITE
        elif has_history:
            record(history, kernel, 0, value, n, grad_rows[0], x_rows[0], x_rows[0],
                   state_blocks[0], 0, rate, False)
        while code == CONTINUE:
            gradient_norm = projected_gradient_max_norm(n, x_rows[current], grad_rows[current],
                                                        lower_data, upper_data, maximize)
            code = termination(gradient_norm, gtol, nit, value, previous_value, ftol, step_norm,
                               xtol, rate, maxiter, objective.nfev, maxfev)
            if code != CONTINUE:
                break
            if nit % SIGNAL_CHECK_INTERVAL == SIGNAL_CHECK_INTERVAL - 1:
                # Nothing else in the loop enters Python, where Ctrl-C is noticed.
                with gil:
                    PyErr_CheckSignals()

            step = steps_taken + nit + 1
            if scheduled:
                with gil:
                    rate = validated_rate(learning_rate(step - 1), step - 1)
            following = 1 - current
            code = advance(kernel, objective, n, rows, x_rows[current], grad_rows[current],
                           state_blocks[current], x_rows[following], grad_rows[following],
                           state_blocks[following], clip_data, clipnorm, clipvalue, step, rate,
                           lower_data, upper_data, &new_value, &step_norm)
            if code != CONTINUE:
                break
            current = following
            committed_rate = rate
            previous_value, value = value, new_value
            nit += 1

            if has_history:
                record(history, kernel, nit, value, n, grad_rows[current], x_rows[1 - current],
                       x_rows[current], state_blocks[current], step, rate, False)
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
            record(history, kernel, nit, value, n, grad_rows[current], x_rows[1 - current],
                   x_rows[current], state_blocks[current], steps_taken + nit, committed_rate,
                   True)
    return (
        Status(code),
        nit,
        value,
        xs_array[current].copy(),
        grads_array[current].copy(),
        states_array[current].copy(),
    )
