"""The history table a run records; see ``_history.pxd`` for what is in it."""
import numpy as np

NAMES = (
    "fun",
    "grad_norm",
    "step_norm",
    "learning_rate",
    "step_size_min",
    "step_size_median",
    "step_size_max",
    "v_min",
    "v_median",
    "v_max",
)


cdef class History:
    """A table of at most ``capacity`` rows for a run over ``n`` variables,
    one every ``interval`` iterations; ``v_row`` is the state row holding the
    second moment (-1 for none), ``record_step_size`` whether to compute the
    effective step size."""

    def __init__(self, Py_ssize_t capacity, Py_ssize_t interval, Py_ssize_t n,
                 Py_ssize_t v_row, bint record_step_size):
        self.capacity = capacity
        self.interval = interval
        self.count = 0
        self.v_row = v_row
        self.record_step_size = record_step_size
        self.table_array = np.empty((capacity, COLUMNS))
        self.nits_array = np.empty(capacity, dtype=np.intp)
        self.table = self.table_array
        self.nits = self.nits_array
        self.scratch = np.empty(n)

    cdef void thin(self) noexcept nogil:
        # Keep the rows on the doubled interval's grid; the run then records half as often.
        cdef Py_ssize_t row, kept = 0, column
        self.interval *= 2
        for row in range(self.count):
            if self.nits[row] % self.interval == 0:
                self.nits[kept] = self.nits[row]
                for column in range(COLUMNS):
                    self.table[kept, column] = self.table[row, column]
                kept += 1
        self.count = kept

    def columns(self):
        """``{"nit": ..., "fun": ..., ...}``: every column's recorded rows (copies)."""
        table = self.table_array[: self.count]
        columns = {"nit": self.nits_array[: self.count].copy()}
        for index, name in enumerate(NAMES):
            columns[name] = table[:, index].copy()
        return columns
