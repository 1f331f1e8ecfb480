# A step split into contiguous chunks of every array. Each method's step takes the distance
# between state rows (`stride`) besides its length, so elements [start, stop) of a (rows, n)
# block are the block's pointer plus start, with stride n, and a chunk is a step of its own.
# One chunk runs on the calling thread; more run on the process's worker pool.
from cpython.pycapsule cimport PyCapsule_GetPointer
from cython cimport floating

from .thread_pool cimport ChunkTask, run_chunks, usable_cpus

cdef extern from "thread_pool.h":
    enum: MAX_CHUNKS "RMSOPT_POOL_MAX_CHUNKS"

cdef enum:
    # The smallest n split across threads: below it, handing chunks to the pool's workers costs
    # more than they save (RMSprop's step, measured by benchmarks/compare.py).
    PARALLEL_FROM = 16384


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


cdef inline void split_step(ChunkTask loop,              # a method's <name>_chunk
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
                            ) noexcept nogil:
    cdef Chunk chunks[MAX_CHUNKS]
    cdef Py_ssize_t start, stop
    # At most one chunk per usable CPU: a chunk waiting for a core would delay the whole step.
    cdef int count = (1 if n < PARALLEL_FROM
                      else max(min(threads, usable_cpus(), <int>MAX_CHUNKS), 1))
    cdef int t
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
    if count == 1:
        loop(chunks, 0)
    else:
        run_chunks(loop, chunks, count)


cdef inline ChunkTask loop_from(object capsule, ChunkTask baseline) except NULL:
    # The chunk loop a capsule of method_loops_avx2.LOOPS carries, or the module's own build
    # for None.
    if capsule is None:
        return baseline
    return <ChunkTask>PyCapsule_GetPointer(capsule, b"rmsopt chunk loop")
