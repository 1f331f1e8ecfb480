# RMSprop's step (Hinton, 2012), written once for float32 and float64. With g the gradient
# (negated when maximizing, plus weight_decay * x), step t is
#
#     v  <- rho * v + (1 - rho) * g**2                  square_avg
#     m  <- m + (1 - rho) * (g - m)                     grad_avg (centered only)
#     v' <- v / (1 - rho**t), m' <- m / (1 - rho**t)    (bias_correction only)
#     s  <- max(v' - m'**2, 0)  (centered)   or  v'     (otherwise)
#     d  <- sqrt(s + eps)  (epsilon_in_sqrt) or  sqrt(s) + eps
#     b  <- momentum * b + g / d;  x <- x - lr * b      (momentum > 0)
#     x  <- x - lr * g / d                              (otherwise)
#
# and the framework variants: decoupled_weight_decay shrinks x by 1 - lr * weight_decay first
# instead of adding the L2 term; nesterov steps along g / d + momentum * b instead of b;
# learning_rate_in_momentum accumulates lr * g / d in b (TF1, optax) and steps along b (or
# lr * g / d + momentum * b with nesterov).
#
# with the operations ordered as torch.optim.RMSprop orders them (its lerp for m), so that
# iterates agree with torch's to rounding.
#
# Each function here is inline and nogil: a module that cimports it compiles its own copy with
# its own flags (rmsopt compiles one for the architecture's baseline and one for AVX2, and
# chooses at import), and every copy gives the same bits. See rmsopt/kernels/__init__.py for
# the conventions every step follows.
from cython cimport floating
from libc.math cimport pow, sqrt

from rmsopt.kernels.elementwise cimport lerp, penalized_gradient, root


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
    bint nesterov
    bint decoupled_weight_decay
    bint learning_rate_in_momentum


cdef inline unsigned rmsprop_rows_written(const RMSpropParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    cdef unsigned rows = <unsigned>1 << SQUARE_AVG
    if p.centered:
        rows |= <unsigned>1 << GRAD_AVG
    if p.momentum > 0:
        rows |= <unsigned>1 << MOMENTUM_BUFFER
    return rows


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
                             floating weight_decay,
                             floating neg_lr,
                             bint in_place,
                             bint centered,
                             bint has_momentum,
                             bint maximize,
                             bint decayed,                    # weight_decay != 0
                             ) noexcept nogil:
    # The step without bias correction or epsilon in the square root, with the general loop's
    # operations in its order. It is only called with constant flags, so each inlined copy has
    # no tests left in its loop and the compiler vectorises it. In place, it reads through the
    # output pointers: the compiler's runtime overlap test would send identical input and
    # output pointers to its scalar fallback.
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
        floating xi, g, v, m, spread, denom, b
    for i in range(n):
        xi = x_in[i]
        g = grad[i]
        if maximize:
            g = -g
        if decayed:
            g = g + weight_decay * xi
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
            x_out[i] = xi + neg_lr * b
        else:
            x_out[i] = xi + neg_lr * g / denom


# common_step's flags turned into constants one at a time: each branch passes a literal, so
# once these are inlined every call of common_step has constant flags.
cdef inline void common_step_decayed(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                     const floating* grad, const floating* state,
                                     floating* x_out, floating* state_out, floating rho,
                                     floating one_minus_rho, floating epsilon,
                                     floating momentum, floating weight_decay, floating neg_lr,
                                     bint in_place, bint centered, bint has_momentum,
                                     bint maximize, bint decayed) noexcept nogil:
    if decayed:
        common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                    momentum, weight_decay, neg_lr, in_place, centered, has_momentum, maximize,
                    True)
    else:
        common_step(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                    momentum, weight_decay, neg_lr, in_place, centered, has_momentum, maximize,
                    False)


cdef inline void common_step_maximize(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                      const floating* grad, const floating* state,
                                      floating* x_out, floating* state_out, floating rho,
                                      floating one_minus_rho, floating epsilon,
                                      floating momentum, floating weight_decay, floating neg_lr,
                                      bint in_place, bint centered, bint has_momentum,
                                      bint maximize, bint decayed) noexcept nogil:
    if maximize:
        common_step_decayed(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                            epsilon, momentum, weight_decay, neg_lr, in_place, centered,
                            has_momentum, True, decayed)
    else:
        common_step_decayed(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                            epsilon, momentum, weight_decay, neg_lr, in_place, centered,
                            has_momentum, False, decayed)


