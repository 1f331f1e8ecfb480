# The process-wide worker pool (thread_pool.c) as kernels call it: task(tasks, c) for every c
# in [0, chunks), chunk 0 on the calling thread, returning when all have run.
ctypedef void (*ChunkTask)(void* tasks, int chunk) noexcept nogil

cdef void run_chunks(ChunkTask task, void* tasks, int chunks) noexcept nogil

# The CPUs this process may run on: more chunks than that would wait for a core.
cdef int usable_cpus() noexcept nogil
