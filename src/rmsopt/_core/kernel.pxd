# The native boundary every method kernel implements: from x_{t-1}, the gradient there and the
# state after step t-1, write x_t and the state after step t.
# Buffers are raw pointers with the length n, taken once by the caller: x, grad and x_out hold
# n elements; the state is a C-contiguous (rows, n) block, row r starting at state + r * n.
# (Memoryviews passed by value copied ~200-byte structs through every layer at every step.)
# The outputs are either separate buffers or exactly the inputs (an in-place step), never partly
# overlapping: kernels read element i of a row before writing element i of the same row, and
# nothing of element i after writing x_out[i]. Rows of the state a configuration does not use
# are neither read nor written.
from cython cimport floating
from libc.math cimport INFINITY

from libc.stdint cimport int32_t, int64_t
from libc.string cimport memcpy

from .chunks cimport (
    MEASURE_GRADIENT,
    F32_EXPONENT,
    F64_EXPONENT,
    Chunk,
    StepMeasures,
    double_from_bits,
    double_from_f32_bits,
    finish_block,
    magnitude_max_f32,
    magnitude_max_f64,
    split_magnitude,
    split_projected,
    split_step,
    split_strided_step,
    step_measures,
)
from .thread_pool cimport ChunkTask
from .vector cimport two_norm
from rmsopt.kernels.whole cimport WholeArray


cdef class Kernel:
    # A subclass (method_kernels.pyx, generated) sets these in __init__; kernel_step runs its
    # chunk loop over chunks.split_step, on `threads` threads for large n.
    cdef readonly Py_ssize_t state_rows    # rows of the state block the kernel indexes
    cdef readonly unsigned rows_written    # bit r: its steps write state row r (the options')
    cdef readonly int threads              # threads sharing a step of at least PARALLEL_FROM
    cdef const void* params                # the subclass's parameter struct
    cdef ChunkTask* loop                   # its module's chunk loop, as the CPU build chosen
    cdef ChunkTask* magnitude_loop         # the same build's magnitude reduction
    cdef ChunkTask* projected_loop         # and projected gradient's
    # A kernel that keeps a scalar of the whole run in its parameters (NAdam's product of
    # momentum factors) brings it to step t before the step's chunks run; NULL for the others.
    cdef void (*prepare)(void* params, Py_ssize_t step) noexcept nogil
    # The step of the whole array as one plain call, without the chunk machinery (small n,
    # where setting a chunk up costs more than the elements): the baseline build's, which
    # gives the bits of every build.
    cdef void (*direct_double)(const void* params, Py_ssize_t n, const double* x,
                               const double* grad, const double* state, double* x_out,
                               double* state_out, Py_ssize_t step,
                               double learning_rate) noexcept nogil
    cdef void (*direct_float)(const void* params, Py_ssize_t n, const float* x,
                              const float* grad, const float* state, float* x_out,
                              float* state_out, Py_ssize_t step,
                              double learning_rate) noexcept nogil
    # A whole-array kernel (Adafactor, Muon: kernels/whole.pxd) steps x read with the shape in
    # `array`, on one thread, with the scratch `reserve` sized (its own, then room for a
    # clipped gradient); NULL for the element-wise kernels.
    cdef WholeArray* array
    cdef Py_ssize_t (*scratch_bytes)(const void* params, const WholeArray* array,
                                     Py_ssize_t n, Py_ssize_t itemsize) noexcept nogil
    cdef void* scratch
    cdef Py_ssize_t scratch_capacity
    # The effective per-element step size after step `step` (see rmsopt.effective_step_size),
    # computed in double from the state; the default, learning_rate everywhere, is SGD's.
    cdef void step_size_double(self,
                               Py_ssize_t n,
                               const double* state,         # IN: the state after step t
                               Py_ssize_t step,             # t >= 1
                               double learning_rate,        # the rate step t used
                               double* out,                 # OUT: n elements
                               ) noexcept nogil
    cdef void step_size_float(self,
                              Py_ssize_t n,
                              const float* state,
                              Py_ssize_t step,
                              double learning_rate,
                              double* out,
                              ) noexcept nogil


