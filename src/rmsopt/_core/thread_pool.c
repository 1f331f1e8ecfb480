/* The worker pool declared in thread_pool.h. */
#include "thread_pool.h"

#if defined(_WIN32)

void rmsopt_pool_run(rmsopt_chunk_task task, void *tasks, int chunks) {
    for (int c = 0; c < chunks; c++) task(tasks, c);
}

int rmsopt_pool_workers(void) { return 0; }

int rmsopt_pool_cpus(void) { return 1; }

int rmsopt_pool_set_cpus(int cpus) { return 1; }

#else

#define _GNU_SOURCE /* sched_getaffinity */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
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
    atomic_int sleeping; /* the worker waits on `wake` */
    pthread_mutex_t lock;
    pthread_cond_t wake;
} slot;

static struct {
    pthread_mutex_t run_lock; /* held by the one caller running the pool */
    atomic_int workers;       /* started; worker w owns slots[w], w >= 1 */
    int start_failed;         /* a thread could not be started: do not try again */
    int atfork_registered;
    int cpus;                 /* CPUs this process may run on; 0 until asked */
    slot slots[RMSOPT_POOL_MAX_CHUNKS];
} pool = {PTHREAD_MUTEX_INITIALIZER};

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
    for (unsigned spin = 1;; spin++) {
        if ((ticket = atomic_load(&s->ticket)) != seen) return ticket;
        cpu_relax();
        if (spin % 64 == 0 && elapsed_ns(&start) > SPIN_NANOSECONDS) break;
    }
    /* The caller stores a ticket and then reads `sleeping`; here `sleeping` is raised before the
     * ticket is read again. Both are sequentially consistent, so one of the two sees the
     * other: either the caller signals, or this thread sees the ticket and does not wait. */
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->sleeping, 1);
    while ((ticket = atomic_load(&s->ticket)) == seen) pthread_cond_wait(&s->wake, &s->lock);
    atomic_store(&s->sleeping, 0);
    pthread_mutex_unlock(&s->lock);
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

static void reset_slot(slot *s) {
    atomic_store(&s->ticket, 0);
    atomic_store(&s->done, 0);
    atomic_store(&s->sleeping, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
}

/* In a forked child only the forking thread exists: forget the parent's workers and locks.
 * (Re-initialising a lock another thread of the parent held is what glibc and musl allow.) */
static void reset_in_child(void) {
    pthread_mutex_init(&pool.run_lock, NULL);
    atomic_store(&pool.workers, 0);
    pool.start_failed = 0;
    pool.cpus = 0;
}

static int usable_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

/* Starts workers up to `wanted` (run_lock held); returns how many there are. */
static int start_workers(int wanted) {
    int workers = atomic_load(&pool.workers);
    if (workers >= wanted || pool.start_failed) return workers;
    if (!pool.atfork_registered) {
        if (pthread_atfork(NULL, NULL, reset_in_child) != 0) return workers;
        pool.atfork_registered = 1;
    }
    /* Workers inherit a mask that blocks the asynchronous signals, so that they (Ctrl-C) reach
     * Python's threads and not a worker. Faults stay unblocked: a blocked SIGSEGV raised by the
     * thread itself kills the process without running faulthandler. */
    sigset_t blocked, previous;
    sigfillset(&blocked);
    int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++) sigdelset(&blocked, faults[i]);
    pthread_sigmask(SIG_SETMASK, &blocked, &previous);
    while (workers < wanted) {
        slot *s = &pool.slots[workers + 1];
        pthread_t id;
        reset_slot(s);
        if (pthread_create(&id, NULL, worker_main, s) != 0) {
            pool.start_failed = 1;
            break;
        }
        pthread_detach(id);
        atomic_store(&pool.workers, ++workers);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return workers;
}

int rmsopt_pool_cpus(void) {
    /* Read once per process (the fork handler forgets it); a racy first read is harmless. */
    if (pool.cpus == 0) pool.cpus = usable_cpus();
    return pool.cpus;
}

int rmsopt_pool_set_cpus(int cpus) {
    int previous = rmsopt_pool_cpus();
    pool.cpus = cpus;
    return previous;
}

void rmsopt_pool_run(rmsopt_chunk_task task, void *tasks, int chunks) {
    if (chunks <= 1 || pthread_mutex_trylock(&pool.run_lock) != 0) {
        for (int c = 0; c < chunks; c++) task(tasks, c);
        return;
    }
    int helpers = chunks - 1 < RMSOPT_POOL_MAX_CHUNKS - 1 ? chunks - 1 : RMSOPT_POOL_MAX_CHUNKS - 1;
    int available = start_workers(helpers);
    if (available < helpers) helpers = available;
    unsigned long tickets[RMSOPT_POOL_MAX_CHUNKS];
    for (int w = 1; w <= helpers; w++) {
        slot *s = &pool.slots[w];
        s->task = task;
        s->tasks = tasks;
        s->chunk = w;
        tickets[w] = atomic_load(&s->ticket) + 1;
        atomic_store(&s->ticket, tickets[w]);
        if (atomic_load(&s->sleeping)) {
            pthread_mutex_lock(&s->lock);
            pthread_cond_signal(&s->wake);
            pthread_mutex_unlock(&s->lock);
        }
    }
    task(tasks, 0);
    for (int c = helpers + 1; c < chunks; c++) task(tasks, c); /* chunks no worker took */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int w = 1; w <= helpers; w++) {
        for (unsigned spin = 1; atomic_load(&pool.slots[w].done) != tickets[w]; spin++) {
            /* A worker that lost its core (more threads than cores) gets it back. */
            if (spin % 64 == 0 && elapsed_ns(&start) > SPIN_NANOSECONDS)
                sched_yield();
            else
                cpu_relax();
        }
    }
    pthread_mutex_unlock(&pool.run_lock);
}

int rmsopt_pool_workers(void) { return atomic_load(&pool.workers); }

#endif
