"""The minibatch loop: epochs of minibatch gradients and steps, a validation
value at the end of every epoch, early stopping.

The front door (``_minibatch.py``) has validated everything: arrays are
C-contiguous, of one dtype, and of matching lengths.
"""
import numpy as np

from cython cimport floating
from libc.math cimport INFINITY, isfinite

from ._history cimport History, record, value_or_nan
from ._kernel cimport Kernel, committable_step
from ._vector cimport evaluation_finite

from ._status import Status
from .schedules import validated_rate


cdef object _END = object()  # what next() returns when an epoch has no more batches


def run(Kernel kernel,
        const floating[::1] x0,
        const floating[:, ::1] state0,
        object objective,
        object batches,
        *,
        Py_ssize_t steps_taken,
        object learning_rate,
        double clipnorm,
        double clipvalue,
        object callback,
        bint need_value,
        Py_ssize_t epochs,
        Py_ssize_t maxiter,
        Py_ssize_t maxfev,
        object validate,
        bint maximize,
        Py_ssize_t patience,
        double min_delta,
        const double[::1] lower=None,
        const double[::1] upper=None,
        list allvecs=None,
        History history=None):
    """Run ``epochs`` passes of ``kernel`` over ``batches.epoch()`` from ``x0``
    and ``state0`` (whose state has taken ``steps_taken`` steps).

    ``batches.epoch()`` gives an iterator over one pass; ``batches.length`` is
    the number of batches in a pass, or 0 when unknown. A batch is pulled only
    when the budget (``maxiter``, ``maxfev``, the pass's length) allows a step
    on it. Each iteration writes the gradient of that batch at the current
    iterate with ``objective.evaluate(x, grad_out, need_value, batch)`` and
    takes one step; a step whose gradient, value, iterate or state is not
    finite is discarded and ends the run. ``callback(x, value, grad, nit)``
    sees the new iterate with the minibatch value and gradient that produced
    it. ``validate(x) -> float`` (or None) runs at the end of every epoch
    (larger is better when ``maximize``); with ``patience > 0`` the run ends
    after ``patience`` epochs without an improvement larger than
    ``min_delta``. ``maxfev <= 0`` means no limit.

    Returns ``(status, nit, completed_epochs, x, state, x_nit, validation_values,
    best_epoch)``: the iterate to report with its state and its iteration
    number, the validation values, and the epoch (from 1) whose end ``x`` is.
    ``x`` is the best validated iterate when an epoch validated; otherwise the
    last good iterate: the last one, or the one before it when its validation
    was not finite. ``best_epoch`` is None when ``x`` is not a validated one.
    """
    cdef:
        Py_ssize_t n = x0.shape[0], rows = state0.shape[0], nit = 0, in_epoch, completed = 0
        Py_ssize_t waited = 0, step, i
        Py_ssize_t length = batches.length
        int current = 0, following
        bint scheduled = callable(learning_rate)
        bint finite_step, stopped = False, fresh_step = False
        double rate = 0.0 if scheduled else learning_rate
        double best_score = INFINITY, validation_value, score
        const double* lower_data = NULL
        const double* upper_data = NULL
        floating* clip_data = NULL
        floating[:, ::1] xs
        floating[::1] grad
        floating[:, :, ::1] states
        floating[::1] clip_buffer
        # The buffers' addresses, taken once: the loop passes raw pointers and never slices a
        # view (slicing costs atomic reference counts, passing a view copies its struct).
        floating* x_rows[2]
        floating* grad_data
        floating* state_blocks[2]

    dtype = np.asarray(x0).dtype
    xs_array = np.empty((2, n), dtype=dtype)
    grad_array = np.empty(n, dtype=dtype)
    states_array = np.empty((2, rows, n), dtype=dtype)
    xs, grad, states = xs_array, grad_array, states_array
    xs[0] = x0
    states[0] = state0
    # Rows a configuration never writes must hold their values in both buffers.
    states[1] = state0
    clip_buffer = np.empty(n if clipnorm > 0 or clipvalue > 0 else 0, dtype=dtype)
    for i in range(2):
        x_rows[i] = &xs[i, 0]
        state_blocks[i] = &states[i, 0, 0]
    grad_data = &grad[0]
    if clip_buffer.shape[0] > 0:
        clip_data = &clip_buffer[0]
    if lower is not None:
        lower_data, upper_data = &lower[0], &upper[0]
    x_views = (xs_array[0], xs_array[1])
    validation_values = []
    best = None
    status = Status.EPOCHS

    while completed < epochs and not stopped:
        in_epoch = 0
        iterator = iter(batches.epoch())
        while length == 0 or in_epoch < length:
            if nit >= maxiter:
                status, stopped = Status.MAXITER, True
                break
            if maxfev > 0 and objective.nfev >= maxfev:
                status, stopped = Status.MAXFEV, True
                break
            batch = next(iterator, _END)
            if batch is _END:
                break
            fresh_step = False  # the gradient buffer is about to hold another batch's
            value = objective.evaluate(x_views[current], grad_array, need_value, batch)
            if not evaluation_finite(value, n, grad_data):
                status, stopped = Status.NONFINITE, True
                break
            step = steps_taken + nit + 1
            if scheduled:
                rate = validated_rate(learning_rate(step - 1), step - 1)
            following = 1 - current
            with nogil:
                finite_step = committable_step(kernel, n, rows, x_rows[current], grad_data,
                                               state_blocks[current], x_rows[following],
                                               state_blocks[following], clip_data, clipnorm,
                                               clipvalue, step, rate, lower_data, upper_data)
            if not finite_step:
                status, stopped = Status.NONFINITE, True
                break
            current = following
            nit += 1
            in_epoch += 1
            fresh_step = True
            if history is not None:
                # The minibatch's value and gradient, at the iterate the step started from.
                record(history, kernel, nit, value_or_nan(value), n, grad_data,
                       x_rows[1 - current], x_rows[current], state_blocks[current], step, rate,
                       False)
            if allvecs is not None:
                allvecs.append(x_views[current].copy())
            if callback is not None:
                try:
                    callback(x_views[current], value, grad_array, nit)
                except StopIteration:
                    status, stopped = Status.CALLBACK_STOP, True
                    break
        if stopped:
            break
        if in_epoch == 0:  # the user's batches ran out (the source has warned)
            status = Status.BATCHES_EXHAUSTED
            break
        completed += 1
        if validate is None:
            continue
        validation_value = validate(x_views[current])
        validation_values.append(validation_value)
        if not isfinite(validation_value):
            status = Status.NONFINITE
            if best is None:  # the step before is the last good iterate; its buffers hold it
                return (status, nit, completed, xs_array[1 - current].copy(),
                        states_array[1 - current].copy(), nit - 1, validation_values, None)
            break
        score = -validation_value if maximize else validation_value
        if score < best_score - min_delta:
            best_score, waited = score, 0
            best = (completed, nit, xs_array[current].copy(), states_array[current].copy())
        else:
            waited += 1
            if patience > 0 and waited >= patience:
                status = Status.EARLY_STOP
                break

    if history is not None and fresh_step:
        record(history, kernel, nit, value_or_nan(value), n, grad_data, x_rows[1 - current],
               x_rows[current], state_blocks[current], steps_taken + nit, rate, True)
    if best is None:
        return (status, nit, completed, xs_array[current].copy(),
                states_array[current].copy(), nit, validation_values, None)
    best_epoch, best_nit, x_best, state_best = best
    return (status, nit, completed, x_best, state_best, best_nit, validation_values, best_epoch)
