"""RMSprop's native step, written once for float32 and float64.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
one step is::

    v  <- rho * v + (1 - rho) * g**2                  square_avg
    m  <- m + (1 - rho) * (g - m)                     grad_avg (centered only)
    v' <- v / (1 - rho**t), m' <- m / (1 - rho**t)    (bias_correction only)
    s  <- max(v' - m'**2, 0)  (centered)   or  v'     (otherwise)
    d  <- sqrt(s + eps)  (epsilon_in_sqrt) or  sqrt(s) + eps
    b  <- momentum * b + g / d;  x <- x - lr * b      (momentum > 0)
    x  <- x - lr * g / d                              (otherwise)

The operations are ordered as ``torch.optim.RMSprop`` orders them (including
its ``lerp`` for ``m``), so that iterates agree with torch's to rounding.
"""
from cpython.pycapsule cimport PyCapsule_GetPointer
from cython cimport floating
from libc.math cimport pow, sqrt

from ._cpu cimport cpu_has_avx2
from ._kernel cimport Kernel
from ._math cimport lerp, penalized_gradient, root
from ._rmsprop_loops cimport GRAD_AVG, MOMENTUM_BUFFER, SQUARE_AVG, Chunk, run_chunk_of
from ._thread_pool cimport ChunkTask, run_chunks

from ._cpu_features import preferred_target


# The smallest n split across threads: below it, handing chunks to the pool's workers costs
# more than they save. MAX_THREADS bounds the option (and the pool).
DEF PARALLEL_FROM = 16384
DEF MAX_THREADS = 64


ctypedef struct RMSpropParams:
    double rho
    double epsilon
    double momentum
    double weight_decay
    bint centered
    bint maximize
    bint epsilon_in_sqrt
    bint bias_correction
    int threads           # threads sharing a step of at least PARALLEL_FROM elements


# The loop the common step runs: this module's copy, built for the architecture's baseline, or
# _rmsprop_avx2's. Chosen at import (see select_loop); both give the same bits.
cdef ChunkTask chunk_loop = run_chunk_of
cdef str chunk_loop_target = "baseline"


def loop_targets():
    """The builds of RMSprop's vectorised loop this process can run: ``"baseline"``, and
    ``"avx2"`` when the CPU (and the operating system) support AVX2 and it was built."""
    targets = ["baseline"]
    if cpu_has_avx2():
        try:
            from . import _rmsprop_avx2  # imported only after the check: its code uses AVX2
        except ImportError:  # not built (not x86, or a compiler without -mavx2)
            pass
        else:
            targets.append("avx2")
    return targets


def select_loop(str target):
    """Run RMSprop's vectorised steps with the build ``target`` (one of `loop_targets`) and
    return the previous one. Import chooses the widest the CPU supports, unless the environment
    variable ``RMSOPT_DISABLE_CPU_FEATURES`` names it (NumPy's convention, e.g. ``AVX2``)."""
    global chunk_loop, chunk_loop_target
    targets = loop_targets()
    if target not in targets:
        raise ValueError(f"target must be one of {targets} on this machine; got {target!r}")
    if target == "avx2":
        from . import _rmsprop_avx2
        chunk_loop = <ChunkTask>PyCapsule_GetPointer(_rmsprop_avx2.CHUNK_LOOP,
                                                     _rmsprop_avx2.CHUNK_LOOP_NAME)
    else:
        chunk_loop = run_chunk_of
    previous, chunk_loop_target = chunk_loop_target, target
    return previous


def selected_loop():
    """The build of RMSprop's vectorised loop that steps run with (see `select_loop`)."""
    return chunk_loop_target


select_loop(preferred_target(loop_targets()))


