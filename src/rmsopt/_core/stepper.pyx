"""The optimizer objects' step: clip, step, check, then commit or undo.

A step is a transaction in one pass over memory: the kernel steps the user's arrays in
place, saving each block of them first, and writes the new state into the spare buffer.
When the gradients, the iterates and the state are all finite the spare state is made
current; otherwise the saved iterates are copied back and nothing has changed.

A Stepper steps one array or several (a model's weights and biases, say) that share one
state block: array k owns the columns ``[offset_k, offset_k + n_k)`` of every row. The loop
over the arrays is native, and element by element the step is that of the arrays'
concatenation (clipnorm takes the norm of all of them).
"""
import numpy as np

cimport numpy as cnp
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cython cimport floating
from libc.string cimport memcpy

from .chunks cimport MEASURE_GRADIENT, StepMeasures
from .kernel cimport Kernel, measured_step, segment_step, use_shape
from .vector cimport segments_two_norm

from libc.math cimport INFINITY

cdef enum Outcome:  # of Stepper.step
    OUTCOME_TAKEN = 0
    OUTCOME_NONFINITE_GRADIENT = 1
    OUTCOME_NONFINITE_STEP = 2
    OUTCOME_READ_ONLY = 3          # an array was made read-only: nothing was done

TAKEN = OUTCOME_TAKEN
NONFINITE_GRADIENT = OUTCOME_NONFINITE_GRADIENT
NONFINITE_STEP = OUTCOME_NONFINITE_STEP
READ_ONLY = OUTCOME_READ_ONLY

cnp.import_array()


cdef inline int take_step(Kernel kernel,
                          Py_ssize_t count,                  # arrays
                          const Py_ssize_t* sizes,           # their lengths
                          const Py_ssize_t* offsets,         # their columns in the state
                          const Py_ssize_t* shapes,          # (batches, rows, cols) each
                          Py_ssize_t n,                      # all of them: the state's rows
                          Py_ssize_t rows,                   # of each state block
                          floating** x,                      # IN/OUT: the user's arrays
                          floating** grad,                   # IN
                          floating* states,                  # IN/OUT: current and spare state
                          int current,
                          floating* x_saved,                 # scratch: x before the step
                          double clipnorm,
                          double clipvalue,
                          Py_ssize_t step,
                          double learning_rate,
                          ) noexcept nogil:
    # One pass steps the arrays in place, the state into the spare buffer, saves x block by
    # block and checks the gradient; a failed step puts every array back from the saved copy.
    cdef Py_ssize_t block = rows * n, k
    cdef StepMeasures measures, one
    cdef double norm
    if count == 1:
        # The objects have no box.
        use_shape(kernel, shapes)
        measures = measured_step(
            kernel, n, x[0], grad[0], states + current * block, x[0],
            states + (1 - current) * block, clipnorm, clipvalue, step, learning_rate, NULL,
            NULL, False, MEASURE_GRADIENT, x_saved)
    else:
        norm = segments_two_norm(count, sizes, grad) if clipnorm < INFINITY else 0.0
        measures.finite = measures.gradient_finite = True
        for k in range(count):
            use_shape(kernel, shapes + 3 * k)
            one = segment_step(kernel, sizes[k], n, x[k], grad[k],
                               states + current * block + offsets[k],
                               states + (1 - current) * block + offsets[k], clipnorm, norm,
                               clipvalue, step, learning_rate, x_saved + offsets[k])
            measures.finite = measures.finite and one.finite
            measures.gradient_finite = measures.gradient_finite and one.gradient_finite
    if measures.finite and measures.gradient_finite:
        return OUTCOME_TAKEN
    restore(count, sizes, offsets, x, x_saved)
    if not measures.gradient_finite:
        return OUTCOME_NONFINITE_GRADIENT
    return OUTCOME_NONFINITE_STEP


cdef inline void restore(Py_ssize_t count,
                         const Py_ssize_t* sizes,
                         const Py_ssize_t* offsets,
                         floating** x,                # OUT
                         const floating* x_saved,     # IN
                         ) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(count):
        memcpy(x[k], x_saved + offsets[k], sizes[k] * sizeof(floating))


