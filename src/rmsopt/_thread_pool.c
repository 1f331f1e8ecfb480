/* The worker pool declared in _thread_pool.h. */
#include "_thread_pool.h"

#if defined(_WIN32)

void rmsopt_pool_run(rmsopt_chunk_task task, void *tasks, int chunks) {
    for (int c = 0; c < chunks; c++) task(tasks, c);
}

int rmsopt_pool_workers(void) { return 0; }

#else

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* How long an idle worker spins before it sleeps, and the caller spins before it yields: long
 * enough to span the gradient evaluation between two steps of a loop, short enough that an idle
 * process gives its cores back at once. (OpenMP's runtimes spin for a similar time.) */
#define SPIN_NANOSECONDS 200000L

typedef struct {
    _Alignas(64) /* one slot per cache line: workers write `done` concurrently */
    /* Written by the caller before it publishes `ticket`, read by the worker after it sees it. */
    rmsopt_chunk_task task;
    void *tasks;
    int chunk;
    atomic_ulong ticket; /* the job the worker is asked to run */
    atomic_ulong done;   /* the last job it finished */
} slot;

static struct {
    pthread_mutex_t run_lock; /* held by the one caller running the pool */
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    atomic_int sleepers;
    int workers; /* started; worker w owns slots[w], w >= 1 */
    int atfork_registered;
    slot slots[RMSOPT_POOL_MAX_CHUNKS];
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long elapsed_ns(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

/* Waits until the slot's ticket differs from `seen` and returns it: spinning first, then asleep. */
static unsigned long next_ticket(slot *s, unsigned long seen) {
    struct timespec start;
    unsigned long ticket;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int spin = 1;; spin++) {
        if ((ticket = atomic_load(&s->ticket)) != seen) return ticket;
        cpu_relax();
        if (spin % 64 == 0 && elapsed_ns(&start) > SPIN_NANOSECONDS) break;
    }
    /* The caller stores a ticket and then reads `sleepers`; here `sleepers` is raised before the
     * ticket is read again. Both are sequentially consistent, so one of the two sees the
     * other: either the caller broadcasts, or this thread sees the ticket and does not wait. */
    pthread_mutex_lock(&pool.sleep_lock);
    atomic_fetch_add(&pool.sleepers, 1);
    while ((ticket = atomic_load(&s->ticket)) == seen) pthread_cond_wait(&pool.wake, &pool.sleep_lock);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.sleep_lock);
    return ticket;
}

static void *worker_main(void *argument) {
    slot *s = argument;
    unsigned long seen = 0; /* the ticket the slot was given before this thread started */
    for (;;) {
        seen = next_ticket(s, seen);
        s->task(s->tasks, s->chunk);
        atomic_store(&s->done, seen);
    }
    return NULL;
}

/* In a forked child only the forking thread exists: forget the parent's workers and locks. */
static void reset_in_child(void) {
    pthread_mutex_init(&pool.run_lock, NULL);
    pthread_mutex_init(&pool.sleep_lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    atomic_store(&pool.sleepers, 0);
    pool.workers = 0;
    for (int w = 0; w < RMSOPT_POOL_MAX_CHUNKS; w++) {
        atomic_store(&pool.slots[w].ticket, 0);
        atomic_store(&pool.slots[w].done, 0);
    }
}

/* Starts workers up to `wanted` (run_lock held); returns how many there are. */
static int start_workers(int wanted) {
    if (!pool.atfork_registered) {
        if (pthread_atfork(NULL, NULL, reset_in_child) != 0) return 0;
        pool.atfork_registered = 1;
    }
    /* Workers inherit a mask that blocks every signal, so signals (Ctrl-C) reach Python's
     * threads and not a worker. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    while (pool.workers < wanted) {
        int w = pool.workers + 1;
        pthread_t id;
        atomic_store(&pool.slots[w].ticket, 0);
        atomic_store(&pool.slots[w].done, 0);
        if (pthread_create(&id, NULL, worker_main, &pool.slots[w]) != 0) break;
        pthread_detach(id);
        pool.workers = w;
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return pool.workers;
}

void rmsopt_pool_run(rmsopt_chunk_task task, void *tasks, int chunks) {
    if (chunks > RMSOPT_POOL_MAX_CHUNKS) chunks = RMSOPT_POOL_MAX_CHUNKS;
    if (chunks <= 1 || pthread_mutex_trylock(&pool.run_lock) != 0) {
        for (int c = 0; c < chunks; c++) task(tasks, c);
        return;
    }
    int helpers = start_workers(chunks - 1);
    if (helpers > chunks - 1) helpers = chunks - 1;
    unsigned long tickets[RMSOPT_POOL_MAX_CHUNKS];
    for (int w = 1; w <= helpers; w++) {
        slot *s = &pool.slots[w];
        s->task = task;
        s->tasks = tasks;
        s->chunk = w;
        tickets[w] = atomic_load(&s->ticket) + 1;
        atomic_store(&s->ticket, tickets[w]);
    }
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.sleep_lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.sleep_lock);
    }
    task(tasks, 0);
    for (int c = helpers + 1; c < chunks; c++) task(tasks, c);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int w = 1; w <= helpers; w++) {
        for (int spin = 1; atomic_load(&pool.slots[w].done) != tickets[w]; spin++) {
            /* A worker that lost its core (more threads than cores) gets it back. */
            if (spin % 64 == 0 && elapsed_ns(&start) > SPIN_NANOSECONDS)
                sched_yield();
            else
                cpu_relax();
        }
    }
    pthread_mutex_unlock(&pool.run_lock);
}

int rmsopt_pool_workers(void) { return pool.workers; }

#endif
