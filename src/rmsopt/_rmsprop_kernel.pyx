"""RMSprop's kernel: its parameters and effective step size. The step itself, written once
for float32 and float64, is ``_rmsprop_step.pxd``.

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
from cython cimport floating
from libc.math cimport pow, sqrt

from ._chunks cimport loop_from
from ._kernel cimport Kernel
from ._rmsprop_step cimport GRAD_AVG, SQUARE_AVG, RMSpropParams, rmsprop_chunk
from ._thread_pool cimport ChunkTask

# The chunk loop steps run: this module's baseline build, or another that _simd.select_loop
# hands over for the CPU.
cdef ChunkTask loop = rmsprop_chunk


def use_loop(capsule=None):
    """Run steps with the chunk loop in ``capsule`` (one of ``_avx2.LOOPS``), or with this
    module's own build for None. Called by ``_simd.select_loop``."""
    global loop
    loop = loop_from(capsule, rmsprop_chunk)


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

    cdef RMSpropParams rmsprop

    def __init__(self, *, double rho, double epsilon, double momentum, double weight_decay,
                 bint centered, bint maximize, bint epsilon_in_sqrt, bint bias_correction,
                 int threads=1):
        self.state_rows = 3
        self.threads = threads
        self.params = &self.rmsprop
        self.loop = &loop
        self.rmsprop.rho = rho
        self.rmsprop.epsilon = epsilon
        self.rmsprop.momentum = momentum
        self.rmsprop.weight_decay = weight_decay
        self.rmsprop.centered = centered
        self.rmsprop.maximize = maximize
        self.rmsprop.epsilon_in_sqrt = epsilon_in_sqrt
        self.rmsprop.bias_correction = bias_correction

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        rmsprop_step_size(n, state, &self.rmsprop, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        rmsprop_step_size(n, state, &self.rmsprop, step, learning_rate, out)
