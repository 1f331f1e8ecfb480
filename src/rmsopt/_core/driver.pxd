# The iteration loop of a run (driver.pyx): what a run holds, and where it is. Declared here
# so that the batch driver (batch.pyx) advances many runs' loops natively.
from cython cimport floating

from .chunks cimport StepMeasures
from .history cimport History
from .kernel cimport Kernel
from .sources cimport Source, Workspace

cdef enum:  # Loop.phase: where a full-data run is (advance)
    PHASE_START = 0            # before the evaluation at the start point
    PHASE_TOP = 1              # at a committed iterate: the tests, then a step
    PHASE_STEP_EVALUATION = 2  # a step taken: the evaluation at its iterate, then the commit
    PHASE_DONE = 3
    PHASE_STEP_TAKEN = 4       # a deferred step taken by the batch: its measures, then as 2

cdef enum:
    # advance's answer when the source has deferred the evaluation (a batch's row): the run
    # waits where it is until its evaluation has been given. Not a status.
    NEEDS_EVALUATION = -3
    # advance's answer when the run defers its steps (Loop.defers_steps): the run waits, its
    # rate taken, until its batch has stepped it and left the step's measures in `deferred`.
    NEEDS_STEP = -4


cdef struct Plateau:
    # A reduce_on_plateau schedule observed in the loop, without the GIL: its parameters and
    # its state, as schedules.ReduceOnPlateau names them; the arithmetic is its observe().
    bint minimizing, relative
    double factor, threshold, min_lr, eps
    Py_ssize_t patience, cooldown
    double rate, best
    Py_ssize_t num_bad_epochs, cooldown_counter, last_epoch


cdef struct RunSettings:
    # What a run is given and keeps to its end. A batch's runs share one (their loops point
    # at their template's), so that each problem's loop holds little more than where it is.
    bint constant_rate                    # no schedule: the rate changes only on a plateau
    bint maximize
    bint has_history                      # the loop's history, notify and plateau_schedule
    bint has_notify                       # are not None
    bint has_plateau
    int measures_wanted                   # MEASURE_STEP for xtol
    Py_ssize_t steps_taken                # by the state before the run
    Py_ssize_t maxiter, maxfev            # maxfev PY_SSIZE_T_MAX: no limit
    double gtol, ftol, xtol
    double clipnorm, clipvalue            # infinity: no clipping
    const double* lower                   # the box, or NULL
    const double* upper
    # Iterate averaging (averaging.pxd): the EMA's decay, the step after which iterates enter.
    double averaging_decay
    Py_ssize_t averaging_start


cdef class Settings:
    # A run's settings, shared by the loops of a batch (each holds this object).
    cdef RunSettings fields


cdef class Loop:
    # What an iteration reads first (a batch fetches these lines of each problem's loop ahead
    # of it, up to `deferred`), the rest after. (A loop fits in 512 bytes, so that Python's small
    # object allocator keeps a batch's m loops together, apart from the heap the objective's
    # arrays come and go in.)
    # Where a full-data run is (PHASE_*), and what advance carries from one phase to the next.
    cdef readonly int phase
    cdef readonly int code                # the status, once PHASE_DONE
    cdef int current                      # the buffer of the committed iterate
    cdef int following                    # the buffer the step writes
    cdef int stepped_with                 # the gradient buffer of the last committed step
    cdef bint value_known
    # A batch's run whose step its batch takes together with the other problems' (one kernel
    # call over their consecutive buffers): from `current` into `following`, with `rate` and
    # `step`; the batch then points `deferred` at the step's measures, as measured_step
    # gives them.
    cdef bint defers_steps
    # Whether the loop checks for Ctrl-C itself (one that never enters Python; a batch's runs
    # leave it to the batch), every check_interval commits.
    cdef bint checks_signals
    cdef int averaging                    # the averaging option's code (AVERAGE_NONE: off)
    cdef const RunSettings* settings      # holder's
    cdef Kernel kernel
    cdef Source source
    cdef Workspace workspace
    cdef Py_ssize_t nit
    cdef Py_ssize_t step                  # the step being taken (1-based, with steps_taken)
    cdef double rate                      # the rate of the step being taken
    cdef double committed_rate            # the rate of the last committed step
    cdef double value                     # fun at it (NaN when not evaluated)
    cdef double previous_value
    cdef double gradient_norm             # at the committed iterate (NaN: a box's, not yet)
    cdef double next_gradient_norm
    cdef double step_norm                 # of the last committed step
    cdef double pending_step_norm         # of the step waiting for its evaluation
    cdef void* average                    # the average's buffer, or NULL
    cdef readonly Py_ssize_t n_averaged   # iterates in it
    cdef const StepMeasures* deferred

    cdef Settings holder                  # shared by a batch's loops
    cdef History history                  # None: no history
    cdef object notify                    # notify(x, value or None, grad, nit), or None
    cdef object schedule                  # rate of step t = schedule(t - 1), or None
    cdef object plateau_schedule          # a reduce_on_plateau observed natively, or None
    cdef Plateau plateau
    cdef readonly object average_array
    cdef object box                       # keeps the box's arrays alive
    cdef object error                     # what a schedule or the callback raised
    cdef int failure                      # FAILED_*: why the run ended with NONFINITE
    cdef int failed_buffer                # the buffer of the failed evaluation or step
    cdef double failed_value              # fun's value there (FAILED_VALUE)
    cdef Py_ssize_t check_interval
    cdef Py_ssize_t since_check
    cdef double last_check

    cdef void start(self, average, int averaging, Py_ssize_t n_averaged) except *
    cdef int schedule_rate(self, Py_ssize_t step) noexcept nogil
    cdef int call_back(self, int grad_buffer) noexcept nogil
    cdef int check_signals(self) noexcept nogil


cdef int advance(Loop run, floating* dtype) noexcept nogil
cdef int advance_at(void* run, bint is_float) noexcept nogil
