"""C-level objectives of the catalogue, in the signature `rmsopt.minimize`
runs without the GIL: ``double f(int n, const double *x, double *grad,
void *user_data)``, the value returned and the gradient written.

Each computes its gradient with the operations of the NumPy version in
``_functions.py``, element by element in the same order, so that a run with
either gives the same iterates; values are summed in index order, which may
differ from NumPy's pairwise sums in the last bits.
"""


cdef double rosenbrock(int n, const double *x, double *grad, void *user_data) noexcept nogil:
    cdef int i
    cdef double valley, value = 0.0
    for i in range(n - 1):
        valley = x[i + 1] - x[i] * x[i]
        value += 100.0 * (valley * valley) + (1.0 - x[i]) * (1.0 - x[i])
        grad[i] = -400.0 * x[i] * valley - 2.0 * (1.0 - x[i])
    grad[n - 1] = 0.0
    for i in range(n - 1):
        grad[i + 1] += 200.0 * (x[i + 1] - x[i] * x[i])
    return value


cdef double sphere(int n, const double *x, double *grad, void *user_data) noexcept nogil:
    cdef int i
    cdef double value = 0.0
    for i in range(n):
        value += x[i] * x[i]
        grad[i] = 2.0 * x[i]
    return value