cdef enum:
    # Below this many variables a measured step and the gradient's pass skip the chunk
    # machinery (a task handed to a chunk loop, block by block), which costs more than the
    # elements: the step runs as one plain call and its reductions follow it.
    SMALL = 64


cdef inline void use_shape(Kernel kernel, const Py_ssize_t* shape) noexcept nogil:
    # A whole-array kernel reads the next arrays it steps as (batches, rows, cols) `shape`
    # (reserved for before); the others ignore it.
    if kernel.array != NULL:
        kernel.array.batches, kernel.array.rows, kernel.array.cols = shape[0], shape[1], shape[2]


cdef inline void prepare_step(Kernel kernel, Py_ssize_t step) noexcept nogil:
    # Called once per step, before any chunk runs (the chunks only read the parameters).
    if kernel.prepare != NULL:
        kernel.prepare(<void*>kernel.params, step)


cdef inline void kernel_step(Kernel kernel,
                             Py_ssize_t n,
                             const floating* x,           # IN: x_{t-1}
                             const floating* grad,        # IN: gradient at x_{t-1}
                             const floating* state,       # IN: one row per state array
                             floating* x_out,             # OUT: x_t
                             floating* state_out,         # OUT: state after step t
                             Py_ssize_t step,             # t, 1 for the first step
                             double learning_rate,
                             ) noexcept nogil:
    # The step alone: no projection, no reductions.
    prepare_step(kernel, step)
    if n < SMALL and kernel.direct_double != NULL:
        if floating is double:
            kernel.direct_double(kernel.params, n, x, grad, state, x_out, state_out, step,
                                 learning_rate)
        else:
            kernel.direct_float(kernel.params, n, x, grad, state, x_out, state_out, step,
                                learning_rate)
        return
    if kernel.loop != NULL:  # Kernel itself has no loop (Kernel.step refuses it)
        split_step(kernel.loop[0], kernel.threads, n, x, grad, state, x_out, state_out,
                   kernel.params, step, learning_rate, False, 0, NULL, NULL, NULL, False, 0,
                   INFINITY, 0.0, INFINITY)


cdef inline double gradient_magnitude(Kernel kernel,
                                      Py_ssize_t n,
                                      const floating* grad,   # IN
                                      ) noexcept nogil:
    # max |grad| when the gradient is finite, else infinity or NaN: one vectorised pass that
    # is both the finiteness check and (without a box) the projected gradient's max-norm.
    cdef int32_t float_bits
    cdef int64_t bits
    if n < SMALL:  # as split_magnitude does, without a task to hand out
        if floating is float:
            float_bits = magnitude_max_f32(n, grad, 0)
            return INFINITY if float_bits >= F32_EXPONENT else double_from_f32_bits(float_bits)
        bits = magnitude_max_f64(n, grad, 0)
        return INFINITY if bits >= F64_EXPONENT else double_from_bits(bits)
    return split_magnitude(kernel.magnitude_loop[0], kernel.threads, n, grad)


cdef inline double projected_gradient_norm(Kernel kernel,
                                           Py_ssize_t n,
                                           const floating* x,      # IN
                                           const floating* grad,   # IN
                                           const double* lower,    # IN: the box
                                           const double* upper,    # IN
                                           bint maximize,
                                           ) noexcept nogil:
    # With a box: the projected gradient's max-norm when the gradient is finite, else
    # infinity: one vectorised pass, as gradient_magnitude is without one.
    return split_projected(kernel.projected_loop[0], kernel.threads, n, x, grad, lower, upper,
                           maximize)


cdef inline void kernel_step_size(Kernel kernel,
                                  Py_ssize_t n,
                                  const floating* state,  # IN
                                  Py_ssize_t step,
                                  double learning_rate,
                                  double* out,            # OUT
                                  ) noexcept nogil:
    if floating is double:
        kernel.step_size_double(n, state, step, learning_rate, out)
    else:
        kernel.step_size_float(n, state, step, learning_rate, out)


