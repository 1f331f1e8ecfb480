# Where a run's gradients come from (a Python objective, a C-level objective, or minibatches of
# a Python objective), and the buffers the loop steps through. driver.pyx runs one loop for all
# of them: a source is the only thing that differs between runs.
cdef enum:  # what Source.evaluate reports
    # EVALUATED: the gradient is written, and the value when asked for or free, finite (the
    # loop checks the gradient, in one pass with its norm).
    EVALUATED = 0
    NOT_FINITE = 1     # the value is NaN or infinite
    RAISED = 2         # the user's code raised; the source keeps the exception in `error`
    EPOCH_ENDED = 3    # minibatches: the pass over the data has no batch left
    DEFERRED = 4       # a batch's row: its evaluation is given later, for all rows at once


cdef class Workspace:
    # The loop's buffers: two iterates, their gradients and two state blocks, so that a step
    # writes the spare half and is committed by flipping which half is current. Each is its
    # own array (the run's result keeps the current ones, and the others are freed with the
    # workspace); the pointers are taken once.
    # The pointers first: the loop reads them every iteration.
    cdef readonly Py_ssize_t n, rows
    cdef readonly bint is_float
    cdef void* x[2]
    cdef void* grad[2]
    cdef void* state[2]
    cdef readonly tuple x_rows          # the two iterate buffers, (n,)
    # Their gradients, (n,): the user's own arrays when nothing else holds them, else
    # own_grads's.
    cdef readonly list grad_rows
    cdef list own_grads                 # the workspace's gradient buffers, made when needed
    cdef void* own_addresses[2]
    cdef readonly tuple state_blocks    # the two state blocks, (rows, n)
    cdef readonly object dtype

    cdef void own_gradient(self, int buffer)
    cdef void take_gradient(self, int buffer, object grad, bint private)


cdef class Source:
    # full_data: evaluations are of the whole objective, so the convergence tests apply and a
    # step is committed only when the evaluation at its iterate is finite.
    cdef readonly bint full_data
    cdef readonly bint needs_gil     # evaluate runs Python code
    cdef Py_ssize_t nfev             # calls of fun so far, for maxfev
    cdef double value                # the last evaluation's value, when value_known
    cdef bint value_known
    cdef readonly object error       # what the user's code raised (RAISED)
    cdef Workspace workspace

    # Evaluate at the iterate in buffer `buffer`, writing its gradient buffer; minibatches
    # evaluate the next batch, or report EPOCH_ENDED when the pass has none.
    cdef int evaluate(self, int buffer) noexcept nogil
    # Minibatches: whether the pass has given every batch it has (when its length is known).
    cdef bint epoch_complete(self) noexcept nogil
    # Minibatches: the end of a pass with the iterate in buffer `current`, `nit` iterations
    # taken: CONTINUE (a new pass starts) or the status the run ends with.
    cdef int end_epoch(self, int current, Py_ssize_t nit) noexcept nogil
