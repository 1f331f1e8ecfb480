/* Branch-free reductions over a block of a vector, which compilers vectorise: integer compares
 * and maxima (a floating-point maximum would need -ffinite-math-only to vectorise).
 *
 * They work on magnitude bits: an IEEE value with its sign bit cleared, read as an integer.
 * For non-negative values the integers order as the values do, and infinities and NaNs have
 * the largest patterns (exponent all ones). So one maximum of magnitude bits gives both the
 * largest magnitude of a finite vector and whether any element is not finite: it is not when
 * the maximum reaches RMSOPT_F64_EXPONENT (RMSOPT_F32_EXPONENT for float).
 *
 * Each function takes the running maximum and returns it updated, so that a caller can reduce
 * a vector block by block while the block is in cache. LANES independent maxima are kept, so
 * that the vectorised loop is not bound by the latency of one chain of compares (about 2.5x
 * faster for a block in L1). Bits are read with memcpy, which compilers turn into a plain load.
 * Signed compares: the patterns stay below 2**63 (2**31), and AVX2 compares int64 signed only.
 */
#ifndef RMSOPT_REDUCTIONS_H
#define RMSOPT_REDUCTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RMSOPT_F64_EXPONENT INT64_C(0x7ff0000000000000)
#define RMSOPT_F32_EXPONENT INT32_C(0x7f800000)
#define RMSOPT_F64_MAGNITUDE INT64_C(0x7fffffffffffffff)
#define RMSOPT_F32_MAGNITUDE INT32_C(0x7fffffff)
#define RMSOPT_LANES 16

static inline int64_t rmsopt_f64_bits(double value)
{
    int64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits & RMSOPT_F64_MAGNITUDE;
}

static inline int32_t rmsopt_f32_bits(float value)
{
    int32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits & RMSOPT_F32_MAGNITUDE;
}

#define RMSOPT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* max over i of the magnitude bits of values[i], and m. */
static inline int64_t rmsopt_magnitude_max_f64(ptrdiff_t n, const double *values, int64_t m)
{
    if (n < RMSOPT_LANES) { /* small vectors: the lanes would cost more than the elements */
        for (ptrdiff_t i = 0; i < n; i++)
            m = RMSOPT_MAX(m, rmsopt_f64_bits(values[i]));
        return m;
    }
    int64_t lanes[RMSOPT_LANES] = {0};
    ptrdiff_t i = 0;
    for (; i + RMSOPT_LANES <= n; i += RMSOPT_LANES)
        for (int j = 0; j < RMSOPT_LANES; j++)
            lanes[j] = RMSOPT_MAX(lanes[j], rmsopt_f64_bits(values[i + j]));
    for (; i < n; i++)
        m = RMSOPT_MAX(m, rmsopt_f64_bits(values[i]));
    for (int j = 0; j < RMSOPT_LANES; j++)
        m = RMSOPT_MAX(m, lanes[j]);
    return m;
}

static inline int32_t rmsopt_magnitude_max_f32(ptrdiff_t n, const float *values, int32_t m)
{
    if (n < 2 * RMSOPT_LANES) {
        for (ptrdiff_t i = 0; i < n; i++)
            m = RMSOPT_MAX(m, rmsopt_f32_bits(values[i]));
        return m;
    }
    int32_t lanes[2 * RMSOPT_LANES] = {0};
    ptrdiff_t i = 0;
    for (; i + 2 * RMSOPT_LANES <= n; i += 2 * RMSOPT_LANES)
        for (int j = 0; j < 2 * RMSOPT_LANES; j++)
            lanes[j] = RMSOPT_MAX(lanes[j], rmsopt_f32_bits(values[i + j]));
    for (; i < n; i++)
        m = RMSOPT_MAX(m, rmsopt_f32_bits(values[i]));
    for (int j = 0; j < 2 * RMSOPT_LANES; j++)
        m = RMSOPT_MAX(m, lanes[j]);
    return m;
}

/* A step's two measures in one pass: the magnitude bits of max |a - b| computed in double
 * (exact for float operands) into *difference, and of max |a| into *magnitude (in a's type).
 * Two independent chains already; more lanes made GCC shuffle instead of compare. */
static inline void rmsopt_step_max_f64(ptrdiff_t n, const double *a, const double *b,
                                       int64_t *difference, int64_t *magnitude)
{
    int64_t dm = *difference, vm = *magnitude;
    for (ptrdiff_t i = 0; i < n; i++) {
        dm = RMSOPT_MAX(dm, rmsopt_f64_bits(a[i] - b[i]));
        vm = RMSOPT_MAX(vm, rmsopt_f64_bits(a[i]));
    }
    *difference = dm;
    *magnitude = vm;
}

static inline void rmsopt_step_max_f32(ptrdiff_t n, const float *a, const float *b,
                                       int64_t *difference, int32_t *magnitude)
{
    int64_t dm = *difference;
    int32_t vm = *magnitude;
    for (ptrdiff_t i = 0; i < n; i++) {
        dm = RMSOPT_MAX(dm, rmsopt_f64_bits((double)a[i] - (double)b[i]));
        vm = RMSOPT_MAX(vm, rmsopt_f32_bits(a[i]));
    }
    *difference = dm;
    *magnitude = vm;
}

/* With a box: the magnitude bits of max |g| into *gradient (finiteness) and of the projected
 * gradient's max-norm, max |x - P(x - d)| with d = g (-g when maximizing) and P the projection
 * onto [lower, upper], into *projected; in double, as the loop's termination test takes it. */
static inline void rmsopt_projected_max_f64(ptrdiff_t n, const double *x, const double *g,
                                            const double *lower, const double *upper,
                                            int maximize, int64_t *gradient, int64_t *projected)
{
    int64_t gm = *gradient, pm = *projected;
    for (ptrdiff_t i = 0; i < n; i++) {
        double descent = maximize ? -g[i] : g[i];
        double trial = x[i] - descent;
        trial = trial < lower[i] ? lower[i] : trial;
        trial = trial > upper[i] ? upper[i] : trial;
        gm = RMSOPT_MAX(gm, rmsopt_f64_bits(g[i]));
        pm = RMSOPT_MAX(pm, rmsopt_f64_bits(x[i] - trial));
    }
    *gradient = gm;
    *projected = pm;
}

static inline void rmsopt_projected_max_f32(ptrdiff_t n, const float *x, const float *g,
                                            const double *lower, const double *upper,
                                            int maximize, int64_t *gradient, int64_t *projected)
{
    int32_t gm = (int32_t)*gradient;
    int64_t pm = *projected;
    for (ptrdiff_t i = 0; i < n; i++) {
        double descent = maximize ? -(double)g[i] : (double)g[i];
        double trial = (double)x[i] - descent;
        trial = trial < lower[i] ? lower[i] : trial;
        trial = trial > upper[i] ? upper[i] : trial;
        gm = RMSOPT_MAX(gm, rmsopt_f32_bits(g[i]));
        pm = RMSOPT_MAX(pm, rmsopt_f64_bits((double)x[i] - trial));
    }
    *gradient = gm;
    *projected = pm;
}

/* The double whose magnitude bits are `bits`, from a double's or a float's pattern. */
static inline double rmsopt_double_from_bits(int64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline double rmsopt_double_from_f32_bits(int32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return (double)value;
}

#undef RMSOPT_MAX
#endif
