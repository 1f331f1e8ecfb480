"""Adadelta's native step, written once for float32 and float64.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
one step is::

    v  <- rho * v + (1 - rho) * g**2                          square_avg
    d  =  sqrt(u + eps) / sqrt(v + eps) * g
    u  <- rho * u + (1 - rho) * d**2                          acc_delta
    x  <- x - lr * d

in ``torch.optim.Adadelta``'s order of operations.
"""
from cython cimport floating
from libc.math cimport sqrt

from ._kernel cimport Kernel
from ._math cimport penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_AVG = 0
    ACC_DELTA = 1


ctypedef struct AdadeltaParams:
    double rho
    double epsilon
    double weight_decay
    bint maximize


cdef inline void adadelta_step(Py_ssize_t n,
                               const floating* x,               # IN
                               const floating* grad,            # IN
                               const floating* state,           # IN: (rows, n)
                               floating* x_out,                 # OUT (may be x)
                               floating* state_out,             # OUT (may be state)
                               const AdadeltaParams* p,
                               Py_ssize_t step,
                               double learning_rate,
                               ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_avg = state + SQUARE_AVG * n
        const floating* acc_delta = state + ACC_DELTA * n
        floating* square_avg_out = state_out + SQUARE_AVG * n
        floating* acc_delta_out = state_out + ACC_DELTA * n
        floating rho = <floating>p.rho
        floating one_minus_rho = <floating>(1.0 - p.rho)
        floating epsilon = <floating>p.epsilon
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-learning_rate)
        bint maximize = p.maximize
        floating xi, g, v, delta

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        v = square_avg[i] * rho + one_minus_rho * g * g
        square_avg_out[i] = v
        delta = root(acc_delta[i] + epsilon) / root(v + epsilon) * g
        acc_delta_out[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
        x_out[i] = xi + neg_lr * delta


cdef inline void adadelta_step_size(Py_ssize_t n,
                                    const floating* state,           # IN: (rows, n)
                                    const AdadeltaParams* p,
                                    Py_ssize_t step,
                                    double learning_rate,
                                    double* out,                     # OUT
                                    ) noexcept nogil:
    # lr * sqrt(u + eps) / sqrt(v + eps), the ratio of the two moving RMS.
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = (learning_rate * sqrt(<double>state[ACC_DELTA * n + i] + p.epsilon)
                  / sqrt(<double>state[SQUARE_AVG * n + i] + p.epsilon))


cdef class AdadeltaKernel(Kernel):
    """Adadelta's step with its hyperparameters held in a C struct (state rows
    ``square_avg`` and ``acc_delta``)."""

    cdef AdadeltaParams params

    def __init__(self, *, double rho, double epsilon, double weight_decay, bint maximize):
        self.state_rows = 2
        self.params.rho = rho
        self.params.epsilon = epsilon
        self.params.weight_decay = weight_decay
        self.params.maximize = maximize

    cdef void step_double(self, Py_ssize_t n, const double* x, const double* grad,
                          const double* state, double* x_out, double* state_out,
                          Py_ssize_t step, double learning_rate) noexcept nogil:
        adadelta_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_float(self, Py_ssize_t n, const float* x, const float* grad,
                         const float* state, float* x_out, float* state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        adadelta_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        adadelta_step_size(n, state, &self.params, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        adadelta_step_size(n, state, &self.params, step, learning_rate, out)
