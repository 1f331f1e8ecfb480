"""The iteration loop of every `minimize` run, whatever the source of its gradients.

One loop serves a Python objective, a C-level objective and minibatches: the source
(``sources.pxd``) is the only thing that differs. The loop itself is native and runs without
the GIL where it can: Python code (a Python objective, a schedule, the callback and the
displays chained to it) runs in ``with gil`` blocks, so a C-level objective runs the whole
loop without the GIL, and a Python objective holds it throughout for small n, where taking
and releasing it would cost more than the native work.

Iterates, gradients and states are double-buffered: a step writes the spare halves and is
committed by flipping which half is current, so a step whose iterate, state, value or gradient
is not finite is discarded without a copy, and the run ends at the last good iterate with the
state that produced it.

The front door has validated everything: arrays are C-contiguous, of one dtype, of matching
lengths, and not empty.
"""
import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from cython cimport floating
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.math cimport INFINITY, NAN, isfinite, isnan

from .averaging cimport AVERAGE_NONE, average_into, average_weight
from .chunks cimport MEASURE_PROJECTED, MEASURE_STEP, StepMeasures
from .history cimport History, record
from .kernel cimport Kernel, gradient_magnitude, measured_step, projected_gradient_norm
from .sources cimport EPOCH_ENDED, EVALUATED, NOT_FINITE, Source, Workspace
from .termination cimport (
    CALLBACK_STOP,
    CONTINUE,
    EXCEPTION,
    GTOL,
    NONFINITE,
    budget,
    termination,
)

cdef extern from "monotonic.h":
    double monotonic_seconds "rmsopt_monotonic_seconds"() noexcept nogil

cdef enum:
    # What made a run end with NONFINITE (Loop.failure), for its message.
    FAILED_NOTHING = 0
    FAILED_VALUE = 1          # fun's value at the iterate in failed_buffer
    FAILED_GRADIENT = 2       # the gradient there
    FAILED_STEP = 3           # the step into failed_buffer: the iterate or a state row
    FAILED_VALIDATION = 4     # the validation objective at an epoch's end

FAILURES = {FAILED_VALUE: "value", FAILED_GRADIENT: "gradient", FAILED_STEP: "step",
            FAILED_VALIDATION: "validation"}

cdef enum:
    # The smallest n for which a Python objective's loop lets other threads run during its
    # native work; below it, releasing and taking back the GIL (~0.1 us) costs more.
    RELEASE_GIL_FROM = 1024
    # A loop that never enters Python checks for Ctrl-C on the clock, every `interval`
    # iterations, the interval adapted so that checks come 25 to 50 ms of the loop's own work
    # apart, whatever an iteration costs. A check takes the GIL: about 0.1 us when it is free,
    # up to the switch interval (5 ms) when another thread runs Python.
    LONGEST_CHECK_INTERVAL = 1 << 30

# Seconds of the loop's work between checks for Ctrl-C that the interval aims at.
cdef double SIGNAL_CHECK_AT_LEAST = 0.025, SIGNAL_CHECK_AT_MOST = 0.05


cdef struct Plateau:
    # A reduce_on_plateau schedule observed in the loop, without the GIL: its parameters and
    # its state, as schedules.ReduceOnPlateau names them; the arithmetic is its observe().
    bint minimizing, relative
    double factor, threshold, min_lr, eps
    Py_ssize_t patience, cooldown
    double rate, best
    Py_ssize_t num_bad_epochs, cooldown_counter, last_epoch


cdef inline void observe(Plateau* p, double loss) noexcept nogil:
    # One observation of the loss after a committed step: schedules.ReduceOnPlateau.observe.
    cdef double bar, lowered
    cdef bint improves
    p.last_epoch += 1
    if p.minimizing:
        bar = p.best * (1.0 - p.threshold) if p.relative else p.best - p.threshold
        improves = loss < bar
    else:
        bar = p.best * (1.0 + p.threshold) if p.relative else p.best + p.threshold
        improves = loss > bar
    if improves:
        p.best = loss
        p.num_bad_epochs = 0
    else:
        p.num_bad_epochs += 1
    if p.cooldown_counter > 0:
        p.cooldown_counter -= 1
        p.num_bad_epochs = 0
    if p.num_bad_epochs > p.patience:
        lowered = p.rate * p.factor
        if p.min_lr > lowered:
            lowered = p.min_lr
        if p.rate - lowered > p.eps:
            p.rate = lowered
        p.cooldown_counter = p.cooldown
        p.num_bad_epochs = 0