cdef inline void split_common_step(Py_ssize_t n, const floating* x, const floating* grad,
                                   const floating* state, floating* x_out, floating* state_out,
                                   floating rho, floating one_minus_rho, floating epsilon,
                                   floating momentum, floating neg_lr, bint in_place,
                                   bint centered, int threads) noexcept nogil:
    # The common step by the chosen loop (see select_loop): on one chunk, or on `threads`
    # contiguous chunks run by the process's worker pool. Each element is computed as on one
    # thread, so the iterates do not depend on the count.
    cdef Chunk chunks[MAX_THREADS]
    cdef Py_ssize_t start, stop
    cdef int t
    for t in range(threads):
        # Boundaries on multiples of 16 elements, so that no two threads write one cache line.
        start = (t * n // threads) & ~15
        stop = n if t == threads - 1 else ((t + 1) * n // threads) & ~15
        chunks[t].n = stop - start
        chunks[t].stride = n
        chunks[t].x = x + start
        chunks[t].grad = grad + start
        chunks[t].state = state + start
        chunks[t].x_out = x_out + start
        chunks[t].state_out = state_out + start
        chunks[t].rho = rho
        chunks[t].one_minus_rho = one_minus_rho
        chunks[t].epsilon = epsilon
        chunks[t].momentum = momentum
        chunks[t].neg_lr = neg_lr
        chunks[t].in_place = in_place
        chunks[t].centered = centered
        chunks[t].is_float = floating is float
    if threads == 1:
        chunk_loop(chunks, 0)
    else:
        run_chunks(chunk_loop, chunks, threads)


cdef inline void rmsprop_step(Py_ssize_t n,
                              const floating* x,               # IN
                              const floating* grad,            # IN
                              const floating* state,           # IN: (rows, n)
                              floating* x_out,                 # OUT (may be x)
                              floating* state_out,             # OUT (may be state)
                              const RMSpropParams* p,
                              Py_ssize_t step,
                              double learning_rate,
                              ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_avg = state + SQUARE_AVG * n
        const floating* grad_avg = state + GRAD_AVG * n
        const floating* momentum_buffer = state + MOMENTUM_BUFFER * n
        floating* square_avg_out = state_out + SQUARE_AVG * n
        floating* grad_avg_out = state_out + GRAD_AVG * n
        floating* momentum_buffer_out = state_out + MOMENTUM_BUFFER * n
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
        split_common_step(n, x, grad, state, x_out, state_out, rho, one_minus_rho, epsilon,
                          momentum, neg_lr, in_place, centered,
                          p.threads if n >= PARALLEL_FROM else 1)
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


cdef class RMSpropKernel(Kernel):
    """RMSprop's step with its hyperparameters held in a C struct.

    Parameters are the validated options of method ``"rmsprop"`` (see
    ``rmsopt.rmsprop``); the state block has the rows ``square_avg``,
    ``grad_avg`` and ``momentum_buffer``.
    """

    cdef RMSpropParams params

    def __init__(self, *, double rho, double epsilon, double momentum, double weight_decay,
                 bint centered, bint maximize, bint epsilon_in_sqrt, bint bias_correction,
                 int threads=1):
        self.state_rows = 3
        self.params.threads = threads
        self.params.rho = rho
        self.params.epsilon = epsilon
        self.params.momentum = momentum
        self.params.weight_decay = weight_decay
        self.params.centered = centered
        self.params.maximize = maximize
        self.params.epsilon_in_sqrt = epsilon_in_sqrt
        self.params.bias_correction = bias_correction

    cdef void step_double(self, Py_ssize_t n, const double* x, const double* grad,
                          const double* state, double* x_out, double* state_out,
                          Py_ssize_t step, double learning_rate) noexcept nogil:
        rmsprop_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_float(self, Py_ssize_t n, const float* x, const float* grad,
                         const float* state, float* x_out, float* state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        rmsprop_step(n, x, grad, state, x_out, state_out, &self.params, step, learning_rate)

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        rmsprop_step_size(n, state, &self.params, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        rmsprop_step_size(n, state, &self.params, step, learning_rate, out)
