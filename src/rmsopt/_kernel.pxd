# The native boundary every method kernel implements: from x_{t-1}, the gradient there and the
# state after step t-1, write x_t and the state after step t. The outputs are either separate
# buffers or exactly the inputs (an in-place step), never partly overlapping views: kernels read
# element i of a row before writing element i of the same row, and nothing of element i after
# writing x_out[i]. Rows of the state a configuration does not use are neither read nor written.
from cython cimport floating

from ._vector cimport all_finite, all_finite_rows, clip_gradient, project_onto_box


cdef class Kernel:
    cdef readonly Py_ssize_t state_rows    # rows of the state block the kernel indexes
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
    # The effective per-element step size after step `step` (see rmsopt.effective_step_size),
    # computed in double from the state; the default, learning_rate everywhere, is SGD's.
    cdef void step_size_double(self,
                               const double[:, ::1] state,  # IN: the state after step t
                               Py_ssize_t step,             # t >= 1
                               double learning_rate,        # the rate step t used
                               double[::1] out,             # OUT
                               ) noexcept nogil
    cdef void step_size_float(self,
                              const float[:, ::1] state,
                              Py_ssize_t step,
                              double learning_rate,
                              double[::1] out,
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


cdef inline void kernel_step_size(Kernel kernel,
                                  const floating[:, ::1] state,
                                  Py_ssize_t step,
                                  double learning_rate,
                                  double[::1] out,
                                  ) noexcept nogil:
    if floating is double:
        kernel.step_size_double(state, step, learning_rate, out)
    else:
        kernel.step_size_float(state, step, learning_rate, out)


cdef inline void clipped_kernel_step(Kernel kernel,
                                     const floating[::1] x,
                                     const floating[::1] grad,
                                     const floating[:, ::1] state,
                                     floating[::1] x_out,
                                     floating[:, ::1] state_out,
                                     floating[::1] clipped,       # scratch, length n when clipping
                                     double clipnorm,             # 0 disables
                                     double clipvalue,            # 0 disables
                                     Py_ssize_t step,
                                     double learning_rate,
                                     ) noexcept nogil:
    # The step every caller takes: clip the gradient (Keras's definitions), then the kernel.
    if clip_gradient(grad, clipped, clipnorm, clipvalue):
        kernel_step(kernel, x, clipped, state, x_out, state_out, step, learning_rate)
    else:
        kernel_step(kernel, x, grad, state, x_out, state_out, step, learning_rate)


cdef inline bint committable_step(Kernel kernel,
                                  const floating[::1] x,
                                  const floating[::1] grad,
                                  const floating[:, ::1] state,
                                  floating[::1] x_out,
                                  floating[:, ::1] state_out,
                                  floating[::1] clipped,       # scratch, length n when clipping
                                  double clipnorm,
                                  double clipvalue,
                                  Py_ssize_t step,
                                  double learning_rate,
                                  const double[::1] lower,     # the box, or None
                                  const double[::1] upper,
                                  ) noexcept nogil:
    # Clip, step out of place, project onto the box; True when x_out and state_out are finite
    # and the step may be committed. A finite but huge gradient can overflow the state
    # (v = g**2) while x stays finite, so both are checked.
    clipped_kernel_step(kernel, x, grad, state, x_out, state_out, clipped, clipnorm, clipvalue,
                        step, learning_rate)
    if lower is not None:
        project_onto_box(x_out, lower, upper)
    return all_finite(x_out) and all_finite_rows(state_out)
