"""The iteration loop: evaluate, test termination, step, project, call back.

The front door (``_minimize.py``) has validated everything: arrays are
C-contiguous, of one dtype, and of matching lengths.
"""
import numpy as np

from cython cimport floating
from libc.math cimport INFINITY

from ._history cimport History, record, value_or_nan
from ._kernel cimport Kernel, committable_step
from ._termination cimport CONTINUE, termination
from ._vector cimport evaluation_finite, max_abs_difference, projected_gradient_max_norm

from ._status import Status

# The smallest n for which the loop lets other threads run during its native work.
DEF RELEASE_GIL_FROM = 1024


cdef inline double norms(Py_ssize_t n,
                         Py_ssize_t nit,
                         floating** x_rows,          # IN: the two iterate buffers
                         floating** grad_rows,       # IN: their gradients
                         int current,                # which buffers hold the iterate
                         const double* lower,        # the box, or NULL
                         const double* upper,
                         bint maximize,
                         double* step_norm,          # OUT: the last step's max-norm (nit > 0)
                         ) noexcept nogil:
    # What the termination tests need of the vectors: the projected gradient's max-norm at
    # the iterate (returned) and, after a step, the step's max-norm.
    if nit > 0:
        step_norm[0] = max_abs_difference(n, x_rows[current], x_rows[1 - current])
    return projected_gradient_max_norm(n, x_rows[current], grad_rows[current], lower, upper,
                                       maximize)
from .schedules import validated_rate


def run(Kernel kernel,
        const floating[::1] x0,
        const floating[:, ::1] state0,
        object objective,
        *,
        Py_ssize_t steps_taken,
        object learning_rate,
        double clipnorm,
        double clipvalue,
        object callback,
        bint need_value,
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
    """Iterate ``kernel`` from ``x0`` and ``state0`` (whose state has taken
    ``steps_taken`` steps) until a termination criterion holds.

    ``objective.evaluate(x, grad_out, need_value)`` writes the gradient into
    ``grad_out`` and returns the value (``None`` when not asked for and not
    free); ``objective.nfev`` counts calls of the user's function.
    ``history`` (or None) records iteration 0 and the iterations after steps.
    ``learning_rate`` is a float, or a schedule called once per step with the
    number of steps taken before it. ``clipnorm``/``clipvalue`` of 0 disable
    clipping. ``callback(x, value, grad, nit)`` runs after every step and may
    raise ``StopIteration``. ``maxfev <= 0`` means no limit.

    Returns ``(status, nit, value, x, grad, state)``. Iterates, gradients and
    states are double-buffered: a step whose iterate, state, value or gradient
    is not finite is discarded, so the result is the last good iterate with the
    state that produced it.
    """
    cdef:
        Py_ssize_t n = x0.shape[0], rows = state0.shape[0], nit = 0, step, i
        int current = 0, following
        bint scheduled = callable(learning_rate)
        bint finite_step
        double rate = 0.0 if scheduled else learning_rate, committed_rate = rate
        double gradient_norm, step_norm = INFINITY
        int code
        bint release = n >= RELEASE_GIL_FROM
        const double* lower_data = NULL
        const double* upper_data = NULL
        floating* clip_data = NULL
        floating[:, ::1] xs, grads
        floating[:, :, ::1] states
        floating[::1] clip_buffer
        # The buffers' addresses, taken once: the loop passes raw pointers and never slices a
        # view (slicing costs atomic reference counts, passing a view copies its struct).
        floating* x_rows[2]
        floating* grad_rows[2]
        floating* state_blocks[2]

    dtype = np.asarray(x0).dtype
    xs_array = np.empty((2, n), dtype=dtype)
    grads_array = np.empty((2, n), dtype=dtype)
    states_array = np.empty((2, rows, n), dtype=dtype)
    xs, grads, states = xs_array, grads_array, states_array
    xs[0] = x0
    states[0] = state0
    # Rows a configuration never writes must hold their values in both buffers.
    states[1] = state0
    clip_buffer = np.empty(n if clipnorm > 0 or clipvalue > 0 else 0, dtype=dtype)
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

    previous_value_object = None
    value = objective.evaluate(x_views[0], grad_views[0], need_value)
    if not evaluation_finite(value, n, grad_rows[0]):
        status = Status.NONFINITE
    else:
        if history is not None:
            record(history, kernel, 0, value_or_nan(value), n, grad_rows[0], x_rows[0],
                   x_rows[0], state_blocks[0], 0, rate, False)
        while True:
            # Releasing the GIL and taking it back costs about 0.1 us: the loop lets other
            # threads run during its native work only where that work is larger.
            if release:
                with nogil:
                    gradient_norm = norms(n, nit, x_rows, grad_rows, current, lower_data,
                                          upper_data, maximize, &step_norm)
            else:
                gradient_norm = norms(n, nit, x_rows, grad_rows, current, lower_data,
                                      upper_data, maximize, &step_norm)
            code = termination(gradient_norm, gtol, nit, value_or_nan(value),
                               value_or_nan(previous_value_object), ftol, step_norm, xtol, rate,
                               maxiter, objective.nfev, maxfev)
            if code != CONTINUE:
                status = Status(code)
                break

            step = steps_taken + nit + 1
            if scheduled:
                rate = validated_rate(learning_rate(step - 1), step - 1)
            following = 1 - current
            if release:
                with nogil:
                    finite_step = committable_step(kernel, n, rows, x_rows[current],
                                                   grad_rows[current], state_blocks[current],
                                                   x_rows[following], state_blocks[following],
                                                   clip_data, clipnorm, clipvalue, step, rate,
                                                   lower_data, upper_data)
            else:
                finite_step = committable_step(kernel, n, rows, x_rows[current],
                                               grad_rows[current], state_blocks[current],
                                               x_rows[following], state_blocks[following],
                                               clip_data, clipnorm, clipvalue, step, rate,
                                               lower_data, upper_data)
            if not finite_step:
                status = Status.NONFINITE
                break

            new_value = objective.evaluate(x_views[following], grad_views[following], need_value)
            if not evaluation_finite(new_value, n, grad_rows[following]):
                status = Status.NONFINITE
                break
            current = following
            committed_rate = rate
            previous_value_object, value = value, new_value
            nit += 1

            if history is not None:
                record(history, kernel, nit, value_or_nan(value), n, grad_rows[current],
                       x_rows[1 - current], x_rows[current], state_blocks[current], step, rate,
                       False)
            if allvecs is not None:
                allvecs.append(x_views[current].copy())
            if callback is not None:
                try:
                    callback(x_views[current], value, grad_views[current], nit)
                except StopIteration:
                    status = Status.CALLBACK_STOP
                    break

    if history is not None and nit > 0:
        record(history, kernel, nit, value_or_nan(value), n, grad_rows[current],
               x_rows[1 - current], x_rows[current], state_blocks[current], steps_taken + nit,
               committed_rate, True)
    return (
        status,
        nit,
        value,
        xs_array[current].copy(),
        grads_array[current].copy(),
        states_array[current].copy(),
    )
