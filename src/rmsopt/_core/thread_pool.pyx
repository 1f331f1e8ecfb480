"""The worker pool that kernels split large steps over (see ``thread_pool.h``).

Kernels reach it through ``run_chunks`` (cimported from ``thread_pool.pxd``), so that every
kernel module shares one pool per process.
"""

cdef extern from "thread_pool.h":
    int RMSOPT_POOL_MAX_CHUNKS
    void rmsopt_pool_run(ChunkTask task, void* tasks, int chunks) nogil
    int rmsopt_pool_workers() nogil
    int rmsopt_pool_cpus() nogil
    int rmsopt_pool_set_cpus(int cpus) nogil


MAX_CHUNKS = RMSOPT_POOL_MAX_CHUNKS


cdef void run_chunks(ChunkTask task, void* tasks, int chunks) noexcept nogil:
    rmsopt_pool_run(task, tasks, chunks)


cdef int usable_cpus() noexcept nogil:
    return rmsopt_pool_cpus()


def workers():
    """The number of pool workers started in this process (0 before first use)."""
    return rmsopt_pool_workers()


def cpus():
    """The CPUs this process may run on, which bounds the chunks of a step."""
    return rmsopt_pool_cpus()


def set_cpus(int count):
    """Make steps split as if the process had ``count`` CPUs; returns the previous count.
    For tests of more chunks than this machine has cores."""
    if count < 1:
        raise ValueError(f"count must be a positive integer; got {count}")
    return rmsopt_pool_set_cpus(count)