cdef Py_ssize_t _count(value):
    # A validated count (any non-negative int) as a Py_ssize_t; larger counts are never reached.
    return min(value, PY_SSIZE_T_MAX)


cdef class Loop:
    """A run, fixed before its first step: the kernel, the source of gradients and its
    workspace, the history (or None), ``notify(x, value or None, grad, nit)`` (or None), the
    learning rate (a constant ``learning_rate``, or ``schedule(t)`` giving the checked rate of
    step ``t + 1``), the steps the starting state has taken, clipping thresholds (infinity:
    off), the box (a pair of float64 arrays, or None), ``maximize``, and the limits and
    tolerances (``maxfev`` ``sys.maxsize``: no limit). Then where the run got to."""
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
    cdef object average_array
    cdef void* average
    cdef int averaging
    cdef double averaging_decay
    cdef Py_ssize_t averaging_start
    cdef readonly Py_ssize_t n_averaged

    def __init__(self, Kernel kernel, Source source, Workspace workspace, *, History history,
                 notify, double learning_rate, schedule, plateau=None,
                 Py_ssize_t steps_taken,
                 double clipnorm,
                 double clipvalue, box, bint maximize, Py_ssize_t maxiter,
                 Py_ssize_t maxfev, double gtol, double ftol, double xtol,
                 average=None, int averaging=AVERAGE_NONE, double averaging_decay=0.0,
                 Py_ssize_t averaging_start=0, Py_ssize_t n_averaged=0):
        cdef const double[::1] lower, upper
        cdef double[::1] average_double
        cdef float[::1] average_float
        self.kernel = kernel
        self.source = source
        self.workspace = workspace
        self.history = history
        self.notify = notify
        self.constant_rate = schedule is None
        self.schedule = schedule
        self.rate = learning_rate if self.constant_rate else 0.0
        self.plateau_schedule = plateau
        if plateau is not None:
            # Observed after each commit from fun's values: the source must evaluate fun.
            self.plateau = Plateau(
                minimizing=plateau.mode == "min", relative=plateau.threshold_mode == "rel",
                factor=plateau.factor, threshold=plateau.threshold, min_lr=plateau.min_lr,
                eps=plateau.eps, patience=_count(plateau.patience),
                cooldown=_count(plateau.cooldown), rate=plateau.learning_rate,
                best=plateau.best, num_bad_epochs=_count(plateau.num_bad_epochs),
                cooldown_counter=_count(plateau.cooldown_counter),
                last_epoch=_count(plateau.last_epoch))
            self.rate = self.plateau.rate
        self.committed_rate = self.rate
        self.steps_taken = steps_taken
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.box = box
        self.lower = self.upper = NULL
        if box is not None:
            lower, upper = box
            self.lower, self.upper = &lower[0], &upper[0]
        self.maximize = maximize
        self.maxiter = maxiter
        self.maxfev = maxfev
        self.gtol = gtol
        self.ftol = ftol
        self.xtol = xtol
        self.nit = 0
        self.current = 0
        self.value = NAN
        self.value_known = False
        self.error = None
        self.failure = FAILED_NOTHING
        self.failed_buffer = 0
        self.failed_value = NAN
        self.averaging = averaging if average is not None else AVERAGE_NONE
        self.average_array = average
        self.average = NULL
        if average is not None and average.shape[0] > 0:
            if average.dtype == np.float64:
                average_double = average
                self.average = &average_double[0]
            else:
                average_float = average
                self.average = &average_float[0]
        self.averaging_decay = averaging_decay
        self.averaging_start = averaging_start
        self.n_averaged = n_averaged

    cdef int schedule_rate(self, Py_ssize_t step) noexcept nogil:
        # The learning rate of step `step` from the schedule: CONTINUE, or EXCEPTION.
        with gil:
            try:
                self.rate = self.schedule(step - 1)
            except BaseException as error:
                self.error = error
                return EXCEPTION
        return CONTINUE

    cdef int call_back(self, int grad_buffer) noexcept nogil:
        # The iteration's notification: CONTINUE, CALLBACK_STOP or EXCEPTION.
        with gil:
            try:
                self.notify(self.workspace.x_rows[self.current],
                            self.value if self.value_known else None,
                            self.workspace.grad_rows[grad_buffer], self.nit)
            except StopIteration:
                return CALLBACK_STOP
            except BaseException as error:
                self.error = error
                return EXCEPTION
        return CONTINUE

    cdef int check_signals(self) noexcept nogil:
        # Ctrl-C, for a loop that otherwise never enters Python: CONTINUE, or EXCEPTION.
        with gil:
            try:
                PyErr_CheckSignals()
            except BaseException as error:
                self.error = error
                return EXCEPTION
        return CONTINUE


