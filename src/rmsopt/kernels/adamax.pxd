# Adamax's step (Kingma and Ba, 2015, section 7.1), written once for float32 and float64. With g
# the gradient (negated when maximizing, plus weight_decay * x), step t is
#
#     m  <- m + (1 - beta1) * (g - m)                   exp_avg
#     u  <- max(beta2 * u, |g| + eps)                   exp_inf
#     x  <- x - lr / (1 - beta1**t) * m / u
#
# in torch.optim.Adamax's order of operations (its lerp for m).
#
# The conventions every step follows: rmsopt/kernels/__init__.py.
from cython cimport floating
from libc.math cimport fabs, pow

from rmsopt.kernels.elementwise cimport lerp, penalized_gradient


cdef enum:  # rows of the state block
    EXP_AVG = 0
    EXP_INF = 1


ctypedef struct AdamaxParams:
    double beta1
    double beta2
    double epsilon
    double weight_decay
    bint maximize


cdef inline unsigned adamax_rows_written(const AdamaxParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return (<unsigned>1 << EXP_AVG) | (<unsigned>1 << EXP_INF)


cdef inline void adamax_step(Py_ssize_t n,
                             Py_ssize_t stride,               # distance between state rows
                             const floating* x,               # IN
                             const floating* grad,            # IN
                             const floating* state,           # IN: rows at stride
                             floating* x_out,                 # OUT (may be x)
                             floating* state_out,             # OUT (may be state)
                             const AdamaxParams* p,
                             Py_ssize_t step,
                             double learning_rate,
                             ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* exp_avg = state + EXP_AVG * stride
        const floating* exp_inf = state + EXP_INF * stride
        floating* exp_avg_out = state_out + EXP_AVG * stride
        floating* exp_inf_out = state_out + EXP_INF * stride
        floating one_minus_beta1 = <floating>(1.0 - p.beta1), beta2 = <floating>p.beta2
        floating epsilon = <floating>p.epsilon, weight_decay = <floating>p.weight_decay
        # The bias correction in double, as torch computes it in Python floats.
        floating neg_step_size = <floating>(-(learning_rate / (1.0 - pow(p.beta1, <double>step))))
        bint maximize = p.maximize
        floating xi, g, m, u, bound
    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        m = lerp(exp_avg[i], g, one_minus_beta1)
        exp_avg_out[i] = m
        u = exp_inf[i] * beta2
        bound = fabs(g) + epsilon
        if bound > u:
            u = bound
        exp_inf_out[i] = u
        x_out[i] = xi + neg_step_size * m / u


cdef inline void adamax_step_size(Py_ssize_t n,
                                  const floating* state,           # IN: (rows, n)
                                  const AdamaxParams* p,
                                  Py_ssize_t step,
                                  double learning_rate,
                                  double* out,                     # OUT
                                  ) noexcept nogil:
    # lr / (1 - beta1**t) / u, the factor applied to m.
    cdef:
        Py_ssize_t i
        double scaled = learning_rate / (1.0 - pow(p.beta1, <double>step))
    for i in range(n):
        out[i] = scaled / <double>state[EXP_INF * n + i]
