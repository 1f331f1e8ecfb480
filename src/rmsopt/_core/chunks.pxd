# A step split into contiguous chunks of every array. Each method's step takes the distance
# between state rows (`stride`) besides its length, so elements [start, stop) of a (rows, n)
# block are the block's pointer plus start, with stride n, and a chunk is a step of its own.
# One chunk runs on the calling thread; more run on the process's worker pool.
#
# A measured step does all its work in one pass over memory: each chunk steps a block of
# BLOCK elements, projects it onto the box and reduces it (whether the new iterate and the
# state rows the step wrote are finite, and as asked the step's max-norm and the gradient's
# finiteness) while the block is in cache. A step of x in place can save each block of x
# before stepping it, so that the caller can undo the whole step.
from cpython.pycapsule cimport PyCapsule_GetPointer
from cython cimport floating
from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t

from .thread_pool cimport ChunkTask, run_chunks, usable_cpus

cdef extern from "thread_pool.h":
    enum: MAX_CHUNKS "RMSOPT_POOL_MAX_CHUNKS"

cdef extern from "reductions.h":
    int64_t F64_EXPONENT "RMSOPT_F64_EXPONENT"
    int32_t F32_EXPONENT "RMSOPT_F32_EXPONENT"
    int64_t magnitude_max_f64 "rmsopt_magnitude_max_f64"(
        Py_ssize_t n, const double* values, int64_t m) noexcept nogil
    int32_t magnitude_max_f32 "rmsopt_magnitude_max_f32"(
        Py_ssize_t n, const float* values, int32_t m) noexcept nogil
    void step_max_f64 "rmsopt_step_max_f64"(
        Py_ssize_t n, const double* a, const double* b, int64_t* difference,
        int64_t* magnitude) noexcept nogil
    void step_max_f32 "rmsopt_step_max_f32"(
        Py_ssize_t n, const float* a, const float* b, int64_t* difference,
        int32_t* magnitude) noexcept nogil
    void projected_max_f64 "rmsopt_projected_max_f64"(
        Py_ssize_t n, const double* x, const double* g, const double* lower,
        const double* upper, int maximize, int64_t* gradient, int64_t* projected) noexcept nogil
    void projected_max_f32 "rmsopt_projected_max_f32"(
        Py_ssize_t n, const float* x, const float* g, const double* lower,
        const double* upper, int maximize, int64_t* gradient, int64_t* projected) noexcept nogil
    double double_from_bits "rmsopt_double_from_bits"(int64_t bits) noexcept nogil
    double double_from_f32_bits "rmsopt_double_from_f32_bits"(int32_t bits) noexcept nogil

cdef enum:
    # The smallest n split across threads: below it, handing chunks to the pool's workers costs
    # more than they save (RMSprop's step, measured by benchmarks/compare.py).
    PARALLEL_FROM = 16384
    # Elements stepped, projected and reduced at a time by a measured step: the block's rows
    # stay in the core's caches between the step and the reductions.
    BLOCK = 2048
    # What a measured step reduces besides the finiteness of what it wrote (Chunk.measures):
    MEASURE_STEP = 1            # the max-norm of x_out - x
    MEASURE_GRADIENT = 2        # the magnitude of the gradient (whether it is finite)
    MEASURE_PROJECTED = 4       # that and the projected gradient's max-norm (with a box)


ctypedef struct Chunk:
    Py_ssize_t n              # elements in this chunk
    Py_ssize_t stride         # distance between state rows: the whole step's n
    const void* x             # the chunk's first element of each array
    const void* grad
    const void* state
    void* x_out
    void* state_out
    const void* params        # the kernel's parameter struct
    Py_ssize_t step
    double learning_rate
    bint is_float
    # A measured step (see split_step) also projects and reduces:
    bint measured
    int measures              # MEASURE_* flags, or 0
    void* x_saved             # x's block is copied here before an in-place step, or NULL
    const double* lower       # the box from the chunk's first element, or NULL
    const double* upper
    bint clip_by_norm         # the gradient is g * clipnorm / norm (Keras's clipnorm)
    double clipnorm
    double norm
    bint clip_by_value        # the gradient is g clipped to [-clipvalue, clipvalue]
    double clipvalue
    bint maximize             # for the projected gradient (split_projected)
    unsigned rows_written     # bit r: the step writes state row r
    int64_t step_bits         # OUT: magnitude bits of max |x_out - x| (as a double)
    # OUT: magnitude bits of max |x_out| and of the written rows, in the chunk's dtype
    # (widened): not finite from the dtype's exponent bits on.
    int64_t value_bits
    int64_t grad_bits         # OUT: magnitude bits of max |grad|, in the chunk's dtype
    int64_t projected_bits    # OUT: of the projected gradient's max-norm (as a double)


