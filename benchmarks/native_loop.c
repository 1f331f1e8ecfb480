/* The reference for rmsopt's native-objective loop: 2-D Rosenbrock and RMSprop (torch's
 * defaults but lr, no momentum), written plainly in C with the operations in rmsopt's order,
 * so that its iterate equals rmsopt's bit for bit. No finiteness checks, no termination tests.
 *
 * Built and run by compare.py: cc -O3 -fno-math-errno -ffp-contract=off native_loop.c -lm
 * Usage: native_loop ITERATIONS LEARNING_RATE RHO EPSILON
 * Prints: the final x (two C99 hex floats) and the nanoseconds per iteration.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double rosenbrock(int n, const double *x, double *grad) {
    double valley, value = 0.0;
    for (int i = 0; i < n - 1; i++) {
        valley = x[i + 1] - x[i] * x[i];
        value += 100.0 * (valley * valley) + (1.0 - x[i]) * (1.0 - x[i]);
        grad[i] = -400.0 * x[i] * valley - 2.0 * (1.0 - x[i]);
    }
    grad[n - 1] = 0.0;
    for (int i = 0; i < n - 1; i++) grad[i + 1] += 200.0 * (x[i + 1] - x[i] * x[i]);
    return value;
}

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    long iterations = atol(argv[1]);
    double learning_rate = atof(argv[2]), rho = atof(argv[3]), epsilon = atof(argv[4]);
    double x[2] = {-1.2, 1.0}, grad[2], square_avg[2] = {0.0, 0.0};
    double one_minus_rho = 1.0 - rho, neg_lr = -learning_rate;
    struct timespec start, stop;
    clock_gettime(CLOCK_MONOTONIC, &start);
    rosenbrock(2, x, grad);
    for (long k = 0; k < iterations; k++) {
        for (int i = 0; i < 2; i++) {
            double v = square_avg[i] * rho;
            v = v + one_minus_rho * grad[i] * grad[i];
            square_avg[i] = v;
            x[i] = x[i] + neg_lr * grad[i] / (sqrt(v) + epsilon);
        }
        rosenbrock(2, x, grad);
    }
    clock_gettime(CLOCK_MONOTONIC, &stop);
    double ns = (stop.tv_sec - start.tv_sec) * 1e9 + (stop.tv_nsec - start.tv_nsec);
    printf("%a %a %.3f\n", x[0], x[1], ns / iterations);
    return 0;
}
