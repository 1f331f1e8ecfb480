# The native boundary every method kernel implements: advance x and the state by one step.
from cython cimport floating


cdef class Kernel:
    cdef void step_double(self,
                          double[::1] x,              # IN/OUT
                          const double[::1] grad,     # IN
                          double[:, ::1] state,       # IN/OUT, one row per state array
                          Py_ssize_t step,            # 1 for the first step
                          double learning_rate,
                          ) noexcept nogil
    cdef void step_float(self,
                         float[::1] x,                # IN/OUT
                         const float[::1] grad,       # IN
                         float[:, ::1] state,         # IN/OUT
                         Py_ssize_t step,
                         double learning_rate,
                         ) noexcept nogil


cdef inline void kernel_step(Kernel kernel,
                             floating[::1] x,
                             const floating[::1] grad,
                             floating[:, ::1] state,
                             Py_ssize_t step,
                             double learning_rate,
                             ) noexcept nogil:
    if floating is double:
        kernel.step_double(x, grad, state, step, learning_rate)
    else:
        kernel.step_float(x, grad, state, step, learning_rate)
