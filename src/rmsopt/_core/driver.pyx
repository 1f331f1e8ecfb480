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
from .sources cimport DEFERRED, EPOCH_ENDED, EVALUATED, NOT_FINITE, Source, Workspace
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


cdef class Settings:
    pass


cdef class Loop:
    """A run, fixed before its first step: the kernel, the source of gradients and its
    workspace, the history (or None), ``notify(x, value or None, grad, nit)`` (or None), the
    learning rate (a constant ``learning_rate``, or ``schedule(t)`` giving the checked rate of
    step ``t + 1``), the steps the starting state has taken, clipping thresholds (infinity:
    off), the box (a pair of float64 arrays, or None), ``maximize``, and the limits and
    tolerances (``maxfev`` ``sys.maxsize``: no limit). Then where the run got to."""
    def __init__(self, Kernel kernel, Source source, Workspace workspace, *, History history,
                 notify, double learning_rate, schedule, plateau=None,
                 Py_ssize_t steps_taken,
                 double clipnorm,
                 double clipvalue, box, bint maximize, Py_ssize_t maxiter,
                 Py_ssize_t maxfev, double gtol, double ftol, double xtol,
                 average=None, int averaging=AVERAGE_NONE, double averaging_decay=0.0,
                 Py_ssize_t averaging_start=0, Py_ssize_t n_averaged=0):
        cdef const double[::1] lower, upper
        cdef RunSettings* own
        self.holder = Settings.__new__(Settings)
        own = &self.holder.fields
        self.settings = own
        self.kernel, self.source, self.workspace = kernel, source, workspace
        self.history, self.notify = history, notify
        own.has_history, own.has_notify = history is not None, notify is not None
        own.constant_rate = schedule is None
        self.schedule = schedule
        self.rate = learning_rate if own.constant_rate else 0.0
        self.plateau_schedule = plateau
        own.has_plateau = plateau is not None
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
        own.steps_taken = steps_taken
        own.clipnorm, own.clipvalue = clipnorm, clipvalue
        self.box = box
        own.lower = own.upper = NULL
        if box is not None:
            lower, upper = box
            own.lower, own.upper = &lower[0], &upper[0]
        own.maximize = maximize
        own.maxiter, own.maxfev = maxiter, maxfev
        own.gtol, own.ftol, own.xtol = gtol, ftol, xtol
        own.averaging_decay, own.averaging_start = averaging_decay, averaging_start
        # The step's max-norm serves the xtol test only.
        own.measures_wanted = MEASURE_STEP if xtol > 0 else 0
        self.start(average, averaging, n_averaged)

    cdef void start(self, average, int averaging, Py_ssize_t n_averaged) except *:
        # Where a run is before its first iteration, and its average: `average` (an array of
        # the run's dtype, or None) with `n_averaged` iterates in it.
        cdef double[::1] average_double
        cdef float[::1] average_float
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
        self.n_averaged = n_averaged
        self.phase = PHASE_START
        self.code = CONTINUE
        self.gradient_norm = self.next_gradient_norm = INFINITY
        self.step_norm = self.pending_step_norm = INFINITY
        self.previous_value = NAN
        self.following = self.stepped_with = 0
        self.step = 0
        self.defers_steps = False
        self.deferred = NULL
        self.checks_signals = not self.source.needs_gil
        self.check_interval, self.since_check, self.last_check = 1, 0, 0.0

    def clone(self, Workspace workspace, Source source, average=None):
        """A fresh loop with this one's settings (made, not run) on ``workspace``, evaluated
        by ``source`` (bound to it), averaging into ``average`` when this one averages: the
        batch's m runs, made without m calls of the constructor."""
        cdef Loop other = Loop.__new__(Loop)
        other.holder, other.settings = self.holder, self.settings
        other.kernel = self.kernel
        other.source = source
        other.workspace = workspace
        other.history = None
        other.notify = None
        other.schedule = self.schedule
        other.plateau_schedule = self.plateau_schedule
        other.plateau = self.plateau
        other.rate = self.rate
        other.committed_rate = self.committed_rate
        other.box = self.box
        other.start(average, self.averaging, 0)
        return other

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
    if evaluation == DEFERRED:
        return DEFERRED
    if evaluation == EVALUATED:
        norm = gradient_magnitude(run.kernel, run.workspace.n,
                                  <const floating*>run.workspace.grad[buffer])
        if not isfinite(norm):
            run.failure, run.failed_buffer = FAILED_GRADIENT, buffer
            return NONFINITE
        gradient_norm[0] = norm if run.settings.lower == NULL else NAN
        return EVALUATED
    if evaluation == EPOCH_ENDED:
        return EPOCH_ENDED
    if evaluation == NOT_FINITE:
        run.failure, run.failed_buffer = FAILED_VALUE, buffer
        run.failed_value = run.source.value
    return evaluation_code(evaluation)


