/* The gallery's fit in C, for benchmarks/batch.py: y = a exp(-k t) + b against m curves of
 * `points` points each, as rmsopt.minimize_batch's C-level batched objective, and the same
 * fits as a plain C loop of RMSprop (torch's update) for comparison. */
#include <math.h>
#include <stddef.h>

typedef struct {
    int points;
    const double *t;     /* points */
    const double *Y;     /* m x points */
} Curves;

static double fit_one(const double *p, const double *t, const double *y, int points,
                      double *grad) {
    double a = p[0], k = p[1], b = p[2], squares = 0.0, ga = 0.0, gk = 0.0, gb = 0.0;
    for (int j = 0; j < points; j++) {
        double e = exp(-k * t[j]);
        double r = a * e + b - y[j];
        squares += r * r;
        ga += r * e;
        gk += a * t[j] * e * r;
        gb += r;
    }
    grad[0] = ga / points;
    grad[1] = -gk / points;
    grad[2] = gb / points;
    return 0.5 * squares / points;
}

/* rmsopt.minimize_batch's batch_objective_function (rmsopt/kernels/objective.pxd). */
int exp_fits(int m, int n, const double *X, double *grad, double *values,
             const unsigned char *active, void *user_data) {
    const Curves *curves = (const Curves *)user_data;
    if (n != 3) return 1;
    for (int i = 0; i < m; i++) {
        if (!active[i]) continue;
        values[i] = fit_one(X + (size_t)i * 3, curves->t, curves->Y + (size_t)i * curves->points,
                            curves->points, grad + (size_t)i * 3);
    }
    return 0;
}

/* The same fits without rmsopt: `iterations` RMSprop steps per curve (torch's update with
 * rmsopt's defaults, rho 0.9, eps 1e-8), from P (m x 3), in place. */
void rmsprop_fits(int m, double *P, const Curves *curves, int iterations, double rate) {
    for (int i = 0; i < m; i++) {
        double *p = P + (size_t)i * 3, v[3] = {0.0, 0.0, 0.0}, g[3];
        const double *y = curves->Y + (size_t)i * curves->points;
        for (int s = 0; s < iterations; s++) {
            fit_one(p, curves->t, y, curves->points, g);
            for (int d = 0; d < 3; d++) {
                v[d] = 0.9 * v[d] + 0.1 * g[d] * g[d];
                p[d] -= rate * g[d] / (sqrt(v[d]) + 1e-8);
            }
        }
    }
}
