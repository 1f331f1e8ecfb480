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


cdef inline void adadelta_step(const floating[::1] x,            # IN
                               const floating[::1] grad,         # IN
                               const floating[:, ::1] state,     # IN
                               floating[::1] x_out,              # OUT (may be x)
                               floating[:, ::1] state_out,       # OUT (may be state)
                               const AdadeltaParams* p,
                               Py_ssize_t step,
                               double learning_rate,
                               ) noexcept nogil:
    cdef:
        Py_ssize_t i, n = x.shape[0]
        const floating* square_avg = &state[SQUARE_AVG, 0]
        const floating* acc_delta = &state[ACC_DELTA, 0]
        floating* square_avg_out = &state_out[SQUARE_AVG, 0]
        floating* acc_delta_out = &state_out[ACC_DELTA, 0]
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


cdef inline void adadelta_step_size(const floating[:, ::1] state,   # IN
                                    const AdadeltaParams* p,
                                    Py_ssize_t step,
                                    double learning_rate,
                                    double[::1] out,                # OUT
                                    ) noexcept nogil:
    # lr * sqrt(u + eps) / sqrt(v + eps), the ratio of the two moving RMS.
    cdef Py_ssize_t i
    for i in range(state.shape[1]):
        out[i] = (learning_rate * sqrt(<double>state[ACC_DELTA, i] + p.epsilon)
                  / sqrt(<double>state[SQUARE_AVG, i] + p.epsilon))


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

    cdef void step_double(self, const double[::1] x, const double[::1] grad,
                          const double[:, ::1] state, double[::1] x_out,
                          double[:, ::1] state_out, Py_ssize_t step,
                          double learning_rate) noexcept nogil:
        adadelta_step(x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_float(self, const float[::1] x, const float[::1] grad,
                         const float[:, ::1] state, float[::1] x_out, float[:, ::1] state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        adadelta_step(x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_size_double(self, const double[:, ::1] state, Py_ssize_t step,
                               double learning_rate, double[::1] out) noexcept nogil:
        adadelta_step_size(state, &self.params, step, learning_rate, out)

    cdef void step_size_float(self, const float[:, ::1] state, Py_ssize_t step,
                              double learning_rate, double[::1] out) noexcept nogil:
        adadelta_step_size(state, &self.params, step, learning_rate, out)