cdef int evaluation_code(int evaluation) noexcept nogil:
    # The status a failed evaluation ends the run with.
    return NONFINITE if evaluation == NOT_FINITE else EXCEPTION


cdef inline int evaluate(Loop run,
                         int buffer,                # the iterate's buffer
                         double* gradient_norm,     # OUT: the projected gradient's max-norm
                         floating* dtype,           # selects the precision only
                         ) noexcept nogil:
    # The source's evaluation at the iterate in `buffer`, then one pass over the gradient:
    # its finiteness and, without a box (where the projected gradient is the gradient), its
    # max-norm. With a box the norm needs x and the box, which the next step reads: that
    # step's pass measures it, and `gradient_norm` is NaN until then. EVALUATED, EPOCH_ENDED,
    # or the status the run ends with. The gradient buffer's address is read after the
    # evaluation, which may have handed over the user's array.
    cdef int evaluation = run.source.evaluate(buffer)
    cdef double norm
    if evaluation == EVALUATED:
        norm = gradient_magnitude(run.kernel, run.workspace.n,
                                  <const floating*>run.workspace.grad[buffer])
        if not isfinite(norm):
            run.failure, run.failed_buffer = FAILED_GRADIENT, buffer
            return NONFINITE
        gradient_norm[0] = norm if run.lower == NULL else NAN
        return EVALUATED
    if evaluation == EPOCH_ENDED:
        return EPOCH_ENDED
    if evaluation == NOT_FINITE:
        run.failure, run.failed_buffer = FAILED_VALUE, buffer
        run.failed_value = run.source.value
    return evaluation_code(evaluation)


cdef inline double box_gradient_norm(Loop run, int buffer, const floating* x) noexcept nogil:
    # The projected gradient's max-norm at the iterate in `buffer`, in a pass of its own: for
    # a run that ends before the step that would have measured it.
    return projected_gradient_norm(run.kernel, run.workspace.n, x,
                                   <const floating*>run.workspace.grad[buffer], run.lower,
                                   run.upper, run.maximize)


