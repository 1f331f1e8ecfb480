"""SGD's kernel: its parameters. The step itself (with momentum, dampening and Nesterov),
written once for float32 and float64, is ``_sgd_step.pxd``.

With ``g`` the gradient (negated when maximizing, plus ``weight_decay * x``),
step ``t`` is::

    b  <- g  (t = 1),  else  momentum * b + (1 - dampening) * g     momentum_buffer
    g  <- g + momentum * b  (nesterov)   or   b                     (momentum > 0)
    x  <- x - lr * g

in ``torch.optim.SGD``'s order of operations.
"""
from ._chunks cimport loop_from
from ._kernel cimport Kernel
from ._sgd_step cimport SGDParams, sgd_chunk
from ._thread_pool cimport ChunkTask

# The chunk loop steps run: this module's baseline build, or another that _simd.select_loop
# hands over for the CPU.
cdef ChunkTask loop = sgd_chunk


def use_loop(capsule=None):
    """Run steps with the chunk loop in ``capsule`` (one of ``_avx2.LOOPS``), or with this
    module's own build for None. Called by ``_simd.select_loop``."""
    global loop
    loop = loop_from(capsule, sgd_chunk)


cdef class SGDKernel(Kernel):
    """SGD's step with its hyperparameters held in a C struct (state row
    ``momentum_buffer``)."""

    cdef SGDParams sgd

    def __init__(self, *, double momentum, double dampening, double weight_decay,
                 bint nesterov, bint maximize, int threads=1):
        self.state_rows = 1
        self.threads = threads
        self.params = &self.sgd
        self.loop = &loop
        self.sgd.momentum = momentum
        self.sgd.dampening = dampening
        self.sgd.weight_decay = weight_decay
        self.sgd.nesterov = nesterov
        self.sgd.maximize = maximize
