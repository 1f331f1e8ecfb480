# RMSprop's vectorised loops: the step without weight decay, maximize, bias correction or
# epsilon in the square root, over one contiguous chunk of the arrays. Everything here is inline,
# so each module that cimports it compiles its own copy with its own flags: _rmsprop_kernel for
# the baseline of the target architecture, _rmsprop_avx2 with -mavx2 (see _cpu.pxd for the
# choice at run time). Both copies compute every element with the same operations, so they give
# the same bits.
from cython cimport floating

from ._math cimport lerp, root


cdef enum:  # rows of the state block
    SQUARE_AVG = 0
    GRAD_AVG = 1
    MOMENTUM_BUFFER = 2


cdef inline void common_step(Py_ssize_t n,
                             Py_ssize_t stride,               # distance between state rows
                             const floating* x,               # IN (unused when in_place)
                             const floating* grad,            # IN
                             const floating* state,           # IN (unused when in_place)
                             floating* x_out,                 # OUT, or IN/OUT when in_place
                             floating* state_out,             # OUT, or IN/OUT when in_place
                             floating rho,
                             floating one_minus_rho,
                             floating epsilon,
                             floating momentum,
                             floating neg_lr,
                             bint in_place,
                             bint centered,
                             bint has_momentum,
                             ) noexcept nogil:
    # The step without weight decay, maximize, bias correction or epsilon in the square root,
    # with the general loop's operations in its order. It is only called with constant flags,
    # so each inlined copy has no tests left in its loop and the compiler vectorises it. In
    # place, it reads through the output pointers: the compiler's runtime overlap test would
    # send identical input and output pointers to its scalar fallback.
    cdef:
        Py_ssize_t i
        const floating* x_in = x_out if in_place else x
        const floating* state_in = state_out if in_place else state
        const floating* square_avg = state_in + SQUARE_AVG * stride
        const floating* grad_avg = state_in + GRAD_AVG * stride
        const floating* momentum_buffer = state_in + MOMENTUM_BUFFER * stride
        floating* square_avg_out = state_out + SQUARE_AVG * stride
        floating* grad_avg_out = state_out + GRAD_AVG * stride
        floating* momentum_buffer_out = state_out + MOMENTUM_BUFFER * stride
        floating g, v, m, spread, denom, b
    for i in range(n):
        g = grad[i]
        v = square_avg[i] * rho
        v = v + one_minus_rho * g * g
        square_avg_out[i] = v
        if centered:
            m = lerp(grad_avg[i], g, one_minus_rho)
            grad_avg_out[i] = m
            spread = v - m * m
            if spread < 0:
                spread = 0
        else:
            spread = v
        denom = root(spread) + epsilon
        if has_momentum:
            b = momentum_buffer[i] * momentum + g / denom
            momentum_buffer_out[i] = b
            x_out[i] = x_in[i] + neg_lr * b
        else:
            x_out[i] = x_in[i] + neg_lr * g / denom


cdef inline void common_step_for(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                 const floating* grad,
                                 const floating* state, floating* x_out, floating* state_out,
                                 floating rho, floating one_minus_rho, floating epsilon,
                                 floating momentum, floating neg_lr, bint in_place,
                                 bint centered, bint has_momentum) noexcept nogil:
    # One call of common_step per combination of the flags, each with constants.
    if in_place:
        if centered:
            if has_momentum:
                common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                            momentum, neg_lr, True, True, True)
            else:
                common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                            momentum, neg_lr, True, True, False)
        elif has_momentum:
            common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                        momentum, neg_lr, True, False, True)
        else:
            common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                        momentum, neg_lr, True, False, False)
    elif centered:
        if has_momentum:
            common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                        momentum, neg_lr, False, True, True)
        else:
            common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                        momentum, neg_lr, False, True, False)
    elif has_momentum:
        common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                    momentum, neg_lr, False, False, True)
    else:
        common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                    momentum, neg_lr, False, False, False)


ctypedef struct Chunk:
    # One thread's share of a step: contiguous elements [start, start + n) of every array.
    Py_ssize_t n, stride
    const void* x
    const void* grad
    const void* state
    void* x_out
    void* state_out
    double rho, one_minus_rho, epsilon, momentum, neg_lr   # already in the working precision
    bint in_place, centered, is_float


cdef inline void run_chunk(Chunk* c) noexcept nogil:
    if c.is_float:
        common_step_for(c.n, c.stride, <const float*>c.x, <const float*>c.grad,
                        <const float*>c.state, <float*>c.x_out, <float*>c.state_out,
                        <float>c.rho, <float>c.one_minus_rho, <float>c.epsilon,
                        <float>c.momentum, <float>c.neg_lr, c.in_place, c.centered,
                        c.momentum > 0)
    else:
        common_step_for(c.n, c.stride, <const double*>c.x, <const double*>c.grad,
                        <const double*>c.state, <double*>c.x_out, <double*>c.state_out,
                        c.rho, c.one_minus_rho, c.epsilon, c.momentum, c.neg_lr, c.in_place,
                        c.centered, c.momentum > 0)


cdef inline void run_chunk_of(void* chunks, int index) noexcept nogil:
    # A ChunkTask of _thread_pool.pxd: chunk `index` of an array of Chunk.
    run_chunk(&(<Chunk*>chunks)[index])
