# What a whole-array step (Adafactor, Muon) knows besides the element-wise steps' arguments:
# the shape it reads x as, and scratch memory. Such a step needs every element at once (norms
# of x and of the update, a matrix's row and column moments, matrix products), so it is never
# split into blocks or across threads.
#
# x of n elements is `batches` matrices of rows x cols, C order (torch's leading dimensions
# and last two), batches * rows * cols == n; rows == cols == 0 reads it as a vector. The
# caller sizes `scratch` (<name>_scratch_size elements of the step's dtype) before the step.


ctypedef struct WholeArray:
    Py_ssize_t batches
    Py_ssize_t rows
    Py_ssize_t cols
    void* scratch


cdef inline Py_ssize_t scratch_end(Py_ssize_t step_bytes) noexcept nogil:
    # Where the step's own scratch (step_bytes, from the scratch's start) ends, rounded up to
    # 64 bytes: a caller may keep more after it (rmsopt keeps a clipped gradient there).
    return (step_bytes + 63) & ~(<Py_ssize_t>63)
