# Whole-vector helpers shared by the drivers and the optimizer objects: finiteness, step size,
# box projection, the projected-gradient norm and gradient clipping. Inline and nogil.
# Vectors are a length and a pointer to that many contiguous elements (n first), never
# memoryviews: a memoryview passed by value is a ~200-byte struct copied at every call, which in
# the small-n hot loops cost more than the arithmetic. The caller guarantees the lengths; the
# box is `lower`/`upper` of n doubles each, or NULL for no box.
from cython cimport floating
from libc.math cimport INFINITY, NAN, fabs, isfinite, sqrt


cdef inline bint all_finite(Py_ssize_t n,
                            const floating* values,       # IN
                            ) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if not isfinite(values[i]):
            return False
    return True


cdef inline bint all_finite_rows(Py_ssize_t rows,
                                 Py_ssize_t n,
                                 const floating* values,  # IN: C-contiguous (rows, n)
                                 ) noexcept nogil:
    # The rows are contiguous: one pass over rows * n elements.
    return all_finite(rows * n, values)


cdef inline double max_abs_difference(Py_ssize_t n,
                                      const floating* a,  # IN
                                      const floating* b,  # IN
                                      ) noexcept nogil:
    cdef Py_ssize_t i
    cdef double largest = 0.0, difference
    for i in range(n):
        difference = fabs(<double>a[i] - <double>b[i])
        if difference > largest:
            largest = difference
    return largest


cdef inline void project_onto_box(Py_ssize_t n,
                                  floating* x,              # IN/OUT
                                  const double* lower,      # IN
                                  const double* upper,      # IN
                                  ) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if x[i] < lower[i]:
            x[i] = <floating>lower[i]
        elif x[i] > upper[i]:
            x[i] = <floating>upper[i]


cdef inline double projected_gradient_max_norm(Py_ssize_t n,
                                               const floating* x,      # IN
                                               const floating* grad,   # IN
                                               const double* lower,    # IN, NULL: no box
                                               const double* upper,    # IN
                                               bint maximize,
                                               ) noexcept nogil:
    # max_i |P(x - d) - x| with d the descent direction's gradient (-grad when maximizing) and
    # P the projection onto the box: without bounds this is max_i |grad_i|.
    cdef Py_ssize_t i
    cdef bint has_bounds = lower != NULL
    cdef double largest = 0.0, trial, descent
    for i in range(n):
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


cdef inline double two_norm(Py_ssize_t n,
                            const floating* values,  # IN
                            ) noexcept nogil:
    cdef Py_ssize_t i
    cdef double total = 0.0, largest = 0.0, scaled
    for i in range(n):
        total += <double>values[i] * <double>values[i]
    if isfinite(total):
        return sqrt(total)
    # The squares overflowed (or an element is not finite): rescale by the largest magnitude.
    for i in range(n):
        if not fabs(values[i]) <= largest:
            largest = fabs(values[i])
    if not isfinite(largest):
        return largest
    total = 0.0
    for i in range(n):
        scaled = values[i] / largest
        total += scaled * scaled
    return largest * sqrt(total)


cdef inline bint clip_gradient(Py_ssize_t n,
                               const floating* grad,  # IN
                               floating* clipped,     # OUT
                               double clipnorm,
                               double clipvalue,
                               ) noexcept nogil:
    # Keras's clipping (infinity disables): clipnorm rescales g to 2-norm clipnorm when its norm
    # exceeds it, as g * clipnorm / norm; clipvalue clips each element to [-clipvalue, clipvalue].
    # Returns whether `clipped` was written; when it was not, the gradient is used as it is.
    cdef Py_ssize_t i
    cdef double norm
    if clipnorm < INFINITY:
        norm = two_norm(n, grad)
        if not norm > clipnorm:
            return False
        for i in range(n):
            clipped[i] = <floating>((<double>grad[i] * clipnorm) / norm)
        return True
    if clipvalue < INFINITY:
        for i in range(n):
            if grad[i] > clipvalue:
                clipped[i] = <floating>clipvalue
            elif grad[i] < -clipvalue:
                clipped[i] = <floating>(-clipvalue)
            else:
                clipped[i] = grad[i]
        return True
    return False


cdef inline void _swap(double* values, Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    cdef double kept = values[i]
    values[i] = values[j]
    values[j] = kept


cdef inline double _select(double* values, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    # Hoare's quickselect: the k-th smallest of values[0:n], which it reorders so that
    # values[0:k] hold the smaller ones. Middle pivot; expected O(n). NaN must not occur.
    cdef Py_ssize_t low = 0, high = n - 1, i, j
    cdef double pivot
    while low < high:
        pivot = values[(low + high) // 2]
        i, j = low, high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                _swap(values, i, j)
                i += 1
                j -= 1
        if k <= j:
            high = j
        elif k >= i:
            low = i
        else:
            break
    return values[k]


cdef inline void min_median_max(Py_ssize_t n,
                                double* values,       # IN, reordered
                                double* out,          # OUT: min, median, max
                                ) noexcept nogil:
    # The median as numpy.median takes it: the mean of the two middle values for even n.
    cdef Py_ssize_t i, half = n // 2
    cdef double smallest, largest, upper, lower
    if n == 0:
        out[0] = out[1] = out[2] = NAN
        return
    smallest = largest = values[0]
    for i in range(n):
        if not (values[i] == values[i]):  # NaN: no order to speak of
            out[0] = out[1] = out[2] = NAN
            return
        if values[i] < smallest:
            smallest = values[i]
        if values[i] > largest:
            largest = values[i]
    upper = _select(values, n, half)
    if n % 2:
        out[1] = upper
    else:
        lower = values[0]
        for i in range(half):  # the largest of the lower half
            if values[i] > lower:
                lower = values[i]
        out[1] = (lower + upper) / 2
    out[0] = smallest
    out[2] = largest