cdef inline StepMeasures small_measured_step(Kernel kernel,
                                             Py_ssize_t n,
                                             const floating* x,           # IN
                                             const floating* grad,        # IN
                                             const floating* state,       # IN
                                             floating* x_out,             # OUT
                                             floating* state_out,         # OUT
                                             Py_ssize_t step,
                                             double learning_rate,
                                             const double* lower,         # IN, or NULL
                                             const double* upper,         # IN
                                             bint maximize,
                                             int measures,
                                             floating* x_saved,           # OUT, or NULL
                                             ) noexcept nogil:
    # measured_step for n < SMALL without clipping: the step as one plain call, then the
    # block's projection and reductions of the chunked path, on the whole vector as one block.
    cdef Chunk block
    block.lower, block.upper = lower, upper
    block.maximize = maximize
    block.stride = n
    block.rows_written = kernel.rows_written
    block.measures = measures
    block.step_bits = block.value_bits = block.grad_bits = block.projected_bits = 0
    if x_saved != NULL:
        memcpy(x_saved, x, n * sizeof(floating))
    kernel_step(kernel, n, x, grad, state, x_out, state_out, step, learning_rate)
    finish_block(&block, 0, n, x if x_saved == NULL else x_saved, grad, x_out, state_out)
    return step_measures(&block, 1, F32_EXPONENT if floating is float else F64_EXPONENT)


cdef inline StepMeasures measured_step(Kernel kernel,
                                       Py_ssize_t n,
                                       const floating* x,           # IN
                                       const floating* grad,        # IN
                                       const floating* state,       # IN
                                       floating* x_out,             # OUT
                                       floating* state_out,         # OUT
                                       double clipnorm,             # infinity disables
                                       double clipvalue,            # infinity disables
                                       Py_ssize_t step,
                                       double learning_rate,
                                       const double* lower,         # IN: the box, or NULL
                                       const double* upper,         # IN
                                       bint maximize,               # for MEASURE_PROJECTED
                                       int measures,                # MEASURE_* flags
                                       floating* x_saved,           # OUT, or NULL
                                       ) noexcept nogil:
    # The step every loop takes, in one pass over the arrays: clip the gradient (Keras's
    # definitions; clipnorm needs the gradient's norm first, one more pass), step, project onto
    # the box and measure. The step may be committed when x_out and the state rows the step
    # wrote are finite (a finite but huge gradient can overflow the state, v = g**2, while x
    # stays finite). Rows it did not write hold what they held, finite.
    # Out of place, or in place (x_out == x) with x_saved: x as it was, for an undo; the step's
    # max-norm is then measured against it.
    cdef double norm = two_norm(n, grad) if clipnorm < INFINITY else 0.0
    if n < SMALL and clipnorm == INFINITY and clipvalue == INFINITY:
        return small_measured_step(kernel, n, x, grad, state, x_out, state_out, step,
                                   learning_rate, lower, upper, maximize, measures, x_saved)
    prepare_step(kernel, step)
    return split_step(kernel.loop[0], kernel.threads, n, x, grad, state, x_out, state_out,
                      kernel.params, step, learning_rate, True, measures, x_saved, lower, upper,
                      maximize, kernel.rows_written, clipnorm, norm, clipvalue)


cdef inline StepMeasures segment_step(Kernel kernel,
                                      Py_ssize_t n,
                                      Py_ssize_t stride,          # of the shared state block
                                      floating* x,                # IN/OUT: stepped in place
                                      const floating* grad,       # IN
                                      const floating* state,      # IN: rows `stride` apart
                                      floating* state_out,        # OUT: rows `stride` apart
                                      double clipnorm,            # infinity disables
                                      double norm,                # of every segment's gradient
                                      double clipvalue,           # infinity disables
                                      Py_ssize_t step,
                                      double learning_rate,
                                      floating* x_saved,          # OUT: x before the step
                                      ) noexcept nogil:
    # The in-place step of one array among several that share a state block (the optimizer
    # classes' several arrays), measuring what the classes' step measures. Element by element
    # it is the step of the arrays' concatenation: clipnorm takes the norm of all of them.
    prepare_step(kernel, step)
    return split_strided_step(kernel.loop[0], kernel.threads, n, stride, x, grad, state, x,
                              state_out, kernel.params, step, learning_rate, True,
                              MEASURE_GRADIENT, x_saved, NULL, NULL, False, kernel.rows_written,
                              clipnorm, norm, clipvalue)