cdef inline int test(Loop run) noexcept nogil:
    # The convergence tests and limits at the committed iterate: CONTINUE, or the status.
    cdef const RunSettings* settings = run.settings
    return termination(run.gradient_norm, settings.gtol, run.nit, run.value,
                       run.previous_value, settings.ftol, run.step_norm, settings.xtol,
                       run.rate, settings.maxiter, run.source.nfev, settings.maxfev)


cdef inline double box_gradient_norm(Loop run, int buffer, const floating* x) noexcept nogil:
    # The projected gradient's max-norm at the iterate in `buffer`, in a pass of its own: for
    # a run that ends before the step that would have measured it.
    return projected_gradient_norm(run.kernel, run.workspace.n, x,
                                   <const floating*>run.workspace.grad[buffer],
                                   run.settings.lower, run.settings.upper,
                                   run.settings.maximize)


cdef int iterate(Loop run, floating* dtype) noexcept nogil:
    # The loop; `dtype` only selects the precision. Returns the status code.
    if run.source.full_data:
        return advance(run, dtype)
    return iterate_minibatches(run, dtype)


cdef int advance(Loop run, floating* dtype) noexcept nogil:
    # A full-data run from where it is (run.phase) to its end: the status code; or, when its
    # source defers an evaluation (a batch's row), NEEDS_EVALUATION, the run waiting in its
    # phase until the evaluation can be taken. Each iteration: the tests at the committed
    # iterate, the step, the evaluation at the new iterate, the commit.
    # Without the GIL the source and the workspace are reached through `run` (a local object
    # reference would need the GIL to count).
    cdef:
        int evaluation, code
        StepMeasures measures
    while True:
        if run.phase == PHASE_TOP:
            code = test(run)
            if code != CONTINUE and isnan(run.gradient_norm):
                # gtol comes first: whether it holds decides the status.
                run.gradient_norm = box_gradient_norm(run, run.current, iterate_at(run, dtype))
                code = test(run)
            if code != CONTINUE:
                return finish(run, code, dtype)
            code = take_rate(run)
            if code != CONTINUE:
                if (isnan(run.gradient_norm) and box_gradient_norm(
                        run, run.current, iterate_at(run, dtype)) <= run.settings.gtol):
                    code = GTOL
                return finish(run, code, dtype)
            run.following = 1 - run.current
            if run.defers_steps:
                run.phase = PHASE_STEP_TAKEN
                return NEEDS_STEP
            measures = step(run, run.settings.measures_wanted
                            | (MEASURE_PROJECTED if isnan(run.gradient_norm) else 0), dtype)
            code = stepped(run, &measures)
            if code != CONTINUE:
                return finish(run, code, dtype)
        elif run.phase == PHASE_STEP_TAKEN:
            code = stepped(run, run.deferred)
            if code != CONTINUE:
                return finish(run, code, dtype)
        elif run.phase == PHASE_STEP_EVALUATION:
            # A whole objective is evaluated at the new iterate before the step is committed.
            evaluation = evaluate(run, run.following, &run.next_gradient_norm, dtype)
            if evaluation == DEFERRED:
                return NEEDS_EVALUATION
            if evaluation != EVALUATED:
                return finish(run, evaluation, dtype)
            run.gradient_norm = run.next_gradient_norm
            run.step_norm = run.pending_step_norm
            run.previous_value = run.value
            run.value, run.value_known = run.source.value, run.source.value_known
            run.phase = PHASE_TOP
            code = commit(run, run.following, dtype)
            if code != CONTINUE:
                return finish(run, code, dtype)
        elif run.phase == PHASE_START:
            if run.checks_signals:
                run.last_check = monotonic_seconds()
            evaluation = evaluate(run, 0, &run.gradient_norm, dtype)
            if evaluation == DEFERRED:
                return NEEDS_EVALUATION
            if evaluation != EVALUATED:
                return finish(run, evaluation, dtype)
            run.value, run.value_known = run.source.value, run.source.value_known
            if run.settings.has_history:
                record(run.history, run.kernel, 0, run.value, run.workspace.n,
                       <floating*>run.workspace.grad[0], iterate_at(run, dtype),
                       iterate_at(run, dtype), state_at(run, 0, dtype), 0, run.rate, False)
            run.phase = PHASE_TOP
        else:
            return run.code