cdef inline void common_step_momentum(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                      const floating* grad, const floating* state,
                                      floating* x_out, floating* state_out, floating rho,
                                      floating one_minus_rho, floating epsilon,
                                      floating momentum, floating weight_decay, floating neg_lr,
                                      bint in_place, bint centered, bint has_momentum,
                                      bint maximize, bint decayed) noexcept nogil:
    if has_momentum:
        common_step_maximize(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                             epsilon, momentum, weight_decay, neg_lr, in_place, centered, True,
                             maximize, decayed)
    else:
        common_step_maximize(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                             epsilon, momentum, weight_decay, neg_lr, in_place, centered, False,
                             maximize, decayed)


cdef inline void common_step_centered(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                      const floating* grad, const floating* state,
                                      floating* x_out, floating* state_out, floating rho,
                                      floating one_minus_rho, floating epsilon,
                                      floating momentum, floating weight_decay, floating neg_lr,
                                      bint in_place, bint centered, bint has_momentum,
                                      bint maximize, bint decayed) noexcept nogil:
    if centered:
        common_step_momentum(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                             epsilon, momentum, weight_decay, neg_lr, in_place, True,
                             has_momentum, maximize, decayed)
    else:
        common_step_momentum(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                             epsilon, momentum, weight_decay, neg_lr, in_place, False,
                             has_momentum, maximize, decayed)


cdef inline void common_step_for(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                 const floating* grad, const floating* state, floating* x_out,
                                 floating* state_out, floating rho, floating one_minus_rho,
                                 floating epsilon, floating momentum, floating weight_decay,
                                 floating neg_lr, bint in_place, bint centered,
                                 bint has_momentum, bint maximize, bint decayed) noexcept nogil:
    # One inlined copy of common_step per combination of the flags, each with constants.
    if in_place:
        common_step_centered(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                             epsilon, momentum, weight_decay, neg_lr, True, centered,
                             has_momentum, maximize, decayed)
    else:
        common_step_centered(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                             epsilon, momentum, weight_decay, neg_lr, False, centered,
                             has_momentum, maximize, decayed)


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
        bint nesterov = p.nesterov, rate_inside = p.learning_rate_in_momentum
        bint shrinks = p.decoupled_weight_decay and p.weight_decay != 0
        floating coupled_decay = 0 if p.decoupled_weight_decay else weight_decay
        floating shrink = <floating>(1.0 - learning_rate * p.weight_decay)
        floating lr = <floating>learning_rate
        floating xi, g, v, m, spread, denom, b, u
        bint in_place

    # Small steps take the general loop: the constant-flag copies are reached through a chain
    # of calls that costs more than a few elements. So do the framework variants.
    if n >= 64 and not (bias_correction or epsilon_in_sqrt or nesterov or rate_inside
                        or p.decoupled_weight_decay):
        in_place = x_out == x and state_out == state
        common_step_for(n, stride, x, grad, state, x_out, state_out, rho, one_minus_rho,
                        epsilon, momentum, weight_decay, neg_lr, in_place, centered,
                        momentum > 0, maximize, weight_decay != 0)
        return

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
        if shrinks:
            xi = xi * shrink

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
            u = g / denom
            if rate_inside:
                u = lr * u
            b = momentum_buffer[i] * momentum + u
            momentum_buffer_out[i] = b
            if nesterov:
                b = u + momentum * b
            if rate_inside:
                x_out[i] = xi - b
            else:
                x_out[i] = xi + neg_lr * b
        else:
            x_out[i] = xi + neg_lr * g / denom


cdef inline void rmsprop_step_size(Py_ssize_t n,
                                   const floating* state,           # IN: (rows, n)
                                   const RMSpropParams* p,
                                   Py_ssize_t step,
                                   double learning_rate,
                                   double* out,                     # OUT
                                   ) noexcept nogil:
    # lr / (sqrt(v) + eps) with v bias-corrected, centered and eps placed as the options say.
    cdef:
        Py_ssize_t i
        double correction = 1.0 - pow(p.rho, <double>step) if p.bias_correction else 1.0
        double v, m, spread
    for i in range(n):
        v = state[SQUARE_AVG * n + i] / correction
        if p.centered:
            m = state[GRAD_AVG * n + i] / correction
            spread = v - m * m
            if spread < 0:
                spread = 0
        else:
            spread = v
        if p.epsilon_in_sqrt:
            out[i] = learning_rate / sqrt(spread + p.epsilon)
        else:
            out[i] = learning_rate / (sqrt(spread) + p.epsilon)
