"""Base class of the method kernels (see ``kernel.pxd``)."""
import numpy as np

from cython cimport floating
from libc.math cimport INFINITY, NAN
from cpython.mem cimport PyMem_RawFree, PyMem_RawRealloc

from .averaging cimport (
    AVERAGE_EMA,
    AVERAGE_NONE,
    AVERAGE_UNIFORM,
    average_into,
    average_weight,
)
from .chunks cimport MEASURE_GRADIENT, MEASURE_PROJECTED, MEASURE_STEP, StepMeasures
from rmsopt.kernels.whole cimport WholeArray, scratch_end


cdef class Kernel:
    """One optimizer step, run natively by the method's subclass.

    The subclass (generated in ``method_kernels``) holds the method's validated
    hyperparameters in a C struct and points at its chunk loop, which runs the
    step of ``rmsopt/kernels/<name>.pxd``; this class splits each step over
    that loop. The state arrays live in one ``(k, n)`` block owned
    by the caller, one row per state array in the order the method's declaration
    lists them. ``Kernel`` itself has no step: use a method's subclass.
    """

    def __dealloc__(self):
        PyMem_RawFree(self.scratch)  # the raw domain: tracemalloc counts it

    @property
    def whole(self):
        """Whether the kernel steps the whole array at once, read with a shape."""
        return self.array != NULL

    @property
    def shape(self):
        """``(batches, rows, cols)`` the next step reads x as (``rows == 0``: a vector), for
        a whole-array kernel; None for the others."""
        if self.array == NULL:
            return None
        return self.array.batches, self.array.rows, self.array.cols

    def reserve(self, Py_ssize_t n, Py_ssize_t itemsize, shape=None, bint clipping=False):
        """Make room in a whole-array kernel's scratch for steps of ``n`` elements of
        ``itemsize`` bytes read with ``shape`` (``(batches, rows, cols)``; default: the
        kernel's), and for the clipped gradient of a measured step when ``clipping``; read the
        next steps with that shape. Only grows; nothing for the other kernels."""
        cdef WholeArray array
        cdef Py_ssize_t size
        cdef void* grown
        if self.array == NULL:
            return
        if shape is not None:
            self.array.batches, self.array.rows, self.array.cols = shape
        array = self.array[0]
        size = scratch_end(self.scratch_bytes(self.params, &array, n, itemsize))
        if clipping:
            size += n * itemsize
        if size > self.scratch_capacity:
            grown = PyMem_RawRealloc(self.scratch, size)
            if grown == NULL:
                raise MemoryError(f"no room for the step's {size} bytes of scratch memory")
            self.scratch, self.scratch_capacity = grown, size
        self.array.scratch = self.scratch

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(n):
            out[i] = learning_rate

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(n):
            out[i] = learning_rate

    def step_size(self, state, Py_ssize_t step, double learning_rate):
        """The effective step sizes after step ``step`` with ``state`` (a
        C-contiguous float32/float64 block), as a new float64 array."""
        if state.ndim != 2 or state.shape[0] < self.state_rows:
            raise ValueError(
                f"Kernel.step_size needs a state block of shape (k, n) with k >= "
                f"{self.state_rows}. Got {state.shape} instead."
            )
        out = np.empty(state.shape[1], dtype=np.float64)
        cdef Py_ssize_t n = state.shape[1]
        cdef double[::1] out_view = out
        cdef const double[:, ::1] state_double
        cdef const float[:, ::1] state_float
        # The views are acquired even when n == 0, to keep the dtype and layout checks; an empty
        # view has no element 0 to take the address of.
        if state.dtype == np.float64:
            state_double = state
            if n > 0:
                self.step_size_double(n, &state_double[0, 0], step, learning_rate, &out_view[0])
        else:
            state_float = state
            if n > 0:
                self.step_size_float(n, &state_float[0, 0], step, learning_rate, &out_view[0])
        return out

    def step(self, x, grad, state, Py_ssize_t step, double learning_rate,
             x_out=None, state_out=None):
        """Take step number ``step`` (1-based): in place, or into ``x_out`` and
        ``state_out`` when given.

        ``x``, ``grad``, ``state`` and the outputs must be C-contiguous arrays of
        one dtype (float32 or float64); lengths and the state's rows are checked
        here, since the native step trusts them.
        """
        if self.loop == NULL:
            raise TypeError("Kernel has no step of its own: use a method's kernel, such as "
                            "rmsopt._core.method_kernels.RMSpropKernel")
        n = x.shape[0]
        outputs = (x if x_out is None else x_out, state if state_out is None else state_out)
        for array in (state, outputs[1]):
            if array.ndim != 2 or array.shape[0] < self.state_rows or array.shape[1] != n:
                raise ValueError(
                    f"Kernel.step needs state blocks of shape ({self.state_rows}, {n}). "
                    f"Got {array.shape} instead."
                )
        if grad.shape != (n,) or outputs[0].shape != (n,):
            raise ValueError(
                f"Kernel.step needs grad and x_out of shape ({n},), like x. "
                f"Got {grad.shape} and {outputs[0].shape} instead."
            )
        # Nothing to do, and an empty view has no element 0 to take the address of.
        if n == 0:
            return
        if self.array != NULL and self.array.rows and (
                self.array.batches * self.array.rows * self.array.cols != n):
            raise ValueError(f"Kernel.step reads x with the shape {self.shape} (batches, rows, "
                             f"cols), which does not hold its {n} elements")
        self.reserve(n, x.itemsize)
        if x_out is None and state_out is None:
            _step_in_place(self, x, grad, state, step, learning_rate)
        else:
            _step(self, x, grad, state, x if x_out is None else x_out,
                  state if state_out is None else state_out, step, learning_rate)


