# SGD's step with optional momentum (Polyak, 1964) and Nesterov momentum (Sutskever et al.,
# 2013), written once for float32 and float64. With g the gradient (negated when maximizing,
# plus weight_decay * x), step t is
#
#     x  <- x * (1 - lr * weight_decay)  (decoupled_weight_decay, instead of the L2 term)
#     b  <- g  (t = 1),  else  momentum * b + (1 - dampening) * g     momentum_buffer
#     g  <- g + momentum * b  (nesterov)   or   b                     (momentum > 0)
#     x  <- x - lr * g
#
# or, with learning_rate_in_momentum (Keras's SGD), the buffer accumulates lr * g:
#
#     b  <- lr g  (t = 1),  else  momentum * b + (1 - dampening) * lr g
#     x  <- x - (lr g + momentum * b)  (nesterov)   or   x - b
#
# in torch.optim.SGD's order of operations.
#
# Each function here is inline and nogil: a module that cimports it compiles its own copy with
# its own flags (rmsopt compiles one for the architecture's baseline and one for AVX2, and
# chooses at import), and every copy gives the same bits. See rmsopt/kernels/__init__.py for
# the conventions every step follows.
from cython cimport floating

from rmsopt.kernels.elementwise cimport penalized_gradient


cdef enum:  # rows of the state block
    MOMENTUM_BUFFER = 0


ctypedef struct SGDParams:
    double momentum
    double dampening
    double weight_decay
    bint nesterov
    bint maximize
    bint decoupled_weight_decay
    bint learning_rate_in_momentum


cdef inline unsigned sgd_rows_written(const SGDParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return <unsigned>1 << MOMENTUM_BUFFER if p.momentum != 0 else 0


cdef inline void momentum_step(Py_ssize_t n,
                               Py_ssize_t stride,               # distance between state rows
                               const floating* x,               # IN (unused when in_place)
                               const floating* grad,            # IN
                               const floating* state,           # IN (unused when in_place)
                               floating* x_out,                 # OUT, or IN/OUT when in_place
                               floating* state_out,             # OUT, or IN/OUT when in_place
                               floating momentum,
                               floating undamped,
                               floating neg_lr,
                               bint in_place,
                               bint nesterov,
                               ) noexcept nogil:
    # A step after the first with momentum, without maximize or weight decay, with the general
    # loop's operations in its order, called only with constant flags so that each inlined copy
    # has no tests left in its loop and vectorises (see rmsprop.common_step).
    cdef:
        Py_ssize_t i
        const floating* x_in = x_out if in_place else x
        const floating* buffer = (state_out if in_place else state) + MOMENTUM_BUFFER * stride
        floating* buffer_out = state_out + MOMENTUM_BUFFER * stride
        floating g, b
    for i in range(n):
        g = grad[i]
        b = buffer[i] * momentum + undamped * g
        buffer_out[i] = b
        if nesterov:
            g = g + momentum * b
        else:
            g = b
        x_out[i] = x_in[i] + neg_lr * g


cdef inline void sgd_step(Py_ssize_t n,
                          Py_ssize_t stride,               # distance between state rows
                          const floating* x,               # IN
                          const floating* grad,            # IN
                          const floating* state,           # IN: rows at stride
                          floating* x_out,                 # OUT (may be x)
                          floating* state_out,             # OUT (may be state)
                          const SGDParams* p,
                          Py_ssize_t step,
                          double learning_rate,
                          ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* momentum_buffer = state + MOMENTUM_BUFFER * stride
        floating* momentum_buffer_out = state_out + MOMENTUM_BUFFER * stride
        floating momentum = <floating>p.momentum
        floating undamped = <floating>(1.0 - p.dampening)
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-learning_rate), lr = <floating>learning_rate
        floating shrink = <floating>(1.0 - learning_rate * p.weight_decay)
        floating coupled_decay = 0 if p.decoupled_weight_decay else weight_decay
        # torch starts the buffer at the first gradient, undamped.
        bint first = step == 1, nesterov = p.nesterov, maximize = p.maximize
        bint shrinks = p.decoupled_weight_decay and p.weight_decay != 0
        bint rate_inside = p.learning_rate_in_momentum and p.momentum != 0
        floating xi, g, b
        bint in_place = x_out == x and state_out == state

    if momentum != 0 and not (first or maximize or weight_decay != 0 or rate_inside):
        # One call per combination of the flags, each with constants.
        if in_place and nesterov:
            momentum_step(n, stride, x, grad, state, x_out, state_out, momentum, undamped,
                          neg_lr, True, True)
        elif in_place:
            momentum_step(n, stride, x, grad, state, x_out, state_out, momentum, undamped,
                          neg_lr, True, False)
        elif nesterov:
            momentum_step(n, stride, x, grad, state, x_out, state_out, momentum, undamped,
                          neg_lr, False, True)
        else:
            momentum_step(n, stride, x, grad, state, x_out, state_out, momentum, undamped,
                          neg_lr, False, False)
        return

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
        if shrinks:
            xi = xi * shrink
        if rate_inside:
            g = lr * g
            b = g if first else momentum_buffer[i] * momentum + undamped * g
            momentum_buffer_out[i] = b
            x_out[i] = xi - (g + momentum * b) if nesterov else xi - b
            continue
        if momentum != 0:
            b = g if first else momentum_buffer[i] * momentum + undamped * g
            momentum_buffer_out[i] = b
            g = g + momentum * b if nesterov else b
        x_out[i] = xi + neg_lr * g


cdef inline void sgd_step_size(Py_ssize_t n,
                               const floating* state,           # IN: (rows, n), unused
                               const SGDParams* p,
                               Py_ssize_t step,
                               double learning_rate,
                               double* out,                     # OUT
                               ) noexcept nogil:
    # Plain gradient descent scales every element by the learning rate.
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = learning_rate
