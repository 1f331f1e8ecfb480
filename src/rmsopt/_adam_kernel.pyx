"""Adam's and AdamW's kernel: its parameters and effective step size. The step itself,
written once for float32 and float64, is ``_adam_step.pxd``.

With ``g`` the gradient (negated when maximizing; plus ``weight_decay * x``
for Adam's coupled decay), step ``t`` is::

    x  <- x * (1 - lr * weight_decay)                 (AdamW's decoupled decay only)
    m  <- m + (1 - beta1) * (g - m)                   exp_avg
    v  <- beta2 * v + (1 - beta2) * g**2              exp_avg_sq
    w  <- max(w, v)                                   max_exp_avg_sq (amsgrad only)
    x  <- x - lr / (1 - beta1**t) * m / (sqrt(v or w) / sqrt(1 - beta2**t) + eps)

in ``torch.optim.Adam``'s order of operations (``lerp`` for ``m``).
"""
from cython cimport floating
from libc.math cimport pow, sqrt

from ._adam_step cimport EXP_AVG_SQ, MAX_EXP_AVG_SQ, AdamParams, adam_chunk
from ._chunks cimport loop_from
from ._kernel cimport Kernel
from ._thread_pool cimport ChunkTask

# The chunk loop steps run: this module's baseline build, or another that _simd.select_loop
# hands over for the CPU.
cdef ChunkTask loop = adam_chunk


def use_loop(capsule=None):
    """Run steps with the chunk loop in ``capsule`` (one of ``_avx2.LOOPS``), or with this
    module's own build for None. Called by ``_simd.select_loop``."""
    global loop
    loop = loop_from(capsule, adam_chunk)


cdef inline void adam_step_size(Py_ssize_t n,
                                const floating* state,           # IN: (rows, n)
                                const AdamParams* p,
                                Py_ssize_t step,
                                double learning_rate,
                                double* out,                     # OUT
                                ) noexcept nogil:
    # lr / (1 - beta1**t) / (sqrt(v) / sqrt(1 - beta2**t) + eps), the factor applied to m.
    cdef:
        Py_ssize_t i
        Py_ssize_t row = MAX_EXP_AVG_SQ if p.amsgrad else EXP_AVG_SQ
        double correction1 = 1.0 - pow(p.beta1, <double>step)
        double correction2_root = sqrt(1.0 - pow(p.beta2, <double>step))
    for i in range(n):
        out[i] = (learning_rate / correction1
                  / (sqrt(<double>state[row * n + i]) / correction2_root + p.epsilon))


cdef class AdamKernel(Kernel):
    """Adam's step (AdamW's with ``decoupled_weight_decay``), hyperparameters held
    in a C struct (state rows ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``)."""

    cdef AdamParams adam

    def __init__(self, *, double beta1, double beta2, double epsilon, double weight_decay,
                 bint amsgrad, bint maximize, bint decoupled_weight_decay=False, int threads=1):
        self.state_rows = 3
        self.threads = threads
        self.params = &self.adam
        self.loop = &loop
        self.adam.beta1 = beta1
        self.adam.beta2 = beta2
        self.adam.epsilon = epsilon
        self.adam.weight_decay = weight_decay
        self.adam.amsgrad = amsgrad
        self.adam.decoupled_weight_decay = decoupled_weight_decay
        self.adam.maximize = maximize

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        adam_step_size(n, state, &self.adam, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        adam_step_size(n, state, &self.adam, step, learning_rate, out)
