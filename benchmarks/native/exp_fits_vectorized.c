/* The gallery's fit in C with a vectorised exp, for benchmarks/batch.py: y = a exp(-k t) + b
 * against m curves, as rmsopt.minimize_batch's C-level batched objective and as a plain C
 * loop of RMSprop. exp_fits.c calls libm's exp once per point; here blocks of curves go
 * through the points together, so that the compiler vectorises exp across the curves (as
 * XLA does for jax.vmap). Built with -O3 -march=native -fopenmp-simd. */
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    int points;
    int m;
    const double *t;     /* points */
    const double *Yt;    /* points x m: curve i's point j at Yt[j * m + i] */
} Curves;

/* Curves evaluated together: the vector width of the loops over a block. */
#define BLOCK 32

/* exp(x), x clamped to [-708, 709]: x = k ln 2 + r with |r| <= ln 2 / 2, exp(r) by its
 * Taylor polynomial to degree 13 (a truncation error below 2e-16), times 2^k made in the
 * exponent bits. No branches and no calls, so that a loop of it vectorises; within 2.3e-16
 * of libm's exp relatively. */
static inline double vector_exp(double x) {
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    double shifted = x * 1.4426950408889634 + shift;
    int64_t low;
    memcpy(&low, &shifted, sizeof low); /* k in the low bits */
    double k = shifted - shift;
    double r = x - k * 0.6931471803691238 - k * 1.9082149292705877e-10; /* ln 2, hi + lo */
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t bits = ((uint64_t)(low & 0xfffff) + 1023) << 52; /* 2^k, modulo 2^64 */
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Values and gradients of the curves first .. first + count - 1 (count <= BLOCK) at the rows
 * of P (m x 3). */
static void fit_block(const Curves *curves, int first, int count, const double *P,
                      double *values, double *grad) {
    double a[BLOCK], k[BLOCK], b[BLOCK];
    double squares[BLOCK] = {0}, ga[BLOCK] = {0}, gk[BLOCK] = {0}, gb[BLOCK] = {0};
    int points = curves->points;
    for (int c = 0; c < BLOCK; c++) {
        int i = first + (c < count ? c : 0);
        a[c] = P[3 * i];
        k[c] = P[3 * i + 1];
        b[c] = P[3 * i + 2];
    }
    for (int j = 0; j < points; j++) {
        const double *y = curves->Yt + (size_t)j * curves->m + first;
        double t = curves->t[j];
#pragma omp simd
        for (int c = 0; c < BLOCK; c++) {
            double e = vector_exp(-k[c] * t);
            double r = a[c] * e + b[c] - (c < count ? y[c] : 0.0);
            squares[c] += r * r;
            ga[c] += r * e;
            gk[c] += a[c] * t * e * r;
            gb[c] += r;
        }
    }
    for (int c = 0; c < count; c++) {
        int i = first + c;
        values[c] = 0.5 * squares[c] / points;
        grad[3 * c] = ga[c] / points;
        grad[3 * c + 1] = -gk[c] / points;
        grad[3 * c + 2] = gb[c] / points;
    }
}

/* rmsopt.minimize_batch's batch_objective_function (rmsopt/kernels/objective.pxd): the blocks
 * with an active row are evaluated, and the active rows written. */
int exp_fits_vectorized(int m, int n, const double *X, double *grad, double *values,
                        const unsigned char *active, void *user_data) {
    const Curves *curves = (const Curves *)user_data;
    double block_values[BLOCK], block_grad[3 * BLOCK];
    if (n != 3 || m != curves->m) return 1;
    for (int first = 0; first < m; first += BLOCK) {
        int count = m - first < BLOCK ? m - first : BLOCK, any = 0;
        for (int c = 0; c < count; c++) any |= active[first + c];
        if (!any) continue;
        fit_block(curves, first, count, X, block_values, block_grad);
        for (int c = 0; c < count; c++) {
            if (!active[first + c]) continue;
            values[first + c] = block_values[c];
            memcpy(grad + 3 * (size_t)(first + c), block_grad + 3 * c, 3 * sizeof(double));
        }
    }
    return 0;
}

/* The same fits without rmsopt: `iterations` RMSprop steps (torch's update with rmsopt's
 * defaults, rho 0.9, eps 1e-8) of each block of curves, from P (m x 3), in place. */
void rmsprop_fits_vectorized(int m, double *P, const Curves *curves, int iterations,
                             double rate) {
    double values[BLOCK], grad[3 * BLOCK], v[3 * BLOCK];
    for (int first = 0; first < m; first += BLOCK) {
        int count = m - first < BLOCK ? m - first : BLOCK;
        double *p = P + 3 * (size_t)first;
        memset(v, 0, sizeof v);
        for (int s = 0; s < iterations; s++) {
            fit_block(curves, first, count, P, values, grad);
            for (int d = 0; d < 3 * count; d++) {
                v[d] = 0.9 * v[d] + 0.1 * grad[d] * grad[d];
                p[d] -= rate * grad[d] / (sqrt(v[d]) + 1e-8);
            }
        }
    }
}
