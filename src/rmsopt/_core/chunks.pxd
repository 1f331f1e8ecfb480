# A step split into contiguous chunks of every array. Each method's step takes the distance
# between state rows (`stride`) besides its length, so elements [start, stop) of a (rows, n)
# block are the block's pointer plus start, with stride n, and a chunk is a step of its own.
# One chunk runs on the calling thread; more run on the process's worker pool.
#
# A measured step does all its work in one pass over memory: each chunk steps a block of
# BLOCK elements, projects it onto the box and reduces it (the step's max-norm, whether the
# new iterate and the state rows the step wrote are finite) while the block is in cache.
from cpython.pycapsule cimport PyCapsule_GetPointer
from cython cimport floating
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
    double double_from_bits "rmsopt_double_from_bits"(int64_t bits) noexcept nogil
    double double_from_f32_bits "rmsopt_double_from_f32_bits"(int32_t bits) noexcept nogil

cdef enum:
    # The smallest n split across threads: below it, handing chunks to the pool's workers costs
    # more than they save (RMSprop's step, measured by benchmarks/compare.py).
    PARALLEL_FROM = 16384
    # Elements stepped, projected and reduced at a time by a measured step: the block's rows
    # stay in the core's caches between the step and the reductions.
    BLOCK = 2048


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
    const double* lower       # the box from the chunk's first element, or NULL
    const double* upper
    unsigned rows_written     # bit r: the step writes state row r
    int64_t step_bits         # OUT: magnitude bits of max |x_out - x| (as a double)
    # OUT: magnitude bits of max |x_out| and of the written rows, in the chunk's dtype
    # (widened): not finite from the dtype's exponent bits on.
    int64_t value_bits


ctypedef struct StepMeasures:
    # What a measured step reports: whether x_out and the state rows it wrote are finite, and
    # the max-norm of x_out - x (computed in double).
    bint finite
    double step_norm


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
                                    bint measured,               # project and reduce too
                                    const double* lower,         # IN: the box, or NULL
                                    const double* upper,         # IN
                                    unsigned rows_written,       # the kernel's written rows
                                    ) noexcept nogil:
    cdef Chunk chunks[MAX_CHUNKS]
    cdef Py_ssize_t start, stop
    # At most one chunk per usable CPU: a chunk waiting for a core would delay the whole step.
    cdef int count = (1 if n < PARALLEL_FROM
                      else max(min(threads, usable_cpus(), <int>MAX_CHUNKS), 1))
    cdef int t
    cdef int64_t step_bits = 0, value_bits = 0
    cdef int64_t exponent = F32_EXPONENT if floating is float else F64_EXPONENT
    cdef StepMeasures measures
    for t in range(count):
        # Boundaries on multiples of 16 elements: for arrays that start on a 64-byte boundary,
        # no two threads write one cache line.
        start = (t * n // count) & ~15
        stop = n if t == count - 1 else ((t + 1) * n // count) & ~15
        chunks[t].n = stop - start
        chunks[t].stride = n
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
        chunks[t].lower = lower + start if lower != NULL else NULL
        chunks[t].upper = upper + start if upper != NULL else NULL
        chunks[t].rows_written = rows_written
        chunks[t].step_bits = 0
        chunks[t].value_bits = 0
    if count == 1:
        loop(chunks, 0)
    else:
        run_chunks(loop, chunks, count)
    for t in range(count):
        step_bits = max(step_bits, chunks[t].step_bits)
        value_bits = max(value_bits, chunks[t].value_bits)
    measures.finite = value_bits < exponent
    measures.step_norm = double_from_bits(step_bits)
    return measures


cdef inline void finish_block(Chunk* c,
                              Py_ssize_t start,        # the block's first element in the chunk
                              Py_ssize_t size,         # its length
                              const floating* x,       # IN: the chunk's
                              floating* x_out,         # IN/OUT: the chunk's
                              const floating* state_out,  # IN: the chunk's, rows at c.stride
                              ) noexcept nogil:
    # After a block's step: project it onto the box, then fold it into the chunk's reductions.
    cdef Py_ssize_t i, row
    cdef floating* block_out = x_out + start
    cdef int32_t float_bits = 0
    if c.lower != NULL:
        for i in range(size):
            if block_out[i] < c.lower[start + i]:
                block_out[i] = <floating>c.lower[start + i]
            elif block_out[i] > c.upper[start + i]:
                block_out[i] = <floating>c.upper[start + i]
    if floating is float:
        step_max_f32(size, block_out, x + start, &c.step_bits, &float_bits)
        for row in range(32):
            if c.rows_written >> row == 0:
                break
            if c.rows_written >> row & 1:
                float_bits = magnitude_max_f32(size, state_out + row * c.stride + start,
                                               float_bits)
        c.value_bits = max(c.value_bits, <int64_t>float_bits)
    else:
        step_max_f64(size, block_out, x + start, &c.step_bits, &c.value_bits)
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
    cdef int count = (1 if n < PARALLEL_FROM
                      else max(min(threads, usable_cpus(), <int>MAX_CHUNKS), 1))
    cdef int t
    cdef int64_t bits = 0
    for t in range(count):
        start = (t * n // count) & ~15
        stop = n if t == count - 1 else ((t + 1) * n // count) & ~15
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
