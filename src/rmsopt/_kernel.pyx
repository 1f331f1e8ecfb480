"""Base class of the method kernels (see ``_kernel.pxd``)."""
import numpy as np

from cython cimport floating


cdef class Kernel:
    """One optimizer step, implemented natively by each method's subclass.

    The subclass holds the method's validated hyperparameters in a C struct; the
    state arrays live in one ``(k, n)`` block owned by the caller, one row per
    state array in the order the method's declaration lists them.
    """

    cdef void step_double(self, const double[::1] x, const double[::1] grad,
                          const double[:, ::1] state, double[::1] x_out,
                          double[:, ::1] state_out, Py_ssize_t step,
                          double learning_rate) noexcept nogil:
        pass

    cdef void step_float(self, const float[::1] x, const float[::1] grad,
                         const float[:, ::1] state, float[::1] x_out, float[:, ::1] state_out,
                         Py_ssize_t step, double learning_rate) noexcept nogil:
        pass

    cdef void step_size_double(self, const double[:, ::1] state, Py_ssize_t step,
                               double learning_rate, double[::1] out) noexcept nogil:
        out[:] = learning_rate

    cdef void step_size_float(self, const float[:, ::1] state, Py_ssize_t step,
                              double learning_rate, double[::1] out) noexcept nogil:
        out[:] = learning_rate

    def step_size(self, state, Py_ssize_t step, double learning_rate):
        """The effective step sizes after step ``step`` with ``state`` (a
        C-contiguous float32/float64 block), as a new float64 array."""
        out = np.empty(state.shape[1], dtype=np.float64)
        cdef double[::1] out_view = out
        cdef const double[:, ::1] state_double
        cdef const float[:, ::1] state_float
        if state.dtype == np.float64:
            state_double = state
            self.step_size_double(state_double, step, learning_rate, out_view)
        else:
            state_float = state
            self.step_size_float(state_float, step, learning_rate, out_view)
        return out

    def step(self, x, grad, state, Py_ssize_t step, double learning_rate,
             x_out=None, state_out=None):
        """Take step number ``step`` (1-based): in place, or into ``x_out`` and
        ``state_out`` when given.

        ``x``, ``grad``, ``state`` and the outputs must be C-contiguous arrays of
        one dtype (float32 or float64); lengths and the state's rows are checked
        here, since the native step trusts them.
        """
        n = x.shape[0]
        outputs = (x if x_out is None else x_out, state if state_out is None else state_out)
        for array in (state, outputs[1]):
            if array.ndim != 2 or array.shape[0] < self.state_rows or array.shape[1] != n:
                raise ValueError(
                    f"Kernel.step needs state blocks of shape ({self.state_rows}, {n}). "
                    f"Got {array.shape} instead."
                )
        if grad.shape != (n,) or outputs[0].shape != (n,):
            raise ValueError(
                f"Kernel.step needs grad and x_out of shape ({n},), like x. "
                f"Got {grad.shape} and {outputs[0].shape} instead."
            )
        if n == 0:
            return
        if x_out is None and state_out is None:
            _step_in_place(self, x, grad, state, step, learning_rate)
        else:
            _step(self, x, grad, state, x if x_out is None else x_out,
                  state if state_out is None else state_out, step, learning_rate)


def _step_in_place(Kernel kernel, floating[::1] x, const floating[::1] grad,
                   floating[:, ::1] state, Py_ssize_t step, double learning_rate):
    # Three buffer acquisitions instead of five: this is the call small-n benchmarks time.
    with nogil:
        kernel_step(kernel, x, grad, state, x, state, step, learning_rate)


def _step(Kernel kernel, const floating[::1] x, const floating[::1] grad,
          const floating[:, ::1] state, floating[::1] x_out, floating[:, ::1] state_out,
          Py_ssize_t step, double learning_rate):
    with nogil:
        kernel_step(kernel, x, grad, state, x_out, state_out, step, learning_rate)
