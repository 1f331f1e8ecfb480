/* The reference for rmsopt's RMSprop kernel: one in-place step over n elements written plainly
 * in C, in the `plain` (torch's defaults) and `centered+momentum` variants of compare.py, with
 * the operations in rmsopt's order. The gradient alternates between two arrays, as in
 * compare.py's other columns.
 *
 * Built and run by compare.py: cc -O3 -fno-math-errno -ffp-contract=off step_loop.c -lm
 * Usage: step_loop N VARIANT DTYPE MIN_SECONDS REPEATS   (VARIANT: plain | centered+momentum)
 * Prints: the minimum over REPEATS of the nanoseconds per element of one step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEARNING_RATE 1e-3
#define RHO 0.9
#define EPSILON 1e-8
#define MOMENTUM 0.9

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* torch.lerp's formula, as rmsopt's kernel computes it. */
#define DEFINE_STEPS(T, ROOT)                                                                  \
    static void plain_##T(long n, T *x, const T *g, T *v) {                                   \
        T rho = (T)RHO, one_minus_rho = (T)(1.0 - RHO), eps = (T)EPSILON;                     \
        T neg_lr = (T)(-LEARNING_RATE);                                                        \
        for (long i = 0; i < n; i++) {                                                         \
            T s = v[i] * rho;                                                                  \
            s = s + one_minus_rho * g[i] * g[i];                                               \
            v[i] = s;                                                                          \
            x[i] = x[i] + neg_lr * g[i] / (ROOT(s) + eps);                                     \
        }                                                                                      \
    }                                                                                          \
    static void centered_##T(long n, T *x, const T *g, T *v, T *m, T *b) {                    \
        T rho = (T)RHO, one_minus_rho = (T)(1.0 - RHO), eps = (T)EPSILON;                     \
        T neg_lr = (T)(-LEARNING_RATE), momentum = (T)MOMENTUM, one = 1;                      \
        for (long i = 0; i < n; i++) {                                                         \
            T s = v[i] * rho;                                                                  \
            s = s + one_minus_rho * g[i] * g[i];                                               \
            v[i] = s;                                                                          \
            T d = g[i] - m[i];                                                                 \
            T a = fabs(one_minus_rho) < 0.5 ? m[i] + one_minus_rho * d                         \
                                             : g[i] - d * (one - one_minus_rho);               \
            m[i] = a;                                                                          \
            T spread = s - a * a;                                                              \
            if (spread < 0) spread = 0;                                                        \
            T c = b[i] * momentum + g[i] / (ROOT(spread) + eps);                               \
            b[i] = c;                                                                          \
            x[i] = x[i] + neg_lr * c;                                                          \
        }                                                                                      \
    }                                                                                          \
    static double time_##T(long n, int centered, double min_seconds, int repeats) {           \
        T *x = malloc(n * sizeof(T)), *v = malloc(n * sizeof(T));                              \
        T *m = malloc(n * sizeof(T)), *b = malloc(n * sizeof(T));                              \
        T *g[2] = {malloc(n * sizeof(T)), malloc(n * sizeof(T))};                              \
        unsigned long seed = 12345;                                                            \
        for (long i = 0; i < n; i++) {                                                         \
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;                       \
            x[i] = (T)((seed >> 11) * 0x1.0p-53 * 2 - 1);                                      \
            g[0][i] = (T)((seed >> 20) % 1000 / 500.0 - 1);                                    \
            g[1][i] = -g[0][i] / 2;                                                            \
            v[i] = m[i] = b[i] = 0;                                                            \
        }                                                                                      \
        long steps = 1;                                                                        \
        double best = INFINITY;                                                                \
        for (;;) { /* calibrate: a run of at least min_seconds */                              \
            double start = now();                                                              \
            for (long k = 0; k < steps; k++) {                                                 \
                if (centered) centered_##T(n, x, g[k & 1], v, m, b);                           \
                else plain_##T(n, x, g[k & 1], v);                                             \
            }                                                                                  \
            double elapsed = now() - start;                                                    \
            if (elapsed >= min_seconds) break;                                                 \
            steps *= 2;                                                                        \
        }                                                                                      \
        for (int r = 0; r < repeats; r++) {                                                    \
            double start = now();                                                              \
            for (long k = 0; k < steps; k++) {                                                 \
                if (centered) centered_##T(n, x, g[k & 1], v, m, b);                           \
                else plain_##T(n, x, g[k & 1], v);                                             \
            }                                                                                  \
            double per_element = (now() - start) * 1e9 / steps / n;                            \
            if (per_element < best) best = per_element;                                        \
        }                                                                                      \
        free(x); free(v); free(m); free(b); free(g[0]); free(g[1]);                            \
        return best;                                                                           \
    }

DEFINE_STEPS(float, sqrtf)
DEFINE_STEPS(double, sqrt)

int main(int argc, char **argv) {
    if (argc != 6) return 2;
    long n = atol(argv[1]);
    int centered = strcmp(argv[2], "plain") != 0;
    int is_float = strcmp(argv[3], "float32") == 0;
    double min_seconds = atof(argv[4]);
    int repeats = atoi(argv[5]);
    double ns = is_float ? time_float(n, centered, min_seconds, repeats)
                         : time_double(n, centered, min_seconds, repeats);
    printf("%.4f\n", ns);
    return 0;
}
