"""The optimizer objects' step: clip, step, check, then commit or undo.

A step is a transaction in one pass over memory: the kernel steps the user's array in
place, saving each block of it first, and writes the new state into the spare buffer.
When the gradient, the iterate and the state are all finite the spare state is made
current; otherwise the saved iterate is copied back and nothing has changed.
"""
import numpy as np

from cython cimport floating
from libc.string cimport memcpy

from .chunks cimport MEASURE_GRADIENT, StepMeasures
from .kernel cimport Kernel, measured_step

cdef enum Outcome:  # of Stepper.step
    OUTCOME_TAKEN = 0
    OUTCOME_NONFINITE_GRADIENT = 1
    OUTCOME_NONFINITE_STEP = 2

TAKEN = OUTCOME_TAKEN
NONFINITE_GRADIENT = OUTCOME_NONFINITE_GRADIENT
NONFINITE_STEP = OUTCOME_NONFINITE_STEP


cdef inline int take_step(Kernel kernel,
                          Py_ssize_t n,
                          Py_ssize_t rows,                   # of each state block
                          floating* x,                       # IN/OUT: the user's array
                          const floating* grad,              # IN
                          floating* states,                  # IN/OUT: current and spare state
                          int current,
                          floating* x_saved,                 # scratch: x before the step
                          double clipnorm,
                          double clipvalue,
                          Py_ssize_t step,
                          double learning_rate,
                          ) noexcept nogil:
    # One pass steps x in place, the state into the spare buffer, saves x block by block and
    # checks the gradient; a failed step puts x back from the saved copy.
    cdef Py_ssize_t block = rows * n
    # The objects have no box.
    cdef StepMeasures measures = measured_step(
        kernel, n, x, grad, states + current * block, x, states + (1 - current) * block,
        clipnorm, clipvalue, step, learning_rate, NULL, NULL, False, MEASURE_GRADIENT, x_saved)
    if measures.finite and measures.gradient_finite:
        return OUTCOME_TAKEN
    memcpy(x, x_saved, n * sizeof(floating))
    if not measures.gradient_finite:
        return OUTCOME_NONFINITE_GRADIENT
    return OUTCOME_NONFINITE_STEP


cdef class Stepper:
    """Advance the user's ``x`` in place with ``kernel``, holding the state
    double-buffered in ``states`` (shape ``(2, k, n)``, both halves equal at
    first), clipping with ``clipnorm``/``clipvalue`` (infinity: no clipping). Arrays are
    validated by the caller: C-contiguous, one dtype, matching lengths."""

    cdef Kernel kernel
    cdef double clipnorm, clipvalue
    cdef bint is_double
    cdef readonly int current
    cdef object states_array
    # The views hold the buffers (the user's x among them) for the Stepper's life; step() passes
    # their addresses, taken once in __init__.
    cdef double[::1] x_double, x_saved_double
    cdef double[:, :, ::1] states_double
    cdef float[::1] x_float, x_saved_float
    cdef float[:, :, ::1] states_float
    cdef Py_ssize_t n, rows
    cdef void* x_data
    cdef void* x_saved_data
    cdef void* states_data                 # (2, rows, n)

    def __init__(self, Kernel kernel, x, states, double clipnorm, double clipvalue):
        self.kernel = kernel
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.states_array = states
        self.current = 0
        self.is_double = x.dtype == np.float64
        self.n, self.rows = states.shape[2], states.shape[1]
        x_saved = np.empty_like(x)
        # x is never empty (the objects refuse that): every view has an element 0.
        if self.is_double:
            self.x_double, self.x_saved_double = x, x_saved
            self.states_double = states
            self.x_data, self.x_saved_data = &self.x_double[0], &self.x_saved_double[0]
            self.states_data = &self.states_double[0, 0, 0]
        else:
            self.x_float, self.x_saved_float = x, x_saved
            self.states_float = states
            self.x_data, self.x_saved_data = &self.x_float[0], &self.x_saved_float[0]
            self.states_data = &self.states_float[0, 0, 0]

    @property
    def state(self):
        """The current ``(k, n)`` state block (a view)."""
        return self.states_array[self.current]

    def step(self, grad, Py_ssize_t step, double learning_rate):
        """Take step number ``step``; return TAKEN, NONFINITE_GRADIENT or
        NONFINITE_STEP (the last two change nothing)."""
        cdef int outcome
        cdef const double[::1] grad_double
        cdef const float[::1] grad_float
        cdef const double* grad_double_data
        cdef const float* grad_float_data
        if self.is_double:
            grad_double = grad
            grad_double_data = &grad_double[0]
            with nogil:
                outcome = take_step(self.kernel, self.n, self.rows, <double*>self.x_data,
                                    grad_double_data, <double*>self.states_data, self.current,
                                    <double*>self.x_saved_data,
                                    self.clipnorm, self.clipvalue, step, learning_rate)
        else:
            grad_float = grad
            grad_float_data = &grad_float[0]
            with nogil:
                outcome = take_step(self.kernel, self.n, self.rows, <float*>self.x_data,
                                    grad_float_data, <float*>self.states_data, self.current,
                                    <float*>self.x_saved_data,
                                    self.clipnorm, self.clipvalue, step, learning_rate)
        if outcome == OUTCOME_TAKEN:
            self.current = 1 - self.current
        return outcome
