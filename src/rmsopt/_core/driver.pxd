# The iteration loop of a run (driver.pyx): what a run holds, and where it is. Declared here
# so that the batch driver (batch.pyx) advances many runs' loops natively.
from cython cimport floating

from .history cimport History
from .kernel cimport Kernel
from .sources cimport Source, Workspace

cdef enum:  # Loop.phase: where a full-data run is (advance)
    PHASE_START = 0            # before the evaluation at the start point
    PHASE_TOP = 1              # at a committed iterate: the tests, then a step
    PHASE_STEP_EVALUATION = 2  # a step taken: the evaluation at its iterate, then the commit
    PHASE_DONE = 3

cdef enum:
    # advance's answer when the source has deferred the evaluation (a batch's row): the run
    # waits where it is until its evaluation has been given. Not a status.
    NEEDS_EVALUATION = -3


cdef struct Plateau:
    # A reduce_on_plateau schedule observed in the loop, without the GIL: its parameters and
    # its state, as schedules.ReduceOnPlateau names them; the arithmetic is its observe().
    bint minimizing, relative
    double factor, threshold, min_lr, eps
    Py_ssize_t patience, cooldown
    double rate, best
    Py_ssize_t num_bad_epochs, cooldown_counter, last_epoch


cdef class Loop:
    cdef Kernel kernel
    cdef Source source
    cdef Workspace workspace
    cdef History history                  # None: no history
    cdef object notify                    # notify(x, value or None, grad, nit), or None
    cdef object schedule                  # rate of step t = schedule(t - 1), or None
    cdef object plateau_schedule          # a reduce_on_plateau observed natively, or None
    cdef Plateau plateau
    cdef bint constant_rate
    cdef double rate                      # the rate of the step being taken
    cdef double committed_rate            # the rate of the last committed step
    cdef Py_ssize_t steps_taken           # by the state before the run
    cdef double clipnorm, clipvalue       # infinity: no clipping
    cdef const double* lower              # the box, or NULL
    cdef const double* upper
    cdef object box                       # keeps the box's arrays alive
    cdef bint maximize
    cdef Py_ssize_t maxiter, maxfev       # maxfev PY_SSIZE_T_MAX: no limit
    cdef double gtol, ftol, xtol
    cdef Py_ssize_t nit
    cdef int current                      # the buffer of the committed iterate
    cdef double value                     # fun at it (NaN when not evaluated)
    cdef bint value_known
    cdef object error                     # what a schedule or the callback raised
    cdef int failure                      # FAILED_*: why the run ended with NONFINITE
    cdef int failed_buffer                # the buffer of the failed evaluation or step
    cdef double failed_value              # fun's value there (FAILED_VALUE)
    # Iterate averaging (averaging.pxd): the average's buffer, the option's code, the EMA's
    # decay, the step after which iterates enter it, and how many have.
    cdef readonly object average_array
    cdef void* average
    cdef int averaging
    cdef double averaging_decay
    cdef Py_ssize_t averaging_start
    cdef readonly Py_ssize_t n_averaged

    # Where a full-data run is (PHASE_*), and what advance carries from one phase to the next.
    cdef readonly int phase
    cdef readonly int code                # the status, once PHASE_DONE
    cdef double gradient_norm             # at the committed iterate (NaN: a box's, not yet)
    cdef double next_gradient_norm
    cdef double step_norm                 # of the last committed step
    cdef double pending_step_norm         # of the step waiting for its evaluation
    cdef double previous_value
    cdef int following                    # the buffer the step writes
    cdef int stepped_with                 # the gradient buffer of the last committed step
    cdef Py_ssize_t step                  # the step being taken (1-based, with steps_taken)
    cdef int measures_wanted              # MEASURE_STEP for xtol
    # Whether the loop checks for Ctrl-C itself (one that never enters Python; a batch's runs
    # leave it to the batch), every check_interval commits.
    cdef bint checks_signals
    cdef Py_ssize_t check_interval
    cdef Py_ssize_t since_check
    cdef double last_check

    cdef void start(self, average, int averaging, Py_ssize_t n_averaged) except *
    cdef int schedule_rate(self, Py_ssize_t step) noexcept nogil
    cdef int call_back(self, int grad_buffer) noexcept nogil
    cdef int check_signals(self) noexcept nogil


cdef int advance(Loop run, floating* dtype) noexcept nogil
cdef int advance_at(void* run, bint is_float) noexcept nogil
