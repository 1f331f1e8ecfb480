/* Seconds on a monotonic clock, for deciding when a native loop checks for Ctrl-C. */
#ifndef RMSOPT_MONOTONIC_H
#define RMSOPT_MONOTONIC_H

#if defined(_WIN32)
#include <windows.h>
static inline double rmsopt_monotonic_seconds(void)
{
    return (double)GetTickCount64() * 1e-3;
}
#else
#include <time.h>
static inline double rmsopt_monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}
#endif

#endif
