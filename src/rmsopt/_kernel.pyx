"""Base class of the method kernels (see ``_kernel.pxd``)."""
from cython cimport floating


cdef class Kernel:
    """One optimizer step, implemented natively by each method's subclass.

    The subclass holds the method's validated hyperparameters in a C struct; the
    state arrays live in one ``(k, n)`` block owned by the caller, one row per
    state array in the order the method's declaration lists them.
    """

    cdef void step_double(self, double[::1] x, const double[::1] grad, double[:, ::1] state,
                          Py_ssize_t step, double learning_rate) noexcept nogil:
        pass

    cdef void step_float(self, float[::1] x, const float[::1] grad, float[:, ::1] state,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        pass

    def step(self, x, grad, state, Py_ssize_t step, double learning_rate):
        """Advance ``x`` and ``state`` in place by step number ``step`` (1-based).

        ``x``, ``grad`` and ``state`` must be C-contiguous arrays of one dtype
        (float32 or float64) with ``len(x) == len(grad) == state.shape[1]``;
        this low-level entry point does not check them.
        """
        _step(self, x, grad, state, step, learning_rate)


def _step(Kernel kernel, floating[::1] x, const floating[::1] grad, floating[:, ::1] state,
          Py_ssize_t step, double learning_rate):
    with nogil:
        kernel_step(kernel, x, grad, state, step, learning_rate)
