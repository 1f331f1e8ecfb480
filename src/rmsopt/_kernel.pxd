# The native boundary every method kernel implements: from x_{t-1}, the gradient there and the
# state after step t-1, write x_t and the state after step t. The outputs may be the inputs
# themselves (an in-place step): kernels read element i of every input before writing element i
# of any output. Rows of the state a configuration does not use are neither read nor written.
from cython cimport floating


cdef class Kernel:
    cdef void step_double(self,
                          const double[::1] x,              # IN: x_{t-1}
                          const double[::1] grad,           # IN: gradient at x_{t-1}
                          const double[:, ::1] state,       # IN: one row per state array
                          double[::1] x_out,                # OUT: x_t
                          double[:, ::1] state_out,         # OUT: state after step t
                          Py_ssize_t step,                  # t, 1 for the first step
                          double learning_rate,
                          ) noexcept nogil
    cdef void step_float(self,
                         const float[::1] x,
                         const float[::1] grad,
                         const float[:, ::1] state,
                         float[::1] x_out,
                         float[:, ::1] state_out,
                         Py_ssize_t step,
                         double learning_rate,
                         ) noexcept nogil


cdef inline void kernel_step(Kernel kernel,
                             const floating[::1] x,
                             const floating[::1] grad,
                             const floating[:, ::1] state,
                             floating[::1] x_out,
                             floating[:, ::1] state_out,
                             Py_ssize_t step,
                             double learning_rate,
                             ) noexcept nogil:
    if floating is double:
        kernel.step_double(x, grad, state, x_out, state_out, step, learning_rate)
    else:
        kernel.step_float(x, grad, state, x_out, state_out, step, learning_rate)