cdef inline int stepped(Loop run, const StepMeasures* measures) noexcept nogil:
    # After the step into `following`, from its measures: CONTINUE (the run then evaluates
    # the new iterate), or the status the run ends with.
    if isnan(run.gradient_norm):
        run.gradient_norm = measures.projected_norm
        # The other tests passed: only gtol can stop the run here, and the step taken to
        # measure the norm is then not committed.
        if run.gradient_norm <= run.settings.gtol:
            return GTOL
    if not measures.finite:
        run.failure, run.failed_buffer = FAILED_STEP, run.following
        return NONFINITE
    run.pending_step_norm = measures.step_norm
    run.phase = PHASE_STEP_EVALUATION
    return CONTINUE


cdef int advance_at(void* run, bint is_float) noexcept nogil:
    # advance for a loop known by its address (a batch's, kept alive by the batch), so that a
    # batch advances its problems without the GIL.
    if is_float:
        return advance(<Loop>run, <float*>NULL)
    return advance(<Loop>run, <double*>NULL)


cdef int iterate_minibatches(Loop run, floating* dtype) noexcept nogil:
    # A minibatch run: each iteration takes the next batch's gradient at the committed
    # iterate, steps and commits; epochs end with the source's validation.
    cdef:
        int evaluation, code = CONTINUE
        StepMeasures measures
    if run.checks_signals:
        run.last_check = monotonic_seconds()
    while True:
        if run.source.epoch_complete():
            code = run.source.end_epoch(run.current, run.nit)
            if code == NONFINITE:
                run.failure = FAILED_VALIDATION
            if code == CONTINUE:
                continue
        else:
            code = budget(run.nit, run.settings.maxiter, run.source.nfev, run.settings.maxfev)
        if code != CONTINUE:
            break
        evaluation = evaluate(run, run.current, &run.gradient_norm, dtype)
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
        code = take_rate(run)
        if code != CONTINUE:
            break
        run.following = 1 - run.current
        measures = step(run, run.settings.measures_wanted
                        | (MEASURE_PROJECTED if isnan(run.gradient_norm) else 0), dtype)
        if not measures.finite:
            run.failure, run.failed_buffer = FAILED_STEP, run.following
            code = NONFINITE
            break
        code = commit(run, run.current, dtype)
        if code != CONTINUE:
            break
    return finish(run, code, dtype)


cdef inline floating* iterate_at(Loop run, floating* dtype) noexcept nogil:
    # The committed iterate.
    return <floating*>run.workspace.x[run.current]


cdef inline floating* state_at(Loop run, int buffer, floating* dtype) noexcept nogil:
    return <floating*>run.workspace.state[buffer]


cdef inline int take_rate(Loop run) noexcept nogil:
    # The number and the learning rate of the step about to be taken: CONTINUE, or what a
    # schedule raised (EXCEPTION).
    run.step = run.settings.steps_taken + run.nit + 1
    if not run.settings.constant_rate:
        return run.schedule_rate(run.step)
    if run.settings.has_plateau:
        run.rate = run.plateau.rate
    return CONTINUE


