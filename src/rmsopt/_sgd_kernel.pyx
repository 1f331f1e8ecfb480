"""SGD's native step (with momentum, dampening and Nesterov), written once for
float32 and float64.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
step ``t`` is::

    b  <- g  (t = 1),  else  momentum * b + (1 - dampening) * g     momentum_buffer
    g  <- g + momentum * b  (nesterov)   or   b                     (momentum > 0)
    x  <- x - lr * g

in ``torch.optim.SGD``'s order of operations.
"""
from cython cimport floating

from ._kernel cimport Kernel
from ._math cimport penalized_gradient


cdef enum:  # rows of the state block
    MOMENTUM_BUFFER = 0


ctypedef struct SGDParams:
    double momentum
    double dampening
    double weight_decay
    bint nesterov
    bint maximize


cdef inline void sgd_step(Py_ssize_t n,
                          const floating* x,               # IN
                          const floating* grad,            # IN
                          const floating* state,           # IN: (rows, n)
                          floating* x_out,                 # OUT (may be x)
                          floating* state_out,             # OUT (may be state)
                          const SGDParams* p,
                          Py_ssize_t step,
                          double learning_rate,
                          ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* momentum_buffer = state + MOMENTUM_BUFFER * n
        floating* momentum_buffer_out = state_out + MOMENTUM_BUFFER * n
        floating momentum = <floating>p.momentum
        floating undamped = <floating>(1.0 - p.dampening)
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-learning_rate)
        # torch starts the buffer at the first gradient, undamped.
        bint first = step == 1, nesterov = p.nesterov, maximize = p.maximize
        floating xi, g, b

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        if momentum != 0:
            b = g if first else momentum_buffer[i] * momentum + undamped * g
            momentum_buffer_out[i] = b
            g = g + momentum * b if nesterov else b
        x_out[i] = xi + neg_lr * g


cdef class SGDKernel(Kernel):
    """SGD's step with its hyperparameters held in a C struct (state row
    ``momentum_buffer``)."""

    cdef SGDParams params

    def __init__(self, *, double momentum, double dampening, double weight_decay,
                 bint nesterov, bint maximize):
        self.state_rows = 1
        self.params.momentum = momentum
        self.params.dampening = dampening
        self.params.weight_decay = weight_decay
        self.params.nesterov = nesterov
        self.params.maximize = maximize

    cdef void step_double(self, Py_ssize_t n, const double* x, const double* grad,
                          const double* state, double* x_out, double* state_out,
                          Py_ssize_t step, double learning_rate) noexcept nogil:
        sgd_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_float(self, Py_ssize_t n, const float* x, const float* grad,
                         const float* state, float* x_out, float* state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        sgd_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)
