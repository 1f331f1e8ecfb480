# Element-wise helpers shared by the driver: finiteness, step size, box projection and the
# projected-gradient norm. Inline and nogil; the caller guarantees matching lengths.
from cython cimport floating
from libc.math cimport fabs, isfinite


cdef inline bint all_finite(const floating[::1] values) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(values.shape[0]):
        if not isfinite(values[i]):
            return False
    return True


cdef inline bint all_finite_rows(const floating[:, ::1] values) noexcept nogil:
    cdef Py_ssize_t row
    for row in range(values.shape[0]):
        if not all_finite(values[row]):
            return False
    return True


cdef inline double max_abs_difference(const floating[::1] a,  # IN
                                      const floating[::1] b,  # IN
                                      ) noexcept nogil:
    cdef Py_ssize_t i
    cdef double largest = 0.0, difference
    for i in range(a.shape[0]):
        difference = fabs(<double>a[i] - <double>b[i])
        if difference > largest:
            largest = difference
    return largest


cdef inline void project_onto_box(floating[::1] x,            # IN/OUT
                                  const double[::1] lower,    # IN
                                  const double[::1] upper,    # IN
                                  ) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        if x[i] < lower[i]:
            x[i] = <floating>lower[i]
        elif x[i] > upper[i]:
            x[i] = <floating>upper[i]


cdef inline double projected_gradient_max_norm(const floating[::1] x,      # IN
                                               const floating[::1] grad,   # IN
                                               const double[::1] lower,    # IN
                                               const double[::1] upper,    # IN
                                               bint has_bounds,
                                               bint maximize,
                                               ) noexcept nogil:
    # max_i |P(x - d) - x| with d the descent direction's gradient (-grad when maximizing) and
    # P the projection onto the box: without bounds this is max_i |grad_i|.
    cdef Py_ssize_t i
    cdef double largest = 0.0, trial, descent
    for i in range(x.shape[0]):
        descent = -<double>grad[i] if maximize else <double>grad[i]
        if has_bounds:
            trial = <double>x[i] - descent
            if trial < lower[i]:
                trial = lower[i]
            elif trial > upper[i]:
                trial = upper[i]
            descent = <double>x[i] - trial
        if fabs(descent) > largest:
            largest = fabs(descent)
    return largest
