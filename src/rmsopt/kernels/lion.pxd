# Lion's step (Chen et al., 2023), written once for float32 and float64, as optax.lion takes
# it. With g the gradient (negated when maximizing), step t is
#
#     u  <- sign((1 - beta1) * g + beta1 * m) + weight_decay * x
#     m  <- (1 - beta2) * g + beta2 * m                 exp_avg
#     x  <- x - lr * u
#
# in optax's order of operations (scale_by_lion, add_decayed_weights, scale_by_learning_rate).
#
# The conventions every step follows: rmsopt/kernels/__init__.py.
from cython cimport floating


cdef enum:  # rows of the state block
    EXP_AVG = 0


ctypedef struct LionParams:
    double beta1
    double beta2
    double weight_decay
    bint maximize


cdef inline unsigned lion_rows_written(const LionParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return <unsigned>1 << EXP_AVG


cdef inline void lion_step(Py_ssize_t n,
                           Py_ssize_t stride,               # distance between state rows
                           const floating* x,               # IN
                           const floating* grad,            # IN
                           const floating* state,           # IN: rows at stride
                           floating* x_out,                 # OUT (may be x)
                           floating* state_out,             # OUT (may be state)
                           const LionParams* p,
                           Py_ssize_t step,
                           double learning_rate,
                           ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* exp_avg = state + EXP_AVG * stride
        floating* exp_avg_out = state_out + EXP_AVG * stride
        floating beta1 = <floating>p.beta1, one_minus_beta1 = <floating>(1.0 - p.beta1)
        floating beta2 = <floating>p.beta2, one_minus_beta2 = <floating>(1.0 - p.beta2)
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-learning_rate)
        bint maximize = p.maximize, decayed = p.weight_decay != 0
        floating xi, g, m, c, u
    for i in range(n):
        xi = x[i]
        g = -grad[i] if maximize else grad[i]
        m = exp_avg[i]
        c = one_minus_beta1 * g + beta1 * m
        u = 1 if c > 0 else (-1 if c < 0 else 0)
        if decayed:
            u = u + weight_decay * xi
        exp_avg_out[i] = one_minus_beta2 * g + beta2 * m
        x_out[i] = xi + neg_lr * u


cdef inline void lion_step_size(Py_ssize_t n,
                                const floating* state,           # IN: (rows, n)
                                const LionParams* p,
                                Py_ssize_t step,
                                double learning_rate,
                                double* out,                     # OUT
                                ) noexcept nogil:
    # lr: every element moves by lr times the sign of its update.
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = learning_rate
