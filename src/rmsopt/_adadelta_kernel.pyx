"""Adadelta's kernel: its parameters and effective step size. The step itself, written once
for float32 and float64, is ``_adadelta_step.pxd``.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
one step is::

    v  <- rho * v + (1 - rho) * g**2                          square_avg
    d  =  sqrt(u + eps) / sqrt(v + eps) * g
    u  <- rho * u + (1 - rho) * d**2                          acc_delta
    x  <- x - lr * d

in ``torch.optim.Adadelta``'s order of operations.
"""
from cython cimport floating
from libc.math cimport sqrt

from ._adadelta_step cimport ACC_DELTA, SQUARE_AVG, AdadeltaParams, adadelta_chunk
from ._chunks cimport loop_from
from ._kernel cimport Kernel
from ._thread_pool cimport ChunkTask

# The chunk loop steps run: this module's baseline build, or another that _simd.select_loop
# hands over for the CPU.
cdef ChunkTask loop = adadelta_chunk


def use_loop(capsule=None):
    """Run steps with the chunk loop in ``capsule`` (one of ``_avx2.LOOPS``), or with this
    module's own build for None. Called by ``_simd.select_loop``."""
    global loop
    loop = loop_from(capsule, adadelta_chunk)


cdef inline void adadelta_step_size(Py_ssize_t n,
                                    const floating* state,           # IN: (rows, n)
                                    const AdadeltaParams* p,
                                    Py_ssize_t step,
                                    double learning_rate,
                                    double* out,                     # OUT
                                    ) noexcept nogil:
    # lr * sqrt(u + eps) / sqrt(v + eps), the ratio of the two moving RMS.
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = (learning_rate * sqrt(<double>state[ACC_DELTA * n + i] + p.epsilon)
                  / sqrt(<double>state[SQUARE_AVG * n + i] + p.epsilon))


cdef class AdadeltaKernel(Kernel):
    """Adadelta's step with its hyperparameters held in a C struct (state rows
    ``square_avg`` and ``acc_delta``)."""

    cdef AdadeltaParams adadelta

    def __init__(self, *, double rho, double epsilon, double weight_decay, bint maximize, int threads=1):
        self.state_rows = 2
        self.threads = threads
        self.params = &self.adadelta
        self.loop = &loop
        self.adadelta.rho = rho
        self.adadelta.epsilon = epsilon
        self.adadelta.weight_decay = weight_decay
        self.adadelta.maximize = maximize

    cdef void step_size_double(self, Py_ssize_t n, const double* state, Py_ssize_t step,
                               double learning_rate, double* out) noexcept nogil:
        adadelta_step_size(n, state, &self.adadelta, step, learning_rate, out)

    cdef void step_size_float(self, Py_ssize_t n, const float* state, Py_ssize_t step,
                              double learning_rate, double* out) noexcept nogil:
        adadelta_step_size(n, state, &self.adadelta, step, learning_rate, out)
