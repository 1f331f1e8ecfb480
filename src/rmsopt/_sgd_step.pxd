# SGD's step over one contiguous chunk of the arrays, state rows `stride` apart, inline so
# that each module cimporting it compiles its own copy: _sgd_kernel for the baseline of the
# architecture, _avx2 with -mavx2 (see _simd.py). The copies give the same bits.
from cython cimport floating

from ._chunks cimport Chunk
from ._math cimport penalized_gradient


cdef enum:  # rows of the state block
    MOMENTUM_BUFFER = 0


ctypedef struct SGDParams:
    double momentum
    double dampening
    double weight_decay
    bint nesterov
    bint maximize


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
    # has no tests left in its loop and vectorises (see _rmsprop_step.common_step).
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
        floating neg_lr = <floating>(-learning_rate)
        # torch starts the buffer at the first gradient, undamped.
        bint first = step == 1, nesterov = p.nesterov, maximize = p.maximize
        floating xi, g, b
        bint in_place = x_out == x and state_out == state

    if momentum != 0 and not (first or maximize or weight_decay != 0):
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
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        if momentum != 0:
            b = g if first else momentum_buffer[i] * momentum + undamped * g
            momentum_buffer_out[i] = b
            g = g + momentum * b if nesterov else b
        x_out[i] = xi + neg_lr * g


cdef inline void sgd_chunk(void* chunks, int index) noexcept nogil:
    # A ChunkTask (_thread_pool.pxd): chunk `index` of an array of _chunks.Chunk.
    cdef Chunk* c = &(<Chunk*>chunks)[index]
    cdef const SGDParams* p = <const SGDParams*>c.params
    if c.is_float:
        sgd_step(c.n, c.stride, <const float*>c.x, <const float*>c.grad,
                 <const float*>c.state, <float*>c.x_out, <float*>c.state_out, p, c.step,
                 c.learning_rate)
    else:
        sgd_step(c.n, c.stride, <const double*>c.x, <const double*>c.grad,
                 <const double*>c.state, <double*>c.x_out, <double*>c.state_out, p,
                 c.step, c.learning_rate)