cdef class Stepper:
    """Advance the user's arrays ``xs`` (a list of C-contiguous 1-D arrays of one dtype,
    views of the user's arrays) in place with ``kernel``, holding their state
    double-buffered in ``states`` (shape ``(2, k, n)`` with n their total length, array after
    array; both halves equal at first), clipping with ``clipnorm``/``clipvalue`` (infinity:
    no clipping). Arrays are validated by the caller: C-contiguous, one dtype, non-empty.
    A whole-array kernel reads array k with ``shapes[k]`` (``(batches, rows, cols)``, checked
    by the caller; default: the kernel's own shape for every array)."""

    cdef Kernel kernel
    cdef double clipnorm, clipvalue
    cdef bint is_double
    cdef readonly int current
    cdef object states_array, arrays, owners, x_saved
    cdef readonly Py_ssize_t read_only   # the array found read-only (OUTCOME_READ_ONLY)
    cdef Py_ssize_t n, rows, count
    # Addresses taken once: the arrays' (kept alive by `arrays`), their lengths and columns,
    # and room for the gradients' addresses, filled at each step.
    cdef void** x_data
    cdef void** grad_data
    cdef Py_ssize_t* sizes
    cdef Py_ssize_t* offsets
    cdef Py_ssize_t* shapes                # 3 per array
    cdef void* x_saved_data
    cdef void* states_data                 # (2, rows, n)

    def __cinit__(self):
        self.x_data = self.grad_data = NULL
        self.sizes = self.offsets = self.shapes = NULL

    def __init__(self, Kernel kernel, xs, states, double clipnorm, double clipvalue,
                 owners=None, shapes=None):
        # `owners`: the user's arrays the views `xs` were made from (default: xs), whose
        # writeable flags a step checks (a view keeps the flag it was made with).
        cdef Py_ssize_t k, offset = 0
        self.kernel = kernel
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.states_array = states
        self.current = 0
        self.arrays = list(xs)
        self.owners = list(xs if owners is None else owners)
        self.read_only = -1
        self.count = len(self.arrays)
        self.is_double = self.arrays[0].dtype == np.float64
        self.n, self.rows = states.shape[2], states.shape[1]
        self.x_saved = np.empty(self.n, dtype=states.dtype)
        self.x_data = <void**>PyMem_Malloc(self.count * sizeof(void*))
        self.grad_data = <void**>PyMem_Malloc(self.count * sizeof(void*))
        self.sizes = <Py_ssize_t*>PyMem_Malloc(self.count * sizeof(Py_ssize_t))
        self.offsets = <Py_ssize_t*>PyMem_Malloc(self.count * sizeof(Py_ssize_t))
        self.shapes = <Py_ssize_t*>PyMem_Malloc(3 * self.count * sizeof(Py_ssize_t))
        if (self.x_data == NULL or self.grad_data == NULL or self.sizes == NULL
                or self.offsets == NULL or self.shapes == NULL):
            raise MemoryError()
        for k in range(self.count):
            self.x_data[k] = address(self.arrays[k], self.is_double)
            self.sizes[k] = self.arrays[k].shape[0]
            self.offsets[k] = offset
            offset += self.sizes[k]
            shape = kernel.shape if shapes is None else shapes[k]
            if shape is not None:
                kernel.reserve(self.sizes[k], states.itemsize, shape,
                               clipnorm < INFINITY or clipvalue < INFINITY)
                self.shapes[3 * k], self.shapes[3 * k + 1], self.shapes[3 * k + 2] = shape
        self.x_saved_data = address(self.x_saved, self.is_double)
        self.states_data = address(states.reshape(-1), self.is_double)

    def __dealloc__(self):
        PyMem_Free(self.x_data)
        PyMem_Free(self.grad_data)
        PyMem_Free(self.sizes)
        PyMem_Free(self.offsets)
        PyMem_Free(self.shapes)

    @property
    def state(self):
        """The current ``(k, n)`` state block (a view)."""
        return self.states_array[self.current]

    def step(self, grads, Py_ssize_t step, double learning_rate):
        """Take step number ``step`` with ``grads`` (one gradient per array, validated by the
        caller; for one array, the array itself, whose dtype, contiguity and length are
        checked here, raising ValueError) and commit it: return TAKEN, NONFINITE_GRADIENT or
        NONFINITE_STEP (the last two change nothing)."""
        cdef int outcome = self.attempt(grads, step, learning_rate)
        if outcome == OUTCOME_TAKEN:
            self.current = 1 - self.current
        return outcome

    def try_step(self, grads, Py_ssize_t step, double learning_rate):
        """As `step`, but a step taken is left for `commit` or `undo` (several Steppers
        stepping one model together: a failure in one undoes all)."""
        return self.attempt(grads, step, learning_rate)

    cdef int attempt(self, grads, Py_ssize_t step, double learning_rate) except -1:
        cdef int outcome
        cdef Py_ssize_t k
        for k in range(self.count):
            if not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>self.owners[k]):
                self.read_only = k
                return OUTCOME_READ_ONLY
        if self.count == 1 and isinstance(grads, np.ndarray):
            self.grad_data[0] = <void*>read_address(grads, self.is_double, self.sizes[0])
        else:
            for k in range(self.count):
                self.grad_data[k] = <void*>read_address(grads[k], self.is_double,
                                                        self.sizes[k])
        if self.is_double:
            with nogil:
                outcome = take_step(self.kernel, self.count, self.sizes, self.offsets,
                                    self.shapes, self.n, self.rows, <double**>self.x_data,
                                    <double**>self.grad_data, <double*>self.states_data,
                                    self.current, <double*>self.x_saved_data,
                                    self.clipnorm, self.clipvalue, step, learning_rate)
        else:
            with nogil:
                outcome = take_step(self.kernel, self.count, self.sizes, self.offsets,
                                    self.shapes, self.n, self.rows, <float**>self.x_data,
                                    <float**>self.grad_data, <float*>self.states_data,
                                    self.current, <float*>self.x_saved_data,
                                    self.clipnorm, self.clipvalue, step, learning_rate)
        return outcome

    def commit(self):
        """Make the state a step taken by `try_step` wrote current."""
        self.current = 1 - self.current

    def undo(self):
        """Put the arrays back as they were before the step `try_step` took (its state is
        discarded by not committing it)."""
        if self.is_double:
            restore(self.count, self.sizes, self.offsets, <double**>self.x_data,
                    <double*>self.x_saved_data)
        else:
            restore(self.count, self.sizes, self.offsets, <float**>self.x_data,
                    <float*>self.x_saved_data)


