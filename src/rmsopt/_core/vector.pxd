# Whole-vector helpers of the loop and the history: the 2-norm, and min, median and max.
# Inline and nogil. (A step's own reductions are in chunks.pxd, computed in its pass over the
# arrays.)
# Vectors are a length and a pointer to that many contiguous elements (n first), never
# memoryviews: a memoryview passed by value is a ~200-byte struct copied at every call, which in
# the small-n hot loops cost more than the arithmetic. The caller guarantees the lengths.
from cython cimport floating
from libc.math cimport INFINITY, NAN, fabs, isfinite, sqrt


cdef inline double segments_two_norm(Py_ssize_t count,
                                     const Py_ssize_t* sizes,     # IN: count lengths
                                     floating** segments,         # IN: count vectors
                                     ) noexcept nogil:
    # The 2-norm of the segments' concatenation, in its order (two_norm is one segment's).
    cdef Py_ssize_t i, s
    cdef double total = 0.0, largest = 0.0, scaled
    cdef const floating* values
    for s in range(count):
        values = segments[s]
        for i in range(sizes[s]):
            total += <double>values[i] * <double>values[i]
    if isfinite(total):
        return sqrt(total)
    # The squares overflowed (or an element is not finite): rescale by the largest magnitude.
    for s in range(count):
        values = segments[s]
        for i in range(sizes[s]):
            if not fabs(values[i]) <= largest:
                largest = fabs(values[i])
    if not isfinite(largest):
        return largest
    total = 0.0
    for s in range(count):
        values = segments[s]
        for i in range(sizes[s]):
            scaled = values[i] / largest
            total += scaled * scaled
    return largest * sqrt(total)


cdef inline double two_norm(Py_ssize_t n,
                            const floating* values,  # IN
                            ) noexcept nogil:
    cdef floating* segment = <floating*>values
    return segments_two_norm(1, &n, &segment)


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
