# Adafactor's step (Shazeer and Stern, 2018), written once for float32 and float64, as
# torch.optim.Adafactor takes it. With g the gradient (negated when maximizing), step t is
#
#     rho_t   = min(lr, 1 / sqrt(t))                      the relative step size
#     alpha_t = max(epsilon2, RMS(x)) * rho_t             RMS(a) = ||a|| / sqrt(n), x before
#     x      <- x * (1 - lr * weight_decay)
#     w_t     = t ** beta2_decay                          1 at the first step
#
# and, for x read as a vector,
#
#     v   <- lerp(v, g**2, w_t)                           variance
#     V    = v
#
# or, for x read as matrices (each of the `batches`, rows x cols), the factored moments
#
#     r_i <- lerp(r_i, mean_j g_ij**2, w_t)               torch's row_var
#     c_j <- lerp(c_j, mean_i g_ij**2, w_t)               torch's col_var
#     V_ij = r_i c_j / max(mean_i r_i, epsilon1)
#
# then
#
#     u   = g / sqrt(max(V, epsilon1**2))
#     x  <- x - alpha_t / max(1, RMS(u) / d) * u
#
# in torch's order of operations (squares of norms, 1 / sqrt(V) times g). The state is one
# row of n: the vector's v, or the matrices' r (batches * rows) followed by their c
# (batches * cols), which fit in n when rows and cols are at least 2; the rest of the row is
# not used. epsilon1 is the dtype's machine epsilon when epsilon1_dtype is set (torch's None).
#
# A whole-array step (kernels/whole.pxd): its norms and moments need every element.
from cython cimport floating
from libc.float cimport DBL_EPSILON, FLT_EPSILON
from libc.math cimport pow, sqrt

from rmsopt.kernels.elementwise cimport lerp, root
from rmsopt.kernels.whole cimport WholeArray, scratch_end


cdef enum:  # rows of the state block
    VARIANCE = 0


ctypedef struct AdafactorParams:
    double beta2_decay
    double epsilon1
    bint epsilon1_dtype
    double epsilon2
    double d
    double weight_decay
    bint maximize


cdef inline unsigned adafactor_rows_written(const AdafactorParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return <unsigned>1 << VARIANCE


cdef inline Py_ssize_t adafactor_scratch_bytes(const AdafactorParams* p,
                                               const WholeArray* array,
                                               Py_ssize_t n,
                                               Py_ssize_t itemsize,
                                               ) noexcept nogil:
    # u (n elements: its norm comes before the step along it, and its divisions and roots
    # are the step's costliest work), then the column sums of one matrix, in double.
    return scratch_end(n * itemsize) + array.cols * <Py_ssize_t>sizeof(double)


cdef inline double adafactor_epsilon1(const AdafactorParams* p, bint is_float) noexcept nogil:
    if p.epsilon1_dtype:
        return FLT_EPSILON if is_float else DBL_EPSILON
    return p.epsilon1


cdef inline floating adafactor_scale(floating value,              # V
                                     floating floor,              # epsilon1**2
                                     ) noexcept nogil:
    # 1 / sqrt(max(V, floor)), NaN staying NaN (torch's clamp).
    cdef floating one = 1
    return one / root(floor if value < floor else value)


cdef enum:
    # Sums of squares run in LANES partial sums, element j of a line in lane j % LANES, each
    # lane in order, then added pairwise: a fixed order, and one that vectorises.
    LANES = 8


cdef inline double lanes_total(const double* lanes) noexcept nogil:
    return (((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
            + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])))


cdef inline void clear(double* lanes) noexcept nogil:
    cdef int k
    for k in range(LANES):
        lanes[k] = 0.0


