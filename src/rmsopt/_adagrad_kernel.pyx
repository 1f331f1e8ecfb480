"""Adagrad's kernel: its parameters and effective step size. The step itself, written once
for float32 and float64, is ``_adagrad_step.pxd``.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
step ``t`` is::

    s  <- s + g**2                                   square_sum
    lr_t = lr / (1 + (t - 1) * lr_decay)
    x  <- x - lr_t * g / (sqrt(s) + eps)

in ``torch.optim.Adagrad``'s order of operations.
"""
from cython cimport floating
from libc.math cimport sqrt

from ._adagrad_step cimport SQUARE_SUM, AdagradParams, adagrad_chunk
from ._chunks cimport loop_from
from ._kernel cimport Kernel
from ._thread_pool cimport ChunkTask

# The chunk loop steps run: this module's baseline build, or another that _simd.select_loop
# hands over for the CPU.
cdef ChunkTask loop = adagrad_chunk


def use_loop(capsule=None):
    """Run steps with the chunk loop in ``capsule`` (one of ``_avx2.LOOPS``), or with this
    module's own build for None. Called by ``_simd.select_loop``."""
    global loop
    loop = loop_from(capsule, adagrad_chunk)


cdef inline void adagrad_step_size(Py_ssize_t n,
                                   const floating* state,           # IN: (rows, n)
                                   const AdagradParams* p,
                                   Py_ssize_t step,
                                   double learning_rate,
                                   double* out,                     # OUT
                                   ) noexcept nogil:
    # lr_t / (sqrt(s) + eps): s only grows, so this only shrinks.
    cdef:
        Py_ssize_t i
        double decayed = learning_rate / (1.0 + (step - 1) * p.lr_decay)
    for i in range(n):
        out[i] = decayed / (sqrt(<double>state[SQUARE_SUM * n + i]) + p.epsilon)


cdef class AdagradKernel(Kernel):
    """Adagrad's step with its hyperparameters held in a C struct (state row
    ``square_sum``)."""

    cdef AdagradParams adagrad

    def __init__(self, *, double lr_decay, double epsilon, double weight_decay, bint maximize, int threads=1):
        self.state_rows = 1
        self.threads = threads
        self.params = &self.adagrad
        self.loop = &loop
        self.adagrad.lr_decay = lr_decay
        self.adagrad.epsilon = epsilon
        self.adagrad.weight_decay = weight_decay
        self.adagrad.maximize = maximize

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        adagrad_step_size(n, state, &self.adagrad, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        adagrad_step_size(n, state, &self.adagrad, step, learning_rate, out)
