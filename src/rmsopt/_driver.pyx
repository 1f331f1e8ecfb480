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
        Py_ssize_t n = x0.shape[0], nit = 0, step
        int current = 0, following
        bint has_bounds = lower is not None
        bint scheduled = callable(learning_rate)
        bint finite_step
        double rate = 0.0 if scheduled else learning_rate, committed_rate = rate
        double gradient_norm, step_norm = INFINITY
        int code
        floating[:, ::1] xs, grads
        floating[:, :, ::1] states
        floating[::1] clip_buffer

    dtype = np.asarray(x0).dtype
    xs_array = np.empty((2, n), dtype=dtype)
    grads_array = np.empty((2, n), dtype=dtype)
    states_array = np.empty((2,) + np.asarray(state0).shape, dtype=dtype)
    xs, grads, states = xs_array, grads_array, states_array
    xs[0] = x0
    states[0] = state0
    # Rows a configuration never writes must hold their values in both buffers.
    states[1] = state0
    clip_buffer = np.empty(n if clipnorm > 0 or clipvalue > 0 else 0, dtype=dtype)
    x_views = (xs_array[0], xs_array[1])
    grad_views = (grads_array[0], grads_array[1])

    previous_value_object = None
    value = objective.evaluate(x_views[0], grad_views[0], need_value)
    if not evaluation_finite(value, grads[0]):
        status = Status.NONFINITE
    else:
        if history is not None:
            record(history, kernel, 0, value_or_nan(value), grads[0], xs[0], xs[0],
                   states[0], 0, rate, False)
        while True:
            with nogil:
                gradient_norm = projected_gradient_max_norm(
                    xs[current], grads[current], lower, upper, has_bounds, maximize
                )
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
            with nogil:
                finite_step = committable_step(kernel, xs[current], grads[current],
                                               states[current], xs[following], states[following],
                                               clip_buffer, clipnorm, clipvalue, step, rate,
                                               lower, upper)
            if not finite_step:
                status = Status.NONFINITE
                break

            new_value = objective.evaluate(x_views[following], grad_views[following], need_value)
            if not evaluation_finite(new_value, grads[following]):
                status = Status.NONFINITE
                break
            with nogil:
                step_norm = max_abs_difference(xs[following], xs[current])
            current = following
            committed_rate = rate
            previous_value_object, value = value, new_value
            nit += 1

            if history is not None:
                record(history, kernel, nit, value_or_nan(value), grads[current],
                       xs[1 - current], xs[current], states[current], step, rate, False)
            if allvecs is not None:
                allvecs.append(x_views[current].copy())
            if callback is not None:
                try:
                    callback(x_views[current], value, grad_views[current], nit)
                except StopIteration:
                    status = Status.CALLBACK_STOP
                    break

    if history is not None and nit > 0:
        record(history, kernel, nit, value_or_nan(value), grads[current], xs[1 - current],
               xs[current], states[current], steps_taken + nit, committed_rate, True)
    return (
        status,
        nit,
        value,
        xs_array[current].copy(),
        grads_array[current].copy(),
        states_array[current].copy(),
    )
