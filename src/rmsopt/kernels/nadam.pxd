# NAdam's step (Dozat, 2016), written once for float32 and float64. With g the gradient
# (negated when maximizing; plus weight_decay * x unless the decay is decoupled), step t is
#
#     x     <- x * (1 - lr * weight_decay)              (decoupled_weight_decay only)
#     mu_t  =  beta1 * (1 - 0.5 * 0.96**(t * momentum_decay)),  P_t = mu_1 * ... * mu_t
#     m     <- m + (1 - beta1) * (g - m)                exp_avg
#     v     <- beta2 * v + (1 - beta2) * g**2           exp_avg_sq
#     d     =  sqrt(v / (1 - beta2**t)) + eps
#     x     <- x - lr (1 - mu_t) / (1 - P_t) * (g / d)
#     x     <- x - lr mu_{t+1} / (1 - P_t mu_{t+1}) * (m / d)
#
# in torch.optim.NAdam's order of operations (its lerp for m).
#
# The product P_t is a scalar of the whole run. nadam_prepare keeps it in the parameters, one
# multiplication per step; rmsopt's loops call it before every step, and a Cython loop of your
# own should too (nadam_step recomputes the product from t = 1 when it was not prepared).
#
# The conventions every step follows: rmsopt/kernels/__init__.py.
from cython cimport floating
from libc.math cimport fabs, pow, sqrt

from rmsopt.kernels.elementwise cimport lerp, penalized_gradient, root


cdef enum:  # rows of the state block
    EXP_AVG = 0
    EXP_AVG_SQ = 1


ctypedef struct NAdamParams:
    double beta1
    double beta2
    double epsilon
    double weight_decay
    double momentum_decay
    bint decoupled_weight_decay
    bint maximize
    # Kept by nadam_prepare: the product P_t of mu_1 ... mu_t for t = product_step.
    double mu_product
    Py_ssize_t product_step


cdef inline unsigned nadam_rows_written(const NAdamParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return (<unsigned>1 << EXP_AVG) | (<unsigned>1 << EXP_AVG_SQ)


cdef inline double nadam_mu(const NAdamParams* p, Py_ssize_t step) noexcept nogil:
    # mu_t, in double as torch computes it in Python floats.
    return p.beta1 * (1.0 - 0.5 * pow(0.96, <double>step * p.momentum_decay))


cdef inline double nadam_product(const NAdamParams* p, Py_ssize_t step) noexcept nogil:
    # P_t, multiplied out from t = 1 in torch's order (or taken from nadam_prepare).
    cdef Py_ssize_t t
    cdef double product = 1.0
    if p.product_step == step:
        return p.mu_product
    for t in range(1, step + 1):
        product = product * nadam_mu(p, t)
    return product


cdef inline void nadam_prepare(NAdamParams* p, Py_ssize_t step) noexcept nogil:
    # Keep P_t for step t: one multiplication after step t - 1, else from the start.
    if step == p.product_step:
        return
    if step == p.product_step + 1:
        p.mu_product = p.mu_product * nadam_mu(p, step)
    else:
        p.product_step = -1  # not a cached step while it is recomputed
        p.mu_product = nadam_product(p, step)
    p.product_step = step


cdef inline void nadam_step(Py_ssize_t n,
                            Py_ssize_t stride,               # distance between state rows
                            const floating* x,               # IN
                            const floating* grad,            # IN
                            const floating* state,           # IN: rows at stride
                            floating* x_out,                 # OUT (may be x)
                            floating* state_out,             # OUT (may be state)
                            const NAdamParams* p,
                            Py_ssize_t step,
                            double learning_rate,
                            ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* exp_avg = state + EXP_AVG * stride
        const floating* exp_avg_sq = state + EXP_AVG_SQ * stride
        floating* exp_avg_out = state_out + EXP_AVG * stride
        floating* exp_avg_sq_out = state_out + EXP_AVG_SQ * stride
        double mu = nadam_mu(p, step), mu_next = nadam_mu(p, step + 1)
        double product = nadam_product(p, step)
        bint maximize = p.maximize
        floating one_minus_beta1 = <floating>(1.0 - p.beta1), beta2 = <floating>p.beta2
        floating one_minus_beta2 = <floating>(1.0 - p.beta2), epsilon = <floating>p.epsilon
        floating correction2 = <floating>(1.0 - pow(p.beta2, <double>step))
        floating gradient_weight = <floating>(-learning_rate * (1.0 - mu) / (1.0 - product))
        floating momentum_weight = <floating>((-learning_rate * mu_next)
                                              / (1.0 - product * mu_next))
        # 1 without decoupled decay: x * 1 is x exactly, and a loop without the test vectorises.
        floating shrink = (<floating>(1.0 - learning_rate * p.weight_decay)
                           if p.decoupled_weight_decay else 1)
        floating coupled_decay = 0 if p.decoupled_weight_decay else <floating>p.weight_decay
        floating xi, g, m, v, d, a
    if not maximize and coupled_decay == 0 and fabs(one_minus_beta1) < 0.5:
        # The common case with the tests of the loop below decided: no negation, no L2 term,
        # lerp's first formula. The same operations, so the same bits; this loop vectorises.
        for i in range(n):
            xi = x[i] * shrink
            g = grad[i]
            a = exp_avg[i]
            m = a + one_minus_beta1 * (g - a)
            exp_avg_out[i] = m
            v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
            exp_avg_sq_out[i] = v
            d = root(v / correction2) + epsilon
            xi = xi + gradient_weight * g / d
            x_out[i] = xi + momentum_weight * m / d
        return
    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
        xi = xi * shrink
        m = lerp(exp_avg[i], g, one_minus_beta1)
        exp_avg_out[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg_sq_out[i] = v
        d = root(v / correction2) + epsilon
        xi = xi + gradient_weight * g / d
        x_out[i] = xi + momentum_weight * m / d


cdef inline void nadam_step_size(Py_ssize_t n,
                                 const floating* state,           # IN: (rows, n)
                                 const NAdamParams* p,
                                 Py_ssize_t step,
                                 double learning_rate,
                                 double* out,                     # OUT
                                 ) noexcept nogil:
    # lr mu_{t+1} / (1 - P_t mu_{t+1}) / d, the factor applied to m.
    cdef:
        Py_ssize_t i
        double mu_next = nadam_mu(p, step + 1)
        double scaled = learning_rate * mu_next / (1.0 - nadam_product(p, step) * mu_next)
        double correction2 = 1.0 - pow(p.beta2, <double>step)
    for i in range(n):
        out[i] = scaled / (sqrt(<double>state[EXP_AVG_SQ * n + i] / correction2) + p.epsilon)