cdef void* address(array, bint is_double) except NULL:
    # The first element's address of a C-contiguous, non-empty 1-D array of the dtype (checked
    # by the caller), taken through a typed view so that a wrong array raises, not crashes.
    cdef double[::1] doubles
    cdef float[::1] floats
    if is_double:
        doubles = array
        return &doubles[0]
    floats = array
    return &floats[0]


cdef const void* read_address(array, bint is_double, Py_ssize_t size) except NULL:
    # The data of a gradient: a plain numpy array (not a subclass such as a masked array) of
    # the run's dtype, 1-D with `size` elements, C-contiguous, aligned, in native byte order.
    # Anything else raises ValueError, for the caller to explain.
    cdef cnp.ndarray checked
    if type(array) is not np.ndarray:
        raise ValueError("a gradient that is not a plain numpy array")
    checked = <cnp.ndarray>array
    if (cnp.PyArray_NDIM(checked) != 1 or cnp.PyArray_DIM(checked, 0) != size
            or not cnp.PyArray_ISCARRAY_RO(checked)
            or cnp.PyArray_TYPE(checked) != (cnp.NPY_DOUBLE if is_double else cnp.NPY_FLOAT)):
        raise ValueError("a gradient of another dtype, shape or layout")
    return cnp.PyArray_DATA(checked)