cdef inline StepMeasures step(Loop run, int measures, floating* dtype) noexcept nogil:
    # The step from the committed iterate into the other buffers, measured as asked.
    cdef int current = run.current
    return measured_step(run.kernel, run.workspace.n, <floating*>run.workspace.x[current],
                         <floating*>run.workspace.grad[current],
                         <floating*>run.workspace.state[current],
                         <floating*>run.workspace.x[run.following],
                         <floating*>run.workspace.state[run.following],
                         run.settings.clipnorm, run.settings.clipvalue, run.step, run.rate,
                         run.settings.lower, run.settings.upper, run.settings.maximize,
                         measures, NULL)


cdef int commit(Loop run, int stepped_with, floating* dtype) noexcept nogil:
    # Make the step taken current, then what follows a commit: the plateau's observation,
    # the average, the history, the notification and the check for Ctrl-C. CONTINUE, or the
    # status the run ends with.
    cdef Py_ssize_t n = run.workspace.n
    cdef int code
    cdef double now
    run.stepped_with = stepped_with
    run.current = run.following
    run.committed_rate = run.rate
    run.nit += 1
    if run.settings.has_plateau:
        # What fun's value at the new iterate leaves the rate of the next step at.
        observe(&run.plateau, run.value)
    if (run.averaging != AVERAGE_NONE and run.average != NULL
            and run.step > run.settings.averaging_start):
        average_into(n, <floating*>run.average, iterate_at(run, dtype),
                     average_weight(run.averaging, run.settings.averaging_decay, run.n_averaged))
        run.n_averaged += 1
    if run.settings.has_history:
        record(run.history, run.kernel, run.nit, run.value, n,
               <floating*>run.workspace.grad[stepped_with],
               <floating*>run.workspace.x[1 - run.current], iterate_at(run, dtype),
               state_at(run, run.current, dtype), run.step, run.rate, False)
    if run.settings.has_notify:
        code = run.call_back(stepped_with)
        if code != CONTINUE:
            return code
    if run.checks_signals:
        run.since_check += 1
        if run.since_check >= run.check_interval:
            run.since_check = 0
            now = monotonic_seconds()
            if now - run.last_check < SIGNAL_CHECK_AT_LEAST:
                run.check_interval = min(2 * run.check_interval, LONGEST_CHECK_INTERVAL)
            elif now - run.last_check > SIGNAL_CHECK_AT_MOST and run.check_interval > 1:
                run.check_interval //= 2
            code = run.check_signals()
            if code != CONTINUE:
                return code
            run.last_check = monotonic_seconds()  # the wait for the GIL is not the loop's
    return CONTINUE


cdef int finish(Loop run, int code, floating* dtype) noexcept nogil:
    # The run's end with status `code`: the history's last row.
    run.phase, run.code = PHASE_DONE, code
    if run.settings.has_history and run.nit > 0:
        record(run.history, run.kernel, run.nit, run.value, run.workspace.n,
               <floating*>run.workspace.grad[run.stepped_with],
               <floating*>run.workspace.x[1 - run.current], iterate_at(run, dtype),
               state_at(run, run.current, dtype), run.settings.steps_taken + run.nit,
               run.committed_rate, True)
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
    if source.needs_gil and loop.workspace.n < RELEASE_GIL_FROM:
        code = _iterate(loop)
    else:
        with nogil:
            code = _iterate(loop)
    if loop.plateau_schedule is not None:
        # The schedule the run was given ends as the loop left it: what it observed is kept.
        loop.plateau_schedule.load_state_dict(plateau_state(loop))
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


def plateau_state(Loop loop):
    """The state of the reduce_on_plateau schedule ``loop`` observes natively, as its
    ``state_dict()`` gives it (None without one)."""
    cdef Plateau* p = &loop.plateau
    if loop.plateau_schedule is None:
        return None
    return {"learning_rate": p.rate, "best": p.best, "num_bad_epochs": p.num_bad_epochs,
            "cooldown_counter": p.cooldown_counter, "last_epoch": p.last_epoch}


cdef int _iterate(Loop loop) noexcept nogil:
    if loop.workspace.is_float:
        return iterate(loop, <float*>NULL)
    return iterate(loop, <double*>NULL)
