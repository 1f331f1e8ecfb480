# Adadelta's step (Zeiler, 2012), written once for float32 and float64. With g the gradient
# (negated when maximizing, plus weight_decay * x), step t is
#
#     v  <- rho * v + (1 - rho) * g**2                   square_avg
#     d  =  sqrt(u + eps) / sqrt(v + eps) * g
#     u  <- rho * u + (1 - rho) * d**2                   acc_delta
#     x  <- x - lr * d
#
# in torch.optim.Adadelta's order of operations.
#
# Each function here is inline and nogil: a module that cimports it compiles its own copy with
# its own flags (rmsopt compiles one for the architecture's baseline and one for AVX2, and
# chooses at import), and every copy gives the same bits. See rmsopt/kernels/__init__.py for
# the conventions every step follows.
from cython cimport floating
from libc.math cimport sqrt

from rmsopt.kernels.elementwise cimport penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_AVG = 0
    ACC_DELTA = 1


ctypedef struct AdadeltaParams:
    double rho
    double epsilon
    double weight_decay
    bint maximize


cdef inline unsigned adadelta_rows_written(const AdadeltaParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return (<unsigned>1 << SQUARE_AVG) | (<unsigned>1 << ACC_DELTA)


cdef inline void adadelta_step(Py_ssize_t n,
                               Py_ssize_t stride,               # distance between state rows
                               const floating* x,               # IN
                               const floating* grad,            # IN
                               const floating* state,           # IN: rows at stride
                               floating* x_out,                 # OUT (may be x)
                               floating* state_out,             # OUT (may be state)
                               const AdadeltaParams* p,
                               Py_ssize_t step,
                               double learning_rate,
                               ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_avg = state + SQUARE_AVG * stride
        const floating* acc_delta = state + ACC_DELTA * stride
        floating* square_avg_out = state_out + SQUARE_AVG * stride
        floating* acc_delta_out = state_out + ACC_DELTA * stride
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