cdef inline void add_squares(Py_ssize_t n,
                             const floating* values,      # IN: a line
                             double* lanes,               # IN/OUT: LANES partial sums
                             ) noexcept nogil:
    cdef Py_ssize_t i, k, c, whole = n - n % LANES
    cdef double value
    for c in range(whole // LANES):
        i = c * LANES
        for k in range(LANES):
            value = values[i + k]
            lanes[k] += value * value
    for i in range(whole, n):
        value = values[i]
        lanes[i - whole] += value * value


cdef inline double squares(Py_ssize_t n, const floating* values) noexcept nogil:
    # The sum of squares, in double.
    cdef double lanes[LANES]
    clear(lanes)
    add_squares(n, values, lanes)
    return lanes_total(lanes)


cdef inline floating mean_square(floating norm, Py_ssize_t count) noexcept nogil:
    # torch's norm(...).square_().div_(count), from the norm rounded to the dtype.
    return norm * norm / <floating>count


cdef inline double total(Py_ssize_t n, const floating* values) noexcept nogil:
    # The sum in double, in order (the row moments: a short line).
    cdef Py_ssize_t i
    cdef double result = 0.0
    for i in range(n):
        result += values[i]
    return result


cdef inline void adafactor_factor(Py_ssize_t rows,
                                  Py_ssize_t cols,
                                  const floating* grad,          # IN: one matrix
                                  const floating* row_var,       # IN: rows elements
                                  const floating* col_var,       # IN: cols elements
                                  floating* row_out,             # OUT
                                  floating* col_out,             # OUT
                                  floating weight,               # w_t
                                  double* column_sums,           # scratch: cols doubles
                                  ) noexcept nogil:
    # One matrix's row and column moments (the squares do not depend on the sign).
    cdef Py_ssize_t i, j
    cdef double value
    cdef double lanes[LANES]
    cdef const floating* line
    for j in range(cols):
        column_sums[j] = 0.0
    for i in range(rows):
        line = grad + i * cols
        clear(lanes)
        add_squares(cols, line, lanes)
        for j in range(cols):
            value = line[j]
            column_sums[j] += value * value
        row_out[i] = lerp(row_var[i], mean_square(<floating>sqrt(lanes_total(lanes)), cols),
                          weight)
    for j in range(cols):
        col_out[j] = lerp(col_var[j], mean_square(<floating>sqrt(column_sums[j]), rows),
                          weight)


cdef inline floating adafactor_row_floor(Py_ssize_t rows,
                                         const floating* row_var,    # IN: after the step
                                         double epsilon1,
                                         ) noexcept nogil:
    # max(mean_i r_i, epsilon1), NaN staying NaN.
    cdef floating mean = <floating>(total(rows, row_var) / <double>rows)
    cdef floating low = <floating>epsilon1
    return low if mean < low else mean


cdef inline floating line_estimate(bint factored,
                                   floating row,        # r_i (factored)
                                   floating moment,     # c_j, or v_j
                                   floating divisor,    # max(mean(r), epsilon1) (factored)
                                   ) noexcept nogil:
    # V of one element.
    return row * moment / divisor if factored else moment


cdef enum:
    # u is computed, then its squares summed, this many elements at a time (a multiple of
    # LANES), while they are in cache: as two loops each vectorises in float32 too.
    U_BLOCK = 2048


cdef inline void update_line(Py_ssize_t n,
                             const floating* grad,      # IN: a line
                             const floating* moments,   # IN: its c (or v)
                             bint factored,
                             floating row,
                             floating divisor,
                             floating floor,            # epsilon1**2
                             floating sign,             # -1 when maximizing
                             floating* u,               # OUT: the line's u
                             double* lanes,             # IN/OUT: its squares, summed
                             ) noexcept nogil:
    # u = g / sqrt(max(V, epsilon1**2)) on the line, its squares in the lanes of add_squares.
    cdef Py_ssize_t start = 0, i, size
    while start < n:
        size = min(<Py_ssize_t>U_BLOCK, n - start)
        for i in range(start, start + size):
            u[i] = adafactor_scale(line_estimate(factored, row, moments[i], divisor),
                                   floor) * (sign * grad[i])
        add_squares(size, u + start, lanes)
        start += size


cdef inline double adafactor_update(const WholeArray* array,
                                    Py_ssize_t n,
                                    const floating* grad,          # IN
                                    const floating* variance,      # IN: after the step
                                    floating floor,                # epsilon1**2
                                    double epsilon1,
                                    floating sign,
                                    floating* u,                   # OUT: n elements
                                    ) noexcept nogil:
    # u, and the sum of its squares (in double), line by line in the same lanes.
    cdef Py_ssize_t b, i, at
    cdef Py_ssize_t rows = array.rows, cols = array.cols, batches = array.batches
    cdef double lanes[LANES]
    cdef floating divisor
    cdef const floating* col_var
    clear(lanes)
    if rows == 0:
        update_line(n, grad, variance, False, 0, 1, floor, sign, u, lanes)
        return lanes_total(lanes)
    col_var = variance + batches * rows
    for b in range(batches):
        divisor = adafactor_row_floor(rows, variance + b * rows, epsilon1)
        for i in range(rows):
            at = (b * rows + i) * cols
            update_line(cols, grad + at, col_var + b * cols, True, variance[b * rows + i],
                        divisor, floor, sign, u + at, lanes)
    return lanes_total(lanes)


cdef inline void adafactor_step(Py_ssize_t n,
                                Py_ssize_t stride,               # distance between state rows
                                const floating* x,               # IN
                                const floating* grad,            # IN
                                const floating* state,           # IN: rows at stride
                                floating* x_out,                 # OUT (may be x)
                                floating* state_out,             # OUT (may be state)
                                const AdafactorParams* p,
                                const WholeArray* array,         # x's shape; scratch
                                Py_ssize_t step,
                                double learning_rate,
                                ) noexcept nogil:
    cdef:
        Py_ssize_t i, b, batch = array.rows * array.cols
        const floating* variance = state + VARIANCE * stride
        floating* variance_out = state_out + VARIANCE * stride
        double t = <double>step, count = pow(<double>n, 0.5)
        double rho = min(learning_rate, 1.0 / pow(t, 0.5))
        double epsilon1 = adafactor_epsilon1(p, floating is float)
        floating weight = <floating>pow(t, p.beta2_decay)
        floating floor = <floating>(epsilon1 * epsilon1)
        floating x_norm = <floating>sqrt(squares(n, x))
        double alpha = max(p.epsilon2, <double>x_norm / count) * rho
        double denominator
        floating g, scale, sign = -1 if p.maximize else 1
        floating decay = <floating>(1.0 - learning_rate * p.weight_decay)
        Py_ssize_t rows = array.rows, cols = array.cols, batches = array.batches
        floating* u = <floating*>array.scratch
        double* column_sums = <double*>(<char*>array.scratch + scratch_end(n * sizeof(floating)))
    if rows == 0:
        for i in range(n):
            g = sign * grad[i]
            variance_out[i] = lerp(variance[i], g * g, weight)
    else:
        for b in range(batches):
            adafactor_factor(rows, cols, grad + b * batch, variance + b * rows,
                             variance + batches * rows + b * cols, variance_out + b * rows,
                             variance_out + batches * rows + b * cols, weight, column_sums)
    denominator = max(1.0, <double><floating>sqrt(adafactor_update(
        array, n, grad, variance_out, floor, epsilon1, sign, u)) / (count * p.d))
    scale = <floating>(-alpha / denominator)
    if p.weight_decay != 0:
        for i in range(n):
            x_out[i] = x[i] * decay + scale * u[i]
    else:
        for i in range(n):
            x_out[i] = x[i] + scale * u[i]


cdef inline void adafactor_step_size(Py_ssize_t n,
                                     const floating* state,      # IN: (rows, n)
                                     const AdafactorParams* p,
                                     const WholeArray* array,
                                     Py_ssize_t step,
                                     double learning_rate,
                                     double* out,                # OUT
                                     ) noexcept nogil:
    # rho_t / sqrt(max(V, epsilon1**2)): the relative step size over the root of the second
    # moment. The scale max(epsilon2, RMS(x)) and the update clipping max(1, RMS(u) / d)
    # depend on x and the gradient, which the state does not hold, and are left out.
    cdef Py_ssize_t b, i, j, batch = array.rows * array.cols
    cdef double rho = min(learning_rate, 1.0 / pow(<double>step, 0.5))
    cdef double epsilon1 = adafactor_epsilon1(p, floating is float)
    cdef double floor = epsilon1 * epsilon1, value, mean
    cdef const floating* col_var = state + array.batches * array.rows
    if array.rows == 0:
        for i in range(n):
            value = state[i]
            out[i] = rho / sqrt(floor if value < floor else value)
        return
    for b in range(array.batches):
        mean = total(array.rows, state + b * array.rows) / <double>array.rows
        mean = epsilon1 if mean < epsilon1 else mean
        for i in range(array.rows):
            for j in range(array.cols):
                value = state[b * array.rows + i] * col_var[b * array.cols + j] / mean
                out[b * batch + i * array.cols + j] = rho / sqrt(
                    floor if value < floor else value)
