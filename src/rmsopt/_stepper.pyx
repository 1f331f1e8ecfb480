"""The optimizer objects' step: check, clip, step out of place, then commit.

A step is a transaction: the kernel writes the new iterate and state into spare
buffers, and only when the gradient, the iterate and the state are all finite is
the iterate copied into the user's array and the spare state made current.
"""
import numpy as np

from cython cimport floating

from ._kernel cimport Kernel, committable_step
from ._vector cimport all_finite

cdef enum Outcome:  # of Stepper.step
    OUTCOME_TAKEN = 0
    OUTCOME_NONFINITE_GRADIENT = 1
    OUTCOME_NONFINITE_STEP = 2

TAKEN = OUTCOME_TAKEN
NONFINITE_GRADIENT = OUTCOME_NONFINITE_GRADIENT
NONFINITE_STEP = OUTCOME_NONFINITE_STEP


cdef inline int take_step(Kernel kernel,
                          floating[::1] x,                   # IN/OUT: the user's array
                          const floating[::1] grad,          # IN
                          floating[:, :, ::1] states,        # IN/OUT: current and spare state
                          int current,
                          floating[::1] x_next,              # scratch
                          floating[::1] clipped,             # scratch when clipping
                          double clipnorm,
                          double clipvalue,
                          Py_ssize_t step,
                          double learning_rate,
                          const double[::1] no_box,          # None: the objects have no box
                          ) noexcept nogil:
    if not all_finite(grad):
        return OUTCOME_NONFINITE_GRADIENT
    if not committable_step(kernel, x, grad, states[current], x_next, states[1 - current],
                            clipped, clipnorm, clipvalue, step, learning_rate, no_box, no_box):
        return OUTCOME_NONFINITE_STEP
    x[:] = x_next
    return OUTCOME_TAKEN


cdef class Stepper:
    """Advance the user's ``x`` in place with ``kernel``, holding the state
    double-buffered in ``states`` (shape ``(2, k, n)``, both halves equal at
    first). Arrays are validated by the caller: C-contiguous, one dtype,
    matching lengths."""

    cdef Kernel kernel
    cdef double clipnorm, clipvalue
    cdef bint is_double
    cdef readonly int current
    cdef object states_array
    cdef double[::1] x_double, x_next_double, clipped_double
    cdef double[:, :, ::1] states_double
    cdef float[::1] x_float, x_next_float, clipped_float
    cdef float[:, :, ::1] states_float

    def __init__(self, Kernel kernel, x, states, double clipnorm, double clipvalue):
        self.kernel = kernel
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.states_array = states
        self.current = 0
        self.is_double = x.dtype == np.float64
        clipping = clipnorm > 0 or clipvalue > 0
        x_next = np.empty_like(x)
        clipped = np.empty(x.shape[0] if clipping else 0, dtype=x.dtype)
        if self.is_double:
            self.x_double, self.x_next_double, self.clipped_double = x, x_next, clipped
            self.states_double = states
        else:
            self.x_float, self.x_next_float, self.clipped_float = x, x_next, clipped
            self.states_float = states

    @property
    def state(self):
        """The current ``(k, n)`` state block (a view)."""
        return self.states_array[self.current]

    def load(self, block):
        """Make ``block`` the current state (copied into both buffers)."""
        self.states_array[0] = block
        self.states_array[1] = block
        self.current = 0

    def step(self, grad, Py_ssize_t step, double learning_rate):
        """Take step number ``step``; return TAKEN, NONFINITE_GRADIENT or
        NONFINITE_STEP (the last two change nothing)."""
        cdef int outcome
        cdef const double[::1] grad_double
        cdef const float[::1] grad_float
        cdef const double[::1] no_box = None
        if self.is_double:
            grad_double = grad
            with nogil:
                outcome = take_step(self.kernel, self.x_double, grad_double, self.states_double,
                                    self.current, self.x_next_double, self.clipped_double,
                                    self.clipnorm, self.clipvalue, step, learning_rate, no_box)
        else:
            grad_float = grad
            with nogil:
                outcome = take_step(self.kernel, self.x_float, grad_float, self.states_float,
                                    self.current, self.x_next_float, self.clipped_float,
                                    self.clipnorm, self.clipvalue, step, learning_rate, no_box)
        if outcome == OUTCOME_TAKEN:
            self.current = 1 - self.current
        return outcome