cdef int iterate(Loop run, floating* dtype) noexcept nogil:
    # The loop; `dtype` only selects the precision. Returns the status code.
    # Without the GIL the source and the workspace are reached through `run` (a local object
    # reference would need the GIL to count).
    cdef:
        Py_ssize_t n = run.workspace.n, step
        floating* x[2]
        floating* state[2]
        int i, following, evaluation, code = CONTINUE
        int stepped_with = 0                # the gradient buffer of the last committed step
        # NaN while a box's projected gradient norm waits for the step that measures it.
        double gradient_norm = INFINITY, step_norm = INFINITY, previous_value = NAN
        double next_gradient_norm = INFINITY
        StepMeasures measures
        bint full_data = run.source.full_data, has_history = run.history is not None
        bint notifies = run.notify is not None
        bint observes = run.plateau_schedule is not None
        bint averages = run.averaging != AVERAGE_NONE and run.average != NULL
        bint checks_signals = not run.source.needs_gil
        # The step's max-norm serves the xtol test only.
        int measures_wanted = MEASURE_STEP if run.xtol > 0 else 0
        Py_ssize_t check_interval = 1, since_check = 0
        double last_check = monotonic_seconds() if checks_signals else 0.0, now
    for i in range(2):
        x[i] = <floating*>run.workspace.x[i]
        state[i] = <floating*>run.workspace.state[i]

    if full_data:
        evaluation = evaluate(run, 0, &gradient_norm, dtype)
        if evaluation != EVALUATED:
            return evaluation
        run.value, run.value_known = run.source.value, run.source.value_known
        if has_history:
            record(run.history, run.kernel, 0, run.value, n, <floating*>run.workspace.grad[0],
                   x[0], x[0], state[0], 0, run.rate, False)

    while True:
        # The tests at the committed iterate: whether to stop before another step.
        if full_data:
            code = termination(gradient_norm, run.gtol, run.nit, run.value, previous_value,
                               run.ftol, step_norm, run.xtol, run.rate, run.maxiter,
                               run.source.nfev, run.maxfev)
            if code != CONTINUE and isnan(gradient_norm):
                # gtol comes first: whether it holds decides the status.
                gradient_norm = box_gradient_norm(run, run.current, x[run.current])
                code = termination(gradient_norm, run.gtol, run.nit, run.value,
                                   previous_value, run.ftol, step_norm, run.xtol, run.rate,
                                   run.maxiter, run.source.nfev, run.maxfev)
        elif run.source.epoch_complete():
            code = run.source.end_epoch(run.current, run.nit)
            if code == NONFINITE:
                run.failure = FAILED_VALIDATION
            if code == CONTINUE:
                continue
        else:
            code = budget(run.nit, run.maxiter, run.source.nfev, run.maxfev)
        if code != CONTINUE:
            break

        # Minibatches take the gradient of the next batch at the committed iterate.
        if not full_data:
            evaluation = evaluate(run, run.current, &gradient_norm, dtype)
            if evaluation == EPOCH_ENDED:
                code = run.source.end_epoch(run.current, run.nit)
                if code == NONFINITE:
                    run.failure = FAILED_VALIDATION
                if code == CONTINUE:
                    continue
                break
            if evaluation != EVALUATED:
                code = evaluation
                break
            run.value, run.value_known = run.source.value, run.source.value_known

        step = run.steps_taken + run.nit + 1
        if not run.constant_rate:
            code = run.schedule_rate(step)
            if code != CONTINUE:
                if (full_data and isnan(gradient_norm)
                        and box_gradient_norm(run, run.current, x[run.current]) <= run.gtol):
                    code = GTOL
                break
        elif observes:
            run.rate = run.plateau.rate
        following = 1 - run.current
        measures = measured_step(run.kernel, n, x[run.current],
                                 <floating*>run.workspace.grad[run.current],
                                 state[run.current], x[following], state[following],
                                 run.clipnorm, run.clipvalue, step, run.rate, run.lower,
                                 run.upper, run.maximize,
                                 measures_wanted | (MEASURE_PROJECTED if isnan(gradient_norm)
                                                    else 0), NULL)
        if full_data and isnan(gradient_norm):
            gradient_norm = measures.projected_norm
            # The other tests passed at the top: only gtol can stop the run here, and the step
            # taken to measure the norm is then not committed.
            if gradient_norm <= run.gtol:
                code = GTOL
                break
        if not measures.finite:
            run.failure, run.failed_buffer = FAILED_STEP, following
            code = NONFINITE
            break

        # A whole objective is evaluated at the new iterate before the step is committed.
        if full_data:
            evaluation = evaluate(run, following, &next_gradient_norm, dtype)
            if evaluation != EVALUATED:
                code = evaluation
                break
            gradient_norm = next_gradient_norm
            step_norm = measures.step_norm
            previous_value = run.value
            run.value, run.value_known = run.source.value, run.source.value_known

        # Commit.
        stepped_with = following if full_data else run.current
        run.current = following
        run.committed_rate = run.rate
        run.nit += 1
        if observes:
            # What fun's value at the new iterate leaves the rate of the next step at.
            observe(&run.plateau, run.value)
        if averages and step > run.averaging_start:
            average_into(n, <floating*>run.average, x[run.current],
                         average_weight(run.averaging, run.averaging_decay, run.n_averaged))
            run.n_averaged += 1
        if has_history:
            record(run.history, run.kernel, run.nit, run.value, n,
                   <floating*>run.workspace.grad[stepped_with],
                   x[1 - run.current], x[run.current], state[run.current], step, run.rate, False)
        if notifies:
            code = run.call_back(stepped_with)
            if code != CONTINUE:
                break
        if checks_signals:
            since_check += 1
            if since_check >= check_interval:
                since_check = 0
                now = monotonic_seconds()
                if now - last_check < SIGNAL_CHECK_AT_LEAST:
                    check_interval = min(2 * check_interval, LONGEST_CHECK_INTERVAL)
                elif now - last_check > SIGNAL_CHECK_AT_MOST and check_interval > 1:
                    check_interval //= 2
                code = run.check_signals()
                if code != CONTINUE:
                    break
                last_check = monotonic_seconds()  # the wait for the GIL is not the loop's

    if has_history and run.nit > 0:
        record(run.history, run.kernel, run.nit, run.value, n,
               <floating*>run.workspace.grad[stepped_with],
               x[1 - run.current], x[run.current], state[run.current],
               run.steps_taken + run.nit, run.committed_rate, True)
    return code