# Kernel.step has checked the shapes, and that n > 0: every view has an element 0.

def _step_in_place(Kernel kernel, floating[::1] x, const floating[::1] grad,
                   floating[:, ::1] state, Py_ssize_t step, double learning_rate):
    # Three buffer acquisitions instead of five: this is the call small-n benchmarks time.
    cdef floating* x_data = &x[0]
    cdef floating* state_data = &state[0, 0]
    with nogil:
        kernel_step(kernel, x.shape[0], x_data, &grad[0], state_data, x_data, state_data, step,
                    learning_rate)


def _step(Kernel kernel, const floating[::1] x, const floating[::1] grad,
          const floating[:, ::1] state, floating[::1] x_out, floating[:, ::1] state_out,
          Py_ssize_t step, double learning_rate):
    with nogil:
        kernel_step(kernel, x.shape[0], &x[0], &grad[0], &state[0, 0], &x_out[0],
                    &state_out[0, 0], step, learning_rate)


def measure_step(Kernel kernel, floating[::1] x, const floating[::1] grad,
                 const floating[:, ::1] state, floating[::1] x_out, floating[:, ::1] state_out,
                 Py_ssize_t step, double learning_rate, lower=None, upper=None,
                 bint maximize=False, floating[::1] x_saved=None, bint only_finiteness=False):
    """The loops' measured step (``measured_step`` of kernel.pxd) from Python, for tests:
    step into ``x_out`` and ``state_out``, project onto the box (float64 ``lower`` and
    ``upper``, or None), measure everything and return ``(finite, step_norm,
    gradient_finite, projected_norm)`` (the last NaN without a box). With ``x_saved``,
    ``x_out`` must be ``x`` (a step in place) and ``x_saved`` receives x as it was.
    ``only_finiteness`` measures only what a default run needs: whether x_out and the state
    are finite. Arrays as for `Kernel.step`, not empty, checked by the caller."""
    cdef const double[::1] low, high
    cdef const double* low_data = NULL
    cdef const double* high_data = NULL
    cdef floating* saved = NULL
    cdef StepMeasures measures
    cdef int wanted = MEASURE_STEP | MEASURE_GRADIENT
    if lower is not None:
        low, high = lower, upper
        low_data, high_data = &low[0], &high[0]
        wanted = MEASURE_STEP | MEASURE_PROJECTED
    if only_finiteness:
        wanted = 0
    if x_saved is not None:
        saved = &x_saved[0]
    with nogil:
        measures = measured_step(kernel, x.shape[0], &x[0], &grad[0], &state[0, 0], &x_out[0],
                                 &state_out[0, 0], INFINITY, INFINITY, step,
                                 learning_rate, low_data, high_data, maximize, wanted, saved)
    return (bool(measures.finite), measures.step_norm, bool(measures.gradient_finite),
            measures.projected_norm if lower is not None else NAN)


def magnitude(Kernel kernel, const floating[::1] values):
    """``gradient_magnitude`` of kernel.pxd from Python, for tests: max |values| when every
    value is finite, else infinity or NaN."""
    cdef double result
    with nogil:
        result = gradient_magnitude(kernel, values.shape[0], &values[0])
    return result


# The averaging option's values as averaging.pxd codes them, for the loops and the classes.
AVERAGING_CODES = {None: AVERAGE_NONE, "ema": AVERAGE_EMA, "uniform": AVERAGE_UNIFORM}


def average_iterate(floating[::1] average, const floating[::1] x, int averaging, double decay,
                    Py_ssize_t averaged):
    """Move ``average`` (``averaged`` iterates so far) towards the iterate ``x`` as the
    ``averaging`` code (averaging.pxd: 1 ema, 2 uniform) says; for the optimizer classes,
    after each step they commit. Arrays of one dtype and length, checked by the caller."""
    cdef double weight = average_weight(averaging, decay, averaged)
    if x.shape[0] == 0:
        return
    with nogil:
        average_into(x.shape[0], &average[0], &x[0], weight)
