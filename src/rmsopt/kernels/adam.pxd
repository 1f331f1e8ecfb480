# Adam's step (Kingma and Ba, 2015), and AdamW's with decoupled_weight_decay, written once for
# float32 and float64. With g the gradient (negated when maximizing; plus weight_decay * x for
# Adam's coupled decay), step t is
#
#     x  <- x * (1 - lr * weight_decay)                 (AdamW's decoupled decay only)
#     m  <- m + (1 - beta1) * (g - m)                   exp_avg
#     v  <- beta2 * v + (1 - beta2) * g**2              exp_avg_sq
#     w  <- max(w, v)                                   max_exp_avg_sq (amsgrad only)
#     x  <- x - lr / (1 - beta1**t) * m / (sqrt(v or w) / sqrt(1 - beta2**t) + eps)
#
# in torch.optim.Adam's order of operations (its lerp for m), and the framework variants:
#
#     x  <- x - lr sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v or w) + eps)
#                                                       (epsilon_hat: Keras, TensorFlow)
#     x  <- x - lr * (m / (1 - beta1**t)) / (sqrt(v' + eps_root) + eps)
#           with v' = v / (1 - beta2**t)                (eps_root > 0: optax)
#           or v' = w <- max(w, v / (1 - beta2**t))     (amsgrad_corrected: optax's amsgrad)
#
# Each function here is inline and nogil: a module that cimports it compiles its own copy with
# its own flags (rmsopt compiles one for the architecture's baseline and one for AVX2, and
# chooses at import), and every copy gives the same bits. See rmsopt/kernels/__init__.py for
# the conventions every step follows.
from cython cimport floating
from libc.math cimport pow, sqrt

from rmsopt.kernels.elementwise cimport lerp, penalized_gradient, root


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
    bint epsilon_hat
    double eps_root
    bint amsgrad_corrected


