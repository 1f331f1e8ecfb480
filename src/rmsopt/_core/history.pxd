# The history a run records (options history, history_interval, history_size): per recorded
# iteration the loss, the gradient's and the step's 2-norms, the learning rate, and the min,
# median and max of the effective step size and of the second-moment row v. The table is
# allocated once; when it is full, every other row is dropped and the interval doubles, so a run
# of any length keeps at most `capacity` rows spread over all of it.
from cython cimport floating
from libc.math cimport NAN

from .kernel cimport Kernel, kernel_step_size
from .vector cimport min_median_max, two_norm

cdef enum:  # columns of the table
    FUN = 0
    GRAD_NORM = 1
    STEP_NORM = 2
    LEARNING_RATE = 3
    STEP_SIZE = 4     # min, median, max
    V = 7             # min, median, max
    COLUMNS = 10


cdef class History:
    cdef readonly Py_ssize_t interval, count, capacity
    cdef Py_ssize_t v_row                  # the state row of v, or -1 (SGD has none)
    cdef bint record_step_size
    cdef bint record_norms                 # the gradient's and the step's 2-norms
    # The arrays own the memory; record() writes through the pointers, which stay valid while
    # the arrays live (they are never resized).
    cdef object table_array, nits_array, scratch_array
    cdef double* table_data                # (capacity, COLUMNS), C-contiguous
    cdef Py_ssize_t* nits_data             # capacity
    cdef double* scratch_data              # n doubles
    cdef void thin(self) noexcept nogil


cdef inline double value_or_nan(object value):
    # What the driver knows of fun at an iterate: a float, or None when it was not evaluated.
    return NAN if value is None else <double>value


cdef inline void record(History history,
                        Kernel kernel,
                        Py_ssize_t nit,
                        double value,                         # NaN when not evaluated
                        Py_ssize_t n,                         # the iterate's length
                        const floating* grad,                 # IN
                        const floating* x_before,             # IN
                        const floating* x_after,              # IN
                        const floating* state,                # IN: after the step, (k, n)
                        Py_ssize_t step,                      # 0: no step taken yet
                        double learning_rate,
                        bint final,                           # the run's last iterate
                        ) noexcept nogil:
    # A row is due every `interval` iterations; the final iterate always gets one, so that the
    # table ends where the run did.
    cdef Py_ssize_t i, row
    cdef double* scratch = history.scratch_data
    cdef double* table_row
    if final:
        if history.count > 0 and history.nits_data[history.count - 1] == nit:
            return
    elif nit % history.interval != 0:
        return
    if history.count == history.capacity:
        history.thin()
        if not final and nit % history.interval != 0:
            return
    row = history.count
    table_row = history.table_data + row * COLUMNS
    history.nits_data[row] = nit
    table_row[FUN] = value
    for i in range(GRAD_NORM, COLUMNS):
        table_row[i] = NAN
    if history.record_norms:
        table_row[GRAD_NORM] = two_norm(n, grad)
    if step > 0:
        if history.record_norms:
            for i in range(n):
                scratch[i] = <double>x_after[i] - <double>x_before[i]
            table_row[STEP_NORM] = two_norm(n, scratch)
        table_row[LEARNING_RATE] = learning_rate
        if history.record_step_size:
            kernel_step_size(kernel, n, state, step, learning_rate, scratch)
            min_median_max(n, scratch, table_row + STEP_SIZE)
    if history.v_row >= 0:
        for i in range(n):
            scratch[i] = state[history.v_row * n + i]
        min_median_max(n, scratch, table_row + V)
    history.count = row + 1
