"""Adagrad's native step, written once for float32 and float64.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
step ``t`` is::

    s  <- s + g**2                                   square_sum
    lr_t = lr / (1 + (t - 1) * lr_decay)
    x  <- x - lr_t * g / (sqrt(s) + eps)

in ``torch.optim.Adagrad``'s order of operations.
"""
from cython cimport floating
from libc.math cimport sqrt

from ._kernel cimport Kernel
from ._math cimport penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_SUM = 0


ctypedef struct AdagradParams:
    double lr_decay
    double epsilon
    double weight_decay
    bint maximize


cdef inline void adagrad_step(Py_ssize_t n,
                              const floating* x,               # IN
                              const floating* grad,            # IN
                              const floating* state,           # IN: (rows, n)
                              floating* x_out,                 # OUT (may be x)
                              floating* state_out,             # OUT (may be state)
                              const AdagradParams* p,
                              Py_ssize_t step,
                              double learning_rate,
                              ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_sum = state + SQUARE_SUM * n
        floating* square_sum_out = state_out + SQUARE_SUM * n
        floating epsilon = <floating>p.epsilon
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-(learning_rate / (1.0 + (step - 1) * p.lr_decay)))
        bint maximize = p.maximize
        floating xi, g, s

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        s = square_sum[i] + g * g
        square_sum_out[i] = s
        x_out[i] = xi + neg_lr * g / (root(s) + epsilon)


cdef inline void adagrad_step_size(Py_ssize_t n,
                                   const floating* state,           # IN: (rows, n)
                                   const AdagradParams* p,
                                   Py_ssize_t step,
                                   double learning_rate,
                                   double* out,                     # OUT
                                   ) noexcept nogil:
    # lr_t / (sqrt(s) + eps): s only grows, so this only shrinks.
    cdef:
        Py_ssize_t i
        double decayed = learning_rate / (1.0 + (step - 1) * p.lr_decay)
    for i in range(n):
        out[i] = decayed / (sqrt(<double>state[SQUARE_SUM * n + i]) + p.epsilon)


cdef class AdagradKernel(Kernel):
    """Adagrad's step with its hyperparameters held in a C struct (state row
    ``square_sum``)."""

    cdef AdagradParams params

    def __init__(self, *, double lr_decay, double epsilon, double weight_decay, bint maximize):
        self.state_rows = 1
        self.params.lr_decay = lr_decay
        self.params.epsilon = epsilon
        self.params.weight_decay = weight_decay
        self.params.maximize = maximize

    cdef void step_double(self, Py_ssize_t n, const double* x, const double* grad,
                          const double* state, double* x_out, double* state_out,
                          Py_ssize_t step, double learning_rate) noexcept nogil:
        adagrad_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_float(self, Py_ssize_t n, const float* x, const float* grad,
                         const float* state, float* x_out, float* state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        adagrad_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        adagrad_step_size(n, state, &self.params, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        adagrad_step_size(n, state, &self.params, step, learning_rate, out)