cdef inline unsigned adam_rows_written(const AdamParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    cdef unsigned rows = (<unsigned>1 << EXP_AVG) | (<unsigned>1 << EXP_AVG_SQ)
    if p.amsgrad:
        rows |= <unsigned>1 << MAX_EXP_AVG_SQ
    return rows


ctypedef struct AdamScalars:
    # A step's scalars in the working precision (double; exact for float32 values).
    double one_minus_beta1, beta2, one_minus_beta2, epsilon, neg_step_size, correction2_root
    double shrink, coupled_decay


cdef inline void common_step(Py_ssize_t n,
                             Py_ssize_t stride,               # distance between state rows
                             const floating* x,               # IN (unused when in_place)
                             const floating* grad,            # IN
                             const floating* state,           # IN (unused when in_place)
                             floating* x_out,                 # OUT, or IN/OUT when in_place
                             floating* state_out,             # OUT, or IN/OUT when in_place
                             const AdamScalars* s,
                             bint in_place,
                             bint shrinks,
                             bint amsgrad,
                             bint maximize,
                             bint decayed,                    # coupled weight decay != 0
                             ) noexcept nogil:
    # The step with the general loop's operations in its order, called only with constant
    # flags so that each inlined copy has no tests left in its loop and vectorises (see
    # rmsprop.common_step, which this follows).
    cdef:
        Py_ssize_t i
        const floating* x_in = x_out if in_place else x
        const floating* state_in = state_out if in_place else state
        const floating* exp_avg = state_in + EXP_AVG * stride
        const floating* exp_avg_sq = state_in + EXP_AVG_SQ * stride
        const floating* max_exp_avg_sq = state_in + MAX_EXP_AVG_SQ * stride
        floating* exp_avg_out = state_out + EXP_AVG * stride
        floating* exp_avg_sq_out = state_out + EXP_AVG_SQ * stride
        floating* max_exp_avg_sq_out = state_out + MAX_EXP_AVG_SQ * stride
        floating one_minus_beta1 = <floating>s.one_minus_beta1, beta2 = <floating>s.beta2
        floating one_minus_beta2 = <floating>s.one_minus_beta2, epsilon = <floating>s.epsilon
        floating neg_step_size = <floating>s.neg_step_size, shrink = <floating>s.shrink
        floating correction2_root = <floating>s.correction2_root
        floating coupled_decay = <floating>s.coupled_decay
        floating xi, g, m, v, w
    for i in range(n):
        xi = x_in[i]
        g = grad[i]
        if maximize:
            g = -g
        if decayed:
            g = g + coupled_decay * xi
        if shrinks:
            xi = xi * shrink
        m = lerp(exp_avg[i], g, one_minus_beta1)
        exp_avg_out[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg_sq_out[i] = v
        if amsgrad:
            w = max_exp_avg_sq[i]
            if w > v:
                v = w
            max_exp_avg_sq_out[i] = v
        x_out[i] = xi + neg_step_size * m / (root(v) / correction2_root + epsilon)


# common_step's flags turned into constants one at a time: each branch passes a literal, so
# once these are inlined every call of common_step has constant flags.
cdef inline void common_step_decayed(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                     const floating* grad, const floating* state,
                                     floating* x_out, floating* state_out, const AdamScalars* s,
                                     bint in_place, bint shrinks, bint amsgrad, bint maximize,
                                     bint decayed) noexcept nogil:
    if decayed:
        common_step(n, stride, x, grad, state, x_out, state_out, s, in_place, shrinks, amsgrad,
                    maximize, True)
    else:
        common_step(n, stride, x, grad, state, x_out, state_out, s, in_place, shrinks, amsgrad,
                    maximize, False)


cdef inline void common_step_maximize(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                      const floating* grad, const floating* state,
                                      floating* x_out, floating* state_out,
                                      const AdamScalars* s, bint in_place, bint shrinks,
                                      bint amsgrad, bint maximize, bint decayed) noexcept nogil:
    if maximize:
        common_step_decayed(n, stride, x, grad, state, x_out, state_out, s, in_place, shrinks,
                            amsgrad, True, decayed)
    else:
        common_step_decayed(n, stride, x, grad, state, x_out, state_out, s, in_place, shrinks,
                            amsgrad, False, decayed)


cdef inline void common_step_amsgrad(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                     const floating* grad, const floating* state,
                                     floating* x_out, floating* state_out, const AdamScalars* s,
                                     bint in_place, bint shrinks, bint amsgrad, bint maximize,
                                     bint decayed) noexcept nogil:
    if amsgrad:
        common_step_maximize(n, stride, x, grad, state, x_out, state_out, s, in_place, shrinks,
                             True, maximize, decayed)
    else:
        common_step_maximize(n, stride, x, grad, state, x_out, state_out, s, in_place, shrinks,
                             False, maximize, decayed)


cdef inline void common_step_for(Py_ssize_t n, Py_ssize_t stride, const floating* x,
                                 const floating* grad, const floating* state, floating* x_out,
                                 floating* state_out, const AdamScalars* s, bint in_place,
                                 bint shrinks, bint amsgrad, bint maximize,
                                 bint decayed) noexcept nogil:
    # One inlined copy of common_step per combination of the flags, each with constants
    # (decoupled and coupled decay exclude each other: shrinks and decayed are never both set).
    if in_place:
        if shrinks:
            common_step_amsgrad(n, stride, x, grad, state, x_out, state_out, s, True, True,
                                amsgrad, maximize, False)
        else:
            common_step_amsgrad(n, stride, x, grad, state, x_out, state_out, s, True, False,
                                amsgrad, maximize, decayed)
    elif shrinks:
        common_step_amsgrad(n, stride, x, grad, state, x_out, state_out, s, False, True,
                            amsgrad, maximize, False)
    else:
        common_step_amsgrad(n, stride, x, grad, state, x_out, state_out, s, False, False,
                            amsgrad, maximize, decayed)


cdef inline void adam_step(Py_ssize_t n,
                           Py_ssize_t stride,               # distance between state rows
                           const floating* x,               # IN
                           const floating* grad,            # IN
                           const floating* state,           # IN: rows at stride
                           floating* x_out,                 # OUT (may be x)
                           floating* state_out,             # OUT (may be state)
                           const AdamParams* p,
                           Py_ssize_t step,
                           double learning_rate,
                           ) noexcept nogil:
    # The step's scalars, then common_step with the configuration's flags as constants; small
    # steps take the general loop below, the same operations with the flags tested per
    # element (the constant-flag copies are reached through calls that cost more than a few
    # elements).
    cdef:
        Py_ssize_t i
        # The bias corrections are computed in double, as torch computes them in Python floats.
        double correction1 = 1.0 - pow(p.beta1, <double>step)
        double correction2 = 1.0 - pow(p.beta2, <double>step)
        bint decoupled = p.decoupled_weight_decay, amsgrad = p.amsgrad, maximize = p.maximize
        bint shrinks = decoupled and p.weight_decay != 0
        const floating* exp_avg = state + EXP_AVG * stride
        const floating* exp_avg_sq = state + EXP_AVG_SQ * stride
        const floating* max_exp_avg_sq = state + MAX_EXP_AVG_SQ * stride
        floating* exp_avg_out = state_out + EXP_AVG * stride
        floating* exp_avg_sq_out = state_out + EXP_AVG_SQ * stride
        floating* max_exp_avg_sq_out = state_out + MAX_EXP_AVG_SQ * stride
        floating one_minus_beta1, beta2, one_minus_beta2, epsilon, neg_step_size
        floating correction2_root, shrink, coupled_decay, xi, g, m, v
        # The framework variants' scalars (general loop only).
        bint epsilon_hat = p.epsilon_hat, corrected = p.amsgrad_corrected
        bint optax_form = p.eps_root != 0 or p.amsgrad_corrected
        floating eps_root = <floating>p.eps_root, neg_lr = <floating>(-learning_rate)
        floating alpha = <floating>(learning_rate * pow(correction2, 0.5) / correction1)
        floating correction1_f = <floating>correction1, correction2_f = <floating>correction2
        AdamScalars scalars
    one_minus_beta1 = <floating>(1.0 - p.beta1)
    beta2 = <floating>p.beta2
    one_minus_beta2 = <floating>(1.0 - p.beta2)
    epsilon = <floating>p.epsilon
    neg_step_size = <floating>(-(learning_rate / correction1))
    correction2_root = <floating>pow(correction2, 0.5)
    shrink = <floating>(1.0 - learning_rate * p.weight_decay)
    coupled_decay = 0 if decoupled else <floating>p.weight_decay
    if n >= 64 and not (epsilon_hat or optax_form):
        scalars.one_minus_beta1 = one_minus_beta1
        scalars.beta2 = beta2
        scalars.one_minus_beta2 = one_minus_beta2
        scalars.epsilon = epsilon
        scalars.neg_step_size = neg_step_size
        scalars.correction2_root = correction2_root
        scalars.shrink = shrink
        scalars.coupled_decay = coupled_decay
        common_step_for(n, stride, x, grad, state, x_out, state_out, &scalars,
                        x_out == x and state_out == state, shrinks, amsgrad, maximize,
                        coupled_decay != 0)
        return

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, coupled_decay)
        if shrinks:
            xi = xi * shrink
        m = lerp(exp_avg[i], g, one_minus_beta1)
        exp_avg_out[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g
        exp_avg_sq_out[i] = v
        if corrected:  # optax's amsgrad keeps the maximum of the corrected moment
            v = v / correction2_f
        if amsgrad:
            if max_exp_avg_sq[i] > v:
                v = max_exp_avg_sq[i]
            max_exp_avg_sq_out[i] = v
        if optax_form and not corrected:
            v = v / correction2_f
        if epsilon_hat:
            x_out[i] = xi - (m * alpha) / (root(v) + epsilon)
        elif optax_form:
            x_out[i] = xi + neg_lr * ((m / correction1_f) / (root(v + eps_root) + epsilon))
        else:
            x_out[i] = xi + neg_step_size * m / (root(v) / correction2_root + epsilon)


cdef inline void adam_step_size(Py_ssize_t n,
                                const floating* state,           # IN: (rows, n)
                                const AdamParams* p,
                                Py_ssize_t step,
                                double learning_rate,
                                double* out,                     # OUT
                                ) noexcept nogil:
    # lr / (1 - beta1**t) / (sqrt(v) / sqrt(1 - beta2**t) + eps), the factor applied to m, with
    # the denominator of the variant the parameters choose.
    cdef:
        Py_ssize_t i
        Py_ssize_t row = MAX_EXP_AVG_SQ if p.amsgrad else EXP_AVG_SQ
        double correction1 = 1.0 - pow(p.beta1, <double>step)
        double correction2 = 1.0 - pow(p.beta2, <double>step)
        double correction2_root = sqrt(correction2)
        double v
    for i in range(n):
        v = <double>state[row * n + i]
        if p.epsilon_hat:
            out[i] = learning_rate * correction2_root / correction1 / (sqrt(v) + p.epsilon)
        elif p.eps_root != 0 or p.amsgrad_corrected:
            if not p.amsgrad_corrected:
                v = v / correction2
            out[i] = learning_rate / correction1 / (sqrt(v + p.eps_root) + p.epsilon)
        else:
            out[i] = learning_rate / correction1 / (sqrt(v) / correction2_root + p.epsilon)