def failure(Loop loop):
    """Why ``loop`` ended with a non-finite status: None, or ``(kind, x, grad, state, value)``
    with ``kind`` one of "value", "gradient", "step", "validation" and the arrays of the
    failed evaluation or step (the buffers the run did not commit; None where they do not
    apply) and fun's value there (for "value")."""
    workspace = loop.workspace
    if loop.failure == FAILED_NOTHING:
        return None
    buffer = loop.failed_buffer
    kind = FAILURES[loop.failure]
    grad = workspace.grad_rows[buffer] if loop.failure == FAILED_GRADIENT else None
    state = workspace.state_blocks[buffer] if loop.failure == FAILED_STEP else None
    return kind, workspace.x_rows[buffer], grad, state, loop.failed_value


# The code `run` returns when the user's code raised (`raised` gives what).
RAISED = EXCEPTION


def raised(Loop loop):
    """What the user's code (fun, jac, a schedule, the callback) or Ctrl-C raised in a run
    that returned RAISED, else None."""
    return loop.source.error if loop.source.error is not None else loop.error


def run(Loop loop):
    """Run ``loop`` to its end; return ``(status code, nit, value, x, grad, state, x_nit)``:
    the iterate the source reports (``x_nit`` the iteration it was reached at) with its state,
    the gradient and value (None when not evaluated) at the last committed iterate. When the
    user's code raised, the code is RAISED and `raised` gives the exception: the caller
    reports what the run had done and raises it."""
    cdef int code
    cdef Source source = loop.source
    cdef Plateau* p
    if source.needs_gil and loop.workspace.n < RELEASE_GIL_FROM:
        code = _iterate(loop)
    else:
        with nogil:
            code = _iterate(loop)
    if loop.plateau_schedule is not None:
        # The schedule the run was given ends as the loop left it: what it observed is kept.
        p = &loop.plateau
        loop.plateau_schedule.load_state_dict({
            "learning_rate": p.rate, "best": p.best, "num_bad_epochs": p.num_bad_epochs,
            "cooldown_counter": p.cooldown_counter, "last_epoch": p.last_epoch})
    x, state, x_nit = source.reported(loop.current, loop.nit)
    gradient = loop.workspace.grad_rows[loop.current]
    if gradient is None:  # the first evaluation failed before a gradient was taken
        gradient = np.full(loop.workspace.n, np.nan, dtype=loop.workspace.dtype)
    return (
        code,
        loop.nit,
        loop.value if loop.value_known else None,
        x,
        gradient,
        state,
        x_nit,
    )


cdef int _iterate(Loop loop) noexcept nogil:
    if loop.workspace.is_float:
        return iterate(loop, <float*>NULL)
    return iterate(loop, <double*>NULL)
