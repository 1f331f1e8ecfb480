"""Adam's and AdamW's native step, written once for float32 and float64.

With ``g`` the gradient (negated when maximizing; plus ``weight_decay * x``
for Adam's coupled decay), step ``t`` is::

    x  <- x * (1 - lr * weight_decay)                 (AdamW's decoupled decay only)
    m  <- m + (1 - beta1) * (g - m)                   exp_avg
    v  <- beta2 * v + (1 - beta2) * g**2              exp_avg_sq
    w  <- max(w, v)                                   max_exp_avg_sq (amsgrad only)
    x  <- x - lr / (1 - beta1**t) * m / (sqrt(v or w) / sqrt(1 - beta2**t) + eps)

in ``torch.optim.Adam``'s order of operations (``lerp`` for ``m``).
"""
from cython cimport floating
from libc.math cimport pow, sqrt

from ._kernel cimport Kernel
from ._math cimport lerp, penalized_gradient, root


cdef enum:  # rows of the state block
    EXP_AVG = 0
    EXP_AVG_SQ = 1
    MAX_EXP_AVG_SQ = 2


ctypedef struct AdamParams:
    double beta1
    double beta2
    double epsilon
    double weight_decay
    bint amsgrad
    bint decoupled_weight_decay
    bint maximize


cdef inline void adam_step(Py_ssize_t n,
                           const floating* x,               # IN
                           const floating* grad,            # IN
                           const floating* state,           # IN: (rows, n)
                           floating* x_out,                 # OUT (may be x)
                           floating* state_out,             # OUT (may be state)
                           const AdamParams* p,
                           Py_ssize_t step,
                           double learning_rate,
                           ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* exp_avg = state + EXP_AVG * n
        const floating* exp_avg_sq = state + EXP_AVG_SQ * n
        const floating* max_exp_avg_sq = state + MAX_EXP_AVG_SQ * n
        floating* exp_avg_out = state_out + EXP_AVG * n
        floating* exp_avg_sq_out = state_out + EXP_AVG_SQ * n
        floating* max_exp_avg_sq_out = state_out + MAX_EXP_AVG_SQ * n
        # The bias corrections are computed in double, as torch computes them in Python floats.
        double correction1 = 1.0 - pow(p.beta1, <double>step)
        double correction2 = 1.0 - pow(p.beta2, <double>step)
        floating neg_step_size = <floating>(-(learning_rate / correction1))
        floating correction2_root = <floating>pow(correction2, 0.5)
        floating one_minus_beta1 = <floating>(1.0 - p.beta1)
        floating beta2 = <floating>p.beta2
        floating one_minus_beta2 = <floating>(1.0 - p.beta2)
        floating epsilon = <floating>p.epsilon
        bint decoupled = p.decoupled_weight_decay, amsgrad = p.amsgrad, maximize = p.maximize
        floating coupled_decay = 0 if decoupled else <floating>p.weight_decay
        floating shrink = <floating>(1.0 - learning_rate * p.weight_decay)
        bint shrinks = decoupled and p.weight_decay != 0
        floating xi, g, m, v

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
        if shrinks:
            xi = xi * shrink
        m = lerp(exp_avg[i], g, one_minus_beta1)
        exp_avg_out[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg_sq_out[i] = v
        if amsgrad:
            if max_exp_avg_sq[i] > v:
                v = max_exp_avg_sq[i]
            max_exp_avg_sq_out[i] = v
        x_out[i] = xi + neg_step_size * m / (root(v) / correction2_root + epsilon)


cdef inline void adam_step_size(Py_ssize_t n,
                                const floating* state,           # IN: (rows, n)
                                const AdamParams* p,
                                Py_ssize_t step,
                                double learning_rate,
                                double* out,                     # OUT
                                ) noexcept nogil:
    # lr / (1 - beta1**t) / (sqrt(v) / sqrt(1 - beta2**t) + eps), the factor applied to m.
    cdef:
        Py_ssize_t i
        Py_ssize_t row = MAX_EXP_AVG_SQ if p.amsgrad else EXP_AVG_SQ
        double correction1 = 1.0 - pow(p.beta1, <double>step)
        double correction2_root = sqrt(1.0 - pow(p.beta2, <double>step))
    for i in range(n):
        out[i] = (learning_rate / correction1
                  / (sqrt(<double>state[row * n + i]) / correction2_root + p.epsilon))


cdef class AdamKernel(Kernel):
    """Adam's step (AdamW's with ``decoupled_weight_decay``), hyperparameters held
    in a C struct (state rows ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``)."""

    cdef AdamParams params

    def __init__(self, *, double beta1, double beta2, double epsilon, double weight_decay,
                 bint amsgrad, bint maximize, bint decoupled_weight_decay=False):
        self.state_rows = 3
        self.params.beta1 = beta1
        self.params.beta2 = beta2
        self.params.epsilon = epsilon
        self.params.weight_decay = weight_decay
        self.params.amsgrad = amsgrad
        self.params.decoupled_weight_decay = decoupled_weight_decay
        self.params.maximize = maximize

    cdef void step_double(self, Py_ssize_t n, const double* x, const double* grad,
                          const double* state, double* x_out, double* state_out,
                          Py_ssize_t step, double learning_rate) noexcept nogil:
        adam_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_float(self, Py_ssize_t n, const float* x, const float* grad,
                         const float* state, float* x_out, float* state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        adam_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        adam_step_size(n, state, &self.params, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        adam_step_size(n, state, &self.params, step, learning_rate, out)
