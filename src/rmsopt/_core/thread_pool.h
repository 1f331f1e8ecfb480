/* A process-wide pool of worker threads that runs the chunks of one kernel step.
 *
 * rmsopt_pool_run(task, tasks, chunks) calls task(tasks, c) for every c in [0, chunks) and
 * returns when all calls have returned: chunk 0 on the calling thread, chunk c > 0 on worker c.
 * Whenever workers cannot be had (another thread is running the pool, a worker cannot be
 * started, or the system has no POSIX threads) the caller runs those chunks itself, so a call
 * always completes and computes the same thing.
 *
 * Workers are started on first use and kept. Between runs they spin for a short while, then
 * sleep, so that the steps of a loop do not pay for a thread start or a wake-up each. A child
 * forked from a process that used the pool starts its own workers (pthread_atfork), which
 * OpenMP's runtime does not do: that is why the kernels do not use OpenMP.
 */
#ifndef RMSOPT_THREAD_POOL_H
#define RMSOPT_THREAD_POOL_H

#define RMSOPT_POOL_MAX_CHUNKS 64

typedef void (*rmsopt_chunk_task)(void *tasks, int chunk);

void rmsopt_pool_run(rmsopt_chunk_task task, void *tasks, int chunks);

/* The workers alive in this process (for tests and diagnostics). */
int rmsopt_pool_workers(void);

/* The CPUs this process may run on (its affinity mask), read once: kernels split a step into
 * at most this many chunks, since a chunk waiting for a core delays the whole step. */
int rmsopt_pool_cpus(void);

/* Sets the count rmsopt_pool_cpus reports and returns the previous one (for tests). */
int rmsopt_pool_set_cpus(int cpus);

#endif
