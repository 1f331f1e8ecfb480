# Adagrad's step (Duchi, Hazan and Singer, 2011), written once for float32 and float64. With g
# the gradient (negated when maximizing, plus weight_decay * x), step t is
#
#     s    <- s + g**2                                   square_sum
#     lr_t =  lr / (1 + (t - 1) * lr_decay)
#     x    <- x - lr_t * g / (sqrt(s) + eps)             or  g / sqrt(s + eps)  (epsilon_in_sqrt)
#
# in torch.optim.Adagrad's order of operations.
#
# Each function here is inline and nogil: a module that cimports it compiles its own copy with
# its own flags (rmsopt compiles one for the architecture's baseline and one for AVX2, and
# chooses at import), and every copy gives the same bits. See rmsopt/kernels/__init__.py for
# the conventions every step follows.
from cython cimport floating
from libc.math cimport sqrt

from rmsopt.kernels.elementwise cimport penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_SUM = 0


ctypedef struct AdagradParams:
    double lr_decay
    double epsilon
    double weight_decay
    bint maximize
    bint epsilon_in_sqrt


cdef inline unsigned adagrad_rows_written(const AdagradParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return <unsigned>1 << SQUARE_SUM


cdef inline void adagrad_step(Py_ssize_t n,
                              Py_ssize_t stride,               # distance between state rows
                              const floating* x,               # IN
                              const floating* grad,            # IN
                              const floating* state,           # IN: rows at stride
                              floating* x_out,                 # OUT (may be x)
                              floating* state_out,             # OUT (may be state)
                              const AdagradParams* p,
                              Py_ssize_t step,
                              double learning_rate,
                              ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_sum = state + SQUARE_SUM * stride
        floating* square_sum_out = state_out + SQUARE_SUM * stride
        floating epsilon = <floating>p.epsilon
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-(learning_rate / (1.0 + (step - 1) * p.lr_decay)))
        bint maximize = p.maximize, epsilon_in_sqrt = p.epsilon_in_sqrt
        floating xi, g, s

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        s = square_sum[i] + g * g
        square_sum_out[i] = s
        if epsilon_in_sqrt:
            x_out[i] = xi + neg_lr * g / root(s + epsilon)
        else:
            x_out[i] = xi + neg_lr * g / (root(s) + epsilon)


cdef inline void adagrad_step_size(Py_ssize_t n,
                                   const floating* state,           # IN: (rows, n)
                                   const AdagradParams* p,
                                   Py_ssize_t step,
                                   double learning_rate,
                                   double* out,                     # OUT
                                   ) noexcept nogil:
    # lr_t / (sqrt(s) + eps), or lr_t / sqrt(s + eps): s only grows, so this only shrinks.
    cdef:
        Py_ssize_t i
        double decayed = learning_rate / (1.0 + (step - 1) * p.lr_decay)
    for i in range(n):
        if p.epsilon_in_sqrt:
            out[i] = decayed / sqrt(<double>state[SQUARE_SUM * n + i] + p.epsilon)
        else:
            out[i] = decayed / (sqrt(<double>state[SQUARE_SUM * n + i]) + p.epsilon)
