"""The minibatch loop: epochs of minibatch gradients and steps, a validation
value at the end of every epoch, early stopping.

The front door (``_minibatch.py``) has validated everything: arrays are
C-contiguous, of one dtype, and of matching lengths.
"""
import numpy as np

from cython cimport floating
from libc.math cimport INFINITY, isfinite

from ._kernel cimport Kernel, committable_step
from ._vector cimport evaluation_finite

from ._status import Status
from .schedules import validated_rate


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
        Py_ssize_t patience,
        double min_delta,
        const double[::1] lower=None,
        const double[::1] upper=None,
        list allvecs=None):
    """Run ``epochs`` passes of ``kernel`` over ``batches.epoch()`` from ``x0``
    and ``state0`` (whose state has taken ``steps_taken`` steps).

    Each iteration writes the gradient of the next batch at the current
    iterate with ``objective.evaluate(x, grad_out, need_value, batch)`` and
    takes one step; a step whose gradient, value, iterate or state is not
    finite is discarded and ends the run. ``callback(x, value, grad, nit)``
    sees the new iterate with the minibatch value and gradient that produced
    it. ``validate(x) -> float`` (or None) runs at the end of every epoch; with
    ``patience > 0`` the run ends after ``patience`` epochs without an
    improvement larger than ``min_delta``. ``maxfev <= 0`` means no limit.

    Returns ``(status, nit, completed_epochs, x, state, history, best)``:
    ``history`` lists the validation values, ``best`` is ``None`` or
    ``(epoch, nit, x, state)`` of the best validated iterate.
    """
    cdef:
        Py_ssize_t n = x0.shape[0], nit = 0, nit_before, completed = 0, waited = 0, step
        int current = 0, following
        bint scheduled = callable(learning_rate)
        bint finite_step, stopped = False
        double rate = 0.0 if scheduled else learning_rate
        double best_value = INFINITY, validation_value
        floating[:, ::1] xs
        floating[::1] grad
        floating[:, :, ::1] states
        floating[::1] clip_buffer

    dtype = np.asarray(x0).dtype
    xs_array = np.empty((2, n), dtype=dtype)
    grad_array = np.empty(n, dtype=dtype)
    states_array = np.empty((2,) + np.asarray(state0).shape, dtype=dtype)
    xs, grad, states = xs_array, grad_array, states_array
    xs[0] = x0
    states[0] = state0
    # Rows a configuration never writes must hold their values in both buffers.
    states[1] = state0
    clip_buffer = np.empty(n if clipnorm > 0 or clipvalue > 0 else 0, dtype=dtype)
    x_views = (xs_array[0], xs_array[1])
    history = []
    best = None
    status = Status.EPOCHS

    while completed < epochs and not stopped:
        nit_before = nit
        for batch in batches.epoch():
            if nit >= maxiter:
                status, stopped = Status.MAXITER, True
                break
            if maxfev > 0 and objective.nfev >= maxfev:
                status, stopped = Status.MAXFEV, True
                break
            value = objective.evaluate(x_views[current], grad_array, need_value, batch)
            if not evaluation_finite(value, grad):
                status, stopped = Status.NONFINITE, True
                break
            step = steps_taken + nit + 1
            if scheduled:
                rate = validated_rate(learning_rate(step - 1), step - 1)
            following = 1 - current
            with nogil:
                finite_step = committable_step(kernel, xs[current], grad, states[current],
                                               xs[following], states[following], clip_buffer,
                                               clipnorm, clipvalue, step, rate, lower, upper)
            if not finite_step:
                status, stopped = Status.NONFINITE, True
                break
            current = following
            nit += 1
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
        if nit == nit_before:  # the user's batches ran out (the source has warned)
            break
        completed += 1
        if validate is None:
            continue
        validation_value = validate(x_views[current])
        history.append(validation_value)
        if not isfinite(validation_value):
            status = Status.NONFINITE
            break
        if validation_value < best_value - min_delta:
            best_value, waited = validation_value, 0
            best = (completed, nit, xs_array[current].copy(), states_array[current].copy())
        else:
            waited += 1
            if patience > 0 and waited >= patience:
                status = Status.EARLY_STOP
                break

    return (
        status,
        nit,
        completed,
        xs_array[current].copy(),
        states_array[current].copy(),
        history,
        best,
    )
