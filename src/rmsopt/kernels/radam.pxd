# RAdam's step (Liu et al., 2020), written once for float32 and float64. With g the gradient
# (negated when maximizing; plus weight_decay * x unless the decay is decoupled), step t is
#
#     x     <- x * (1 - lr * weight_decay)              (decoupled_weight_decay only)
#     m     <- m + (1 - beta1) * (g - m)                exp_avg
#     v     <- beta2 * v + (1 - beta2) * g**2           exp_avg_sq
#     rho_inf = 2 / (1 - beta2) - 1,  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
#     r_t   = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
#     x     <- x - m / (1 - beta1**t) * lr * (1 / (sqrt(v) + eps) * sqrt(1 - beta2**t)) * r_t
#                                                       (rho_t > 5)
#     x     <- x - m / (1 - beta1**t) * lr              (otherwise: SGD with momentum)
#
# in torch.optim.RAdam's order of operations (its lerp for m).
#
# The conventions every step follows: rmsopt/kernels/__init__.py.
from cython cimport floating
from libc.math cimport pow, sqrt

from rmsopt.kernels.elementwise cimport lerp, penalized_gradient, root


cdef enum:  # rows of the state block
    EXP_AVG = 0
    EXP_AVG_SQ = 1


ctypedef struct RAdamParams:
    double beta1
    double beta2
    double epsilon
    double weight_decay
    bint decoupled_weight_decay
    bint maximize


cdef inline unsigned radam_rows_written(const RAdamParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return (<unsigned>1 << EXP_AVG) | (<unsigned>1 << EXP_AVG_SQ)


cdef inline double radam_rectification(const RAdamParams* p, Py_ssize_t step) noexcept nogil:
    # r_t when the variance is tractable (rho_t > 5), else 0.
    cdef double t = <double>step
    cdef double correction2 = 1.0 - pow(p.beta2, t)
    cdef double rho_inf = 2.0 / (1.0 - p.beta2) - 1.0
    cdef double rho_t = rho_inf - 2.0 * t * pow(p.beta2, t) / correction2
    if not rho_t > 5.0:
        return 0.0
    return pow((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
               / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t), 0.5)


cdef inline void radam_step(Py_ssize_t n,
                            Py_ssize_t stride,               # distance between state rows
                            const floating* x,               # IN
                            const floating* grad,            # IN
                            const floating* state,           # IN: rows at stride
                            floating* x_out,                 # OUT (may be x)
                            floating* state_out,             # OUT (may be state)
                            const RAdamParams* p,
                            Py_ssize_t step,
                            double learning_rate,
                            ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* exp_avg = state + EXP_AVG * stride
        const floating* exp_avg_sq = state + EXP_AVG_SQ * stride
        floating* exp_avg_out = state_out + EXP_AVG * stride
        floating* exp_avg_sq_out = state_out + EXP_AVG_SQ * stride
        double rectification = radam_rectification(p, step)
        bint maximize = p.maximize
        floating one_minus_beta1 = <floating>(1.0 - p.beta1), beta2 = <floating>p.beta2
        floating one_minus_beta2 = <floating>(1.0 - p.beta2), epsilon = <floating>p.epsilon
        floating correction1 = <floating>(1.0 - pow(p.beta1, <double>step))
        floating correction2_root = <floating>pow(1.0 - pow(p.beta2, <double>step), 0.5)
        floating lr = <floating>learning_rate, rect = <floating>rectification
        # 1 without decoupled decay: x * 1 is x exactly, and a loop without the test vectorises.
        floating shrink = (<floating>(1.0 - learning_rate * p.weight_decay)
                           if p.decoupled_weight_decay else 1)
        floating coupled_decay = 0 if p.decoupled_weight_decay else <floating>p.weight_decay
        floating xi, g, m, v, one = 1
    # Two loops, so that neither tests the phase per element.
    if rectification > 0:
        for i in range(n):
            xi = x[i]
            g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
            xi = xi * shrink
            m = lerp(exp_avg[i], g, one_minus_beta1)
            exp_avg_out[i] = m
            v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
            exp_avg_sq_out[i] = v
            # torch's `scalar / tensor` is the tensor's reciprocal times the scalar.
            x_out[i] = xi - (m / correction1 * lr
                             * (one / (root(v) + epsilon) * correction2_root) * rect)
    else:
        for i in range(n):
            xi = x[i]
            g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
            xi = xi * shrink
            m = lerp(exp_avg[i], g, one_minus_beta1)
            exp_avg_out[i] = m
            exp_avg_sq_out[i] = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
            x_out[i] = xi - m / correction1 * lr


cdef inline void radam_step_size(Py_ssize_t n,
                                 const floating* state,           # IN: (rows, n)
                                 const RAdamParams* p,
                                 Py_ssize_t step,
                                 double learning_rate,
                                 double* out,                     # OUT
                                 ) noexcept nogil:
    # The factor applied to m: lr / (1 - beta1**t), times sqrt(1 - beta2**t) / (sqrt(v) + eps)
    # * r_t while the variance is tractable.
    cdef:
        Py_ssize_t i
        double scaled = learning_rate / (1.0 - pow(p.beta1, <double>step))
        double rectification = radam_rectification(p, step)
        double correction2_root = sqrt(1.0 - pow(p.beta2, <double>step))
    for i in range(n):
        if rectification > 0:
            out[i] = (scaled * correction2_root * rectification
                      / (sqrt(<double>state[EXP_AVG_SQ * n + i]) + p.epsilon))
        else:
            out[i] = scaled
