# RMSprop's step over one contiguous chunk of the arrays, state rows `stride` apart. Everything
# here is inline, so each module that cimports it compiles its own copy with its own flags:
# _rmsprop_kernel for the baseline of the target architecture, _avx2 with -mavx2 (see _simd.py
# for the choice at run time). Both copies compute every element with the same operations, so
# they give the same bits.
from cython cimport floating
from libc.math cimport pow

from ._chunks cimport Chunk
from ._math cimport lerp, penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_AVG = 0
    GRAD_AVG = 1
    MOMENTUM_BUFFER = 2


ctypedef struct RMSpropParams:
    double rho
    double epsilon
    double momentum
    double weight_decay
    bint centered
    bint maximize
    bint epsilon_in_sqrt
    bint bias_correction


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


cdef inline void rmsprop_step(Py_ssize_t n,
                              Py_ssize_t stride,               # distance between state rows
                              const floating* x,               # IN
                              const floating* grad,            # IN
                              const floating* state,           # IN: rows at stride
                              floating* x_out,                 # OUT (may be x)
                              floating* state_out,             # OUT (may be state)
                              const RMSpropParams* p,
                              Py_ssize_t step,
                              double learning_rate,
                              ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_avg = state + SQUARE_AVG * stride
        const floating* grad_avg = state + GRAD_AVG * stride
        const floating* momentum_buffer = state + MOMENTUM_BUFFER * stride
        floating* square_avg_out = state_out + SQUARE_AVG * stride
        floating* grad_avg_out = state_out + GRAD_AVG * stride
        floating* momentum_buffer_out = state_out + MOMENTUM_BUFFER * stride
        floating rho = <floating>p.rho
        # Scalars are rounded to the working precision as torch rounds them.
        floating one_minus_rho = <floating>(1.0 - p.rho)
        floating epsilon = <floating>p.epsilon
        floating momentum = <floating>p.momentum
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-learning_rate)
        # pow costs more than a whole step at small n: only bias correction needs it.
        floating correction = <floating>(1.0 - pow(p.rho, <double>step)) if p.bias_correction else 1
        # Flags in locals: the state arrays could alias *p as far as the compiler knows, which
        # would stop it from hoisting the tests out of the loop and vectorising.
        bint maximize = p.maximize, centered = p.centered
        bint bias_correction = p.bias_correction, epsilon_in_sqrt = p.epsilon_in_sqrt
        floating xi, g, v, m, spread, denom, b
        bint in_place

    if not (maximize or bias_correction or epsilon_in_sqrt or weight_decay != 0):
        in_place = x_out == x and state_out == state
        common_step_for(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                        epsilon, momentum, neg_lr, in_place, centered, momentum > 0)
        return

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)

        v = square_avg[i] * rho
        v = v + one_minus_rho * g * g
        square_avg_out[i] = v
        if bias_correction:
            v = v / correction

        if centered:
            m = lerp(grad_avg[i], g, one_minus_rho)
            grad_avg_out[i] = m
            if bias_correction:
                m = m / correction
            spread = v - m * m
            # Rounding can push the variance estimate below zero under nearly constant
            # gradients; torch and Keras then take sqrt of a negative number (NaN).
            if spread < 0:
                spread = 0
        else:
            spread = v

        if epsilon_in_sqrt:
            denom = root(spread + epsilon)
        else:
            denom = root(spread) + epsilon

        if momentum > 0:
            b = momentum_buffer[i] * momentum + g / denom
            momentum_buffer_out[i] = b
            x_out[i] = xi + neg_lr * b
        else:
            x_out[i] = xi + neg_lr * g / denom


cdef inline void rmsprop_chunk(void* chunks, int index) noexcept nogil:
    # A ChunkTask (_thread_pool.pxd): chunk `index` of an array of _chunks.Chunk.
    cdef Chunk* c = &(<Chunk*>chunks)[index]
    cdef const RMSpropParams* p = <const RMSpropParams*>c.params
    if c.is_float:
        rmsprop_step(c.n, c.stride, <const float*>c.x, <const float*>c.grad,
                     <const float*>c.state, <float*>c.x_out, <float*>c.state_out, p, c.step,
                     c.learning_rate)
    else:
        rmsprop_step(c.n, c.stride, <const double*>c.x, <const double*>c.grad,
                     <const double*>c.state, <double*>c.x_out, <double*>c.state_out, p, c.step,
                     c.learning_rate)
