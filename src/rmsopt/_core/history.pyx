"""The history table a run records; see ``history.pxd`` for what is in it."""
import numpy as np

cdef class History:
    """A table of at most ``capacity`` rows for a run over ``n`` variables,
    one every ``interval`` iterations; ``v_row`` is the state row holding the
    second moment (-1 for none), ``record_step_size`` whether to compute the
    effective step size, ``record_norms`` whether the gradient's and the step's norms. What
    is not recorded costs nothing (its columns are NaN)."""

    def __init__(self, Py_ssize_t capacity, Py_ssize_t interval, Py_ssize_t n,
                 Py_ssize_t v_row, bint record_step_size, bint record_norms=True):
        cdef double[:, ::1] table
        cdef Py_ssize_t[::1] nits
        cdef double[::1] scratch
        self.capacity = capacity
        self.interval = interval
        self.count = 0
        self.v_row = v_row
        self.record_step_size = record_step_size
        self.record_norms = record_norms
        self.table_array = np.empty((capacity, COLUMNS))
        self.nits_array = np.empty(capacity, dtype=np.intp)
        self.scratch_array = np.empty(n)
        table, nits, scratch = self.table_array, self.nits_array, self.scratch_array
        # An empty view has no element 0; record() never touches a buffer of length 0.
        self.table_data = &table[0, 0] if capacity > 0 else NULL
        self.nits_data = &nits[0] if capacity > 0 else NULL
        self.scratch_data = &scratch[0] if n > 0 else NULL

    cdef void thin(self) noexcept nogil:
        # Keep the rows on the doubled interval's grid; the run then records half as often.
        cdef Py_ssize_t row, kept = 0, column
        cdef double* table = self.table_data
        self.interval *= 2
        for row in range(self.count):
            if self.nits_data[row] % self.interval == 0:
                self.nits_data[kept] = self.nits_data[row]
                for column in range(COLUMNS):
                    table[kept * COLUMNS + column] = table[row * COLUMNS + column]
                kept += 1
        self.count = kept

    def rows(self):
        """``(nits, table)``: copies of the recorded rows, the table's columns in
        the order of ``history.pxd``'s enum."""
        return self.nits_array[: self.count].copy(), self.table_array[: self.count].copy()