cdef inline int chunk_count(Py_ssize_t n, int threads) noexcept nogil:
    # How many chunks a step of n elements splits into: at most one per usable CPU (a chunk
    # waiting for a core would delay the whole step), and one below PARALLEL_FROM.
    if n < PARALLEL_FROM:
        return 1
    return max(min(threads, usable_cpus(), <int>MAX_CHUNKS), 1)


cdef inline Py_ssize_t chunk_start(int t, int count, Py_ssize_t n) noexcept nogil:
    # Chunk t's first element (t = count: n). Boundaries on multiples of 16 elements: for
    # arrays that start on a 64-byte boundary, no two threads write one cache line.
    return n if t == count else (t * n // count) & ~15


ctypedef struct StepMeasures:
    # What a measured step reports: whether x_out and the state rows it wrote are finite, the
    # max-norm of x_out - x (computed in double; with MEASURE_STEP), whether the gradient is
    # finite (with MEASURE_GRADIENT or MEASURE_PROJECTED; else true) and the projected
    # gradient's max-norm at x (with MEASURE_PROJECTED: infinity when the gradient is not
    # finite, as split_projected gives it).
    bint finite
    double step_norm
    bint gradient_finite
    double projected_norm


cdef inline StepMeasures step_measures(const Chunk* chunks,
                                       int count,
                                       int64_t exponent,         # the dtype's
                                       ) noexcept nogil:
    # The measures of a step from its chunks' reductions.
    cdef StepMeasures measures
    cdef int64_t step_bits = 0, value_bits = 0, grad_bits = 0, projected_bits = 0
    cdef int t
    for t in range(count):
        step_bits = max(step_bits, chunks[t].step_bits)
        value_bits = max(value_bits, chunks[t].value_bits)
        grad_bits = max(grad_bits, chunks[t].grad_bits)
        projected_bits = max(projected_bits, chunks[t].projected_bits)
    measures.finite = value_bits < exponent
    measures.step_norm = double_from_bits(step_bits)
    measures.gradient_finite = grad_bits < exponent
    measures.projected_norm = (double_from_bits(projected_bits) if measures.gradient_finite
                               else INFINITY)
    return measures

cdef inline StepMeasures split_step(ChunkTask loop,      # a method's <name>_chunk
                                    int threads,
                                    Py_ssize_t n,
                                    const floating* x,           # IN
                                    const floating* grad,        # IN
                                    const floating* state,       # IN: (rows, n)
                                    floating* x_out,             # OUT (may be x)
                                    floating* state_out,         # OUT (may be state)
                                    const void* params,
                                    Py_ssize_t step,
                                    double learning_rate,
                                    bint measured,               # clip, project, reduce too
                                    int measures,                # MEASURE_* flags
                                    floating* x_saved,           # OUT: x, for an undo; or NULL
                                    const double* lower,         # IN: the box, or NULL
                                    const double* upper,         # IN
                                    bint maximize,               # for MEASURE_PROJECTED
                                    unsigned rows_written,       # the kernel's written rows
                                    double clipnorm,             # infinity: no clipping
                                    double norm,                 # the gradient's, if clipnorm
                                    double clipvalue,            # infinity: no clipping
                                    ) noexcept nogil:
    # A step of a whole (rows, n) state block: rows n apart.
    return split_strided_step(loop, threads, n, n, x, grad, state, x_out, state_out, params,
                              step, learning_rate, measured, measures, x_saved, lower, upper,
                              maximize, rows_written, clipnorm, norm, clipvalue)


cdef inline StepMeasures split_strided_step(ChunkTask loop,
                                            int threads,
                                            Py_ssize_t n,
                                            Py_ssize_t stride,     # between state rows, >= n
                                            const floating* x,
                                            const floating* grad,
                                            const floating* state,  # rows `stride` apart
                                            floating* x_out,
                                            floating* state_out,
                                            const void* params,
                                            Py_ssize_t step,
                                            double learning_rate,
                                            bint measured,
                                            int measures,
                                            floating* x_saved,
                                            const double* lower,
                                            const double* upper,
                                            bint maximize,
                                            unsigned rows_written,
                                            double clipnorm,
                                            double norm,
                                            double clipvalue,
                                            ) noexcept nogil:
    # split_step on n elements of a wider state block: one array among several sharing it.
    cdef Chunk chunks[MAX_CHUNKS]
    cdef Py_ssize_t start, stop
    cdef int count = chunk_count(n, threads)
    cdef int t
    cdef int64_t exponent = F32_EXPONENT if floating is float else F64_EXPONENT
    for t in range(count):
        start = chunk_start(t, count, n)
        stop = chunk_start(t + 1, count, n)
        chunks[t].n = stop - start
        chunks[t].stride = stride
        chunks[t].x = x + start
        chunks[t].grad = grad + start
        chunks[t].state = state + start
        chunks[t].x_out = x_out + start
        chunks[t].state_out = state_out + start
        chunks[t].params = params
        chunks[t].step = step
        chunks[t].learning_rate = learning_rate
        chunks[t].is_float = floating is float
        chunks[t].measured = measured
        chunks[t].measures = measures
        chunks[t].x_saved = x_saved + start if x_saved != NULL else NULL
        chunks[t].lower = lower + start if lower != NULL else NULL
        chunks[t].upper = upper + start if upper != NULL else NULL
        chunks[t].maximize = maximize
        chunks[t].rows_written = rows_written
        # Keras clips by norm only when the norm exceeds clipnorm.
        chunks[t].clip_by_norm = clipnorm < INFINITY and norm > clipnorm
        chunks[t].clipnorm = clipnorm
        chunks[t].norm = norm
        chunks[t].clip_by_value = clipvalue < INFINITY
        chunks[t].clipvalue = clipvalue
        chunks[t].step_bits = 0
        chunks[t].value_bits = 0
        chunks[t].grad_bits = 0
        chunks[t].projected_bits = 0
    if count == 1:
        loop(chunks, 0)
    else:
        run_chunks(loop, chunks, count)
    return step_measures(chunks, count, exponent)


cdef inline const floating* clipped_block(const Chunk* c,
                                          const floating* grad,    # IN: the block's gradient
                                          Py_ssize_t size,
                                          floating* scratch,       # OUT: BLOCK elements
                                          ) noexcept nogil:
    # The block's gradient as the step takes it: clipped into `scratch` (Keras's definitions:
    # g * clipnorm / norm in double, or g clipped elementwise to [-clipvalue, clipvalue]),
    # or `grad` itself when not clipping.
    cdef Py_ssize_t i
    cdef double value, limit = c.clipvalue
    if c.clip_by_norm:
        for i in range(size):
            scratch[i] = <floating>((<double>grad[i] * c.clipnorm) / c.norm)
        return scratch
    if c.clip_by_value:
        for i in range(size):
            value = grad[i]
            value = limit if value > limit else value
            value = -limit if value < -limit else value
            scratch[i] = <floating>value
        return scratch
    return grad


cdef inline void finish_block(Chunk* c,
                              Py_ssize_t start,        # the block's first element in the chunk
                              Py_ssize_t size,         # its length
                              const floating* x,       # IN: the chunk's x before the step
                              const floating* grad,    # IN: the chunk's gradient, unclipped
                              floating* x_out,         # IN/OUT: the chunk's
                              const floating* state_out,  # IN: the chunk's, rows at c.stride
                              ) noexcept nogil:
    # After a block's step: project it onto the box, then fold it into the chunk's reductions.
    cdef Py_ssize_t i, row
    cdef floating* block_out = x_out + start
    cdef const double* lower = c.lower + start if c.lower != NULL else NULL
    cdef const double* upper = c.upper + start if c.lower != NULL else NULL
    cdef double value
    cdef int32_t float_bits = 0
    if lower != NULL:
        # Branch-free, so that it vectorises; lower <= upper, and the bounds of a float32 run
        # are float32 values, so the result is the clipped element exactly (NaN stays NaN).
        for i in range(size):
            value = block_out[i]
            value = lower[i] if value < lower[i] else value
            value = upper[i] if value > upper[i] else value
            block_out[i] = <floating>value
    if floating is float:
        if c.measures & MEASURE_STEP:
            step_max_f32(size, block_out, x + start, &c.step_bits, &float_bits)
        else:
            float_bits = magnitude_max_f32(size, block_out, float_bits)
        for row in range(32):
            if c.rows_written >> row == 0:
                break
            if c.rows_written >> row & 1:
                float_bits = magnitude_max_f32(size, state_out + row * c.stride + start,
                                               float_bits)
        c.value_bits = max(c.value_bits, <int64_t>float_bits)
        if c.measures & MEASURE_PROJECTED:
            projected_max_f32(size, x + start, grad + start, lower, upper, c.maximize,
                              &c.grad_bits, &c.projected_bits)
        elif c.measures & MEASURE_GRADIENT:
            c.grad_bits = max(c.grad_bits,
                              <int64_t>magnitude_max_f32(size, grad + start, 0))
    else:
        if c.measures & MEASURE_STEP:
            step_max_f64(size, block_out, x + start, &c.step_bits, &c.value_bits)
        else:
            c.value_bits = magnitude_max_f64(size, block_out, c.value_bits)
        if c.measures & MEASURE_PROJECTED:
            projected_max_f64(size, x + start, grad + start, lower, upper, c.maximize,
                              &c.grad_bits, &c.projected_bits)
        elif c.measures & MEASURE_GRADIENT:
            c.grad_bits = magnitude_max_f64(size, grad + start, c.grad_bits)
        for row in range(32):
            if c.rows_written >> row == 0:
                break
            if c.rows_written >> row & 1:
                c.value_bits = magnitude_max_f64(size, state_out + row * c.stride + start,
                                                 c.value_bits)


cdef inline void reduce_chunk_magnitude(Chunk* c) noexcept nogil:
    # The magnitude reduction of a chunk's `grad` (see split_magnitude), into value_bits.
    if c.is_float:
        c.value_bits = magnitude_max_f32(c.n, <const float*>c.grad, 0)
    else:
        c.value_bits = magnitude_max_f64(c.n, <const double*>c.grad, 0)


cdef inline double split_magnitude(ChunkTask loop,       # a build's magnitude_chunk
                                   int threads,
                                   Py_ssize_t n,
                                   const floating* values,   # IN
                                   ) noexcept nogil:
    # max |values| as a double when every value is finite; infinity or NaN otherwise.
    cdef Chunk chunks[MAX_CHUNKS]
    cdef Py_ssize_t start, stop
    cdef int count = chunk_count(n, threads)
    cdef int t
    cdef int64_t bits = 0
    for t in range(count):
        start = chunk_start(t, count, n)
        stop = chunk_start(t + 1, count, n)
        chunks[t].n = stop - start
        chunks[t].grad = values + start
        chunks[t].is_float = floating is float
    if count == 1:
        loop(chunks, 0)
    else:
        run_chunks(loop, chunks, count)
    for t in range(count):
        bits = max(bits, chunks[t].value_bits)
    if floating is float:
        return double_from_f32_bits(<int32_t>bits)
    return double_from_bits(bits)


cdef inline ChunkTask loop_from(object capsule, ChunkTask baseline) except NULL:
    # The chunk loop a capsule of method_loops_avx2.LOOPS carries, or the module's own build
    # for None.
    if capsule is None:
        return baseline
    return <ChunkTask>PyCapsule_GetPointer(capsule, b"rmsopt chunk loop")


cdef inline void reduce_chunk_projected(Chunk* c) noexcept nogil:
    # split_projected's reductions of a chunk: value_bits, the gradient's magnitude bits (in
    # its dtype), and step_bits, the projected gradient's (as a double).
    if c.is_float:
        projected_max_f32(c.n, <const float*>c.x, <const float*>c.grad, c.lower, c.upper,
                          c.maximize, &c.value_bits, &c.step_bits)
    else:
        projected_max_f64(c.n, <const double*>c.x, <const double*>c.grad, c.lower, c.upper,
                          c.maximize, &c.value_bits, &c.step_bits)


cdef inline double split_projected(ChunkTask loop,       # a build's projected_chunk
                                   int threads,
                                   Py_ssize_t n,
                                   const floating* x,        # IN
                                   const floating* grad,     # IN
                                   const double* lower,      # IN: the box
                                   const double* upper,      # IN
                                   bint maximize,
                                   ) noexcept nogil:
    # The projected gradient's max-norm when the gradient is finite, else infinity or NaN.
    cdef Chunk chunks[MAX_CHUNKS]
    cdef Py_ssize_t start, stop
    cdef int count = chunk_count(n, threads)
    cdef int t
    cdef int64_t gradient_bits = 0, projected_bits = 0
    cdef int64_t exponent = F32_EXPONENT if floating is float else F64_EXPONENT
    for t in range(count):
        start = chunk_start(t, count, n)
        stop = chunk_start(t + 1, count, n)
        chunks[t].n = stop - start
        chunks[t].x = x + start
        chunks[t].grad = grad + start
        chunks[t].lower = lower + start
        chunks[t].upper = upper + start
        chunks[t].maximize = maximize
        chunks[t].is_float = floating is float
        chunks[t].value_bits = 0
        chunks[t].step_bits = 0
    if count == 1:
        loop(chunks, 0)
    else:
        run_chunks(loop, chunks, count)
    for t in range(count):
        gradient_bits = max(gradient_bits, chunks[t].value_bits)
        projected_bits = max(projected_bits, chunks[t].step_bits)
    if gradient_bits >= exponent:
        return INFINITY
    return double_from_bits(projected_bits)
