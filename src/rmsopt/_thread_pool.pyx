"""The worker pool that kernels split large steps over (see ``_thread_pool.h``).

Kernels reach it through ``run_chunks`` (cimported from ``_thread_pool.pxd``), so that every
kernel module shares one pool per process.
"""

cdef extern from "_thread_pool.h":
    int RMSOPT_POOL_MAX_CHUNKS
    void rmsopt_pool_run(ChunkTask task, void* tasks, int chunks) nogil
    int rmsopt_pool_workers() nogil


MAX_CHUNKS = RMSOPT_POOL_MAX_CHUNKS


cdef void run_chunks(ChunkTask task, void* tasks, int chunks) noexcept nogil:
    rmsopt_pool_run(task, tasks, chunks)


def workers():
    """The number of pool workers started in this process (0 before first use)."""
    return rmsopt_pool_workers()
