"""Many runs at once: the loops of m independent problems advanced together, their
evaluations gathered into one call of a vectorised objective.

Each problem is an ordinary run (`driver.Loop`) whose source is a `BatchRow`: when the loop
asks for an evaluation, the row defers it (``DEFERRED``), and ``driver.advance`` leaves the
run waiting where it is. `Batch.advance` takes every running problem to its next evaluation
(or its end); the caller gathers the waiting iterates (`Batch.gather`), evaluates them in one
call and hands the results back (`Batch.give`); the next `Batch.advance` takes them and goes
on. A run's own code is the single run's, step for step, so every problem's iterates are
those of `minimize` on it alone, bit for bit.

What a problem holds is kept small, because the batch's iteration costs what it reads from
memory: its loop (the settings are shared, `driver.RunSettings`), its slot in one array of
structs (`Slots`: what the batch and the run hand each other), and its rows of the blocks of
iterates, gradients and states. The source and the workspace are shared too, aimed at each
problem before it is advanced.
"""
import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from cpython.pycapsule cimport PyCapsule_GetContext, PyCapsule_GetName, PyCapsule_GetPointer
from cpython.ref cimport PyObject
from cython cimport floating
from libc.math cimport INFINITY, NAN, isfinite
from libc.stdint cimport int64_t
from libc.string cimport memcpy, memmove

from rmsopt.kernels.objective cimport batch_objective_function

from .chunks cimport (
    F32_EXPONENT,
    F64_EXPONENT,
    Chunk,
    StepMeasures,
    finish_block,
    split_strided_step,
    step_measures,
)
from .driver cimport NEEDS_EVALUATION, NEEDS_STEP, PHASE_STEP_TAKEN, Loop, advance_at
from .driver import FAILURES
from .kernel cimport Kernel, prepare_step
from .thread_pool cimport run_chunks, usable_cpus
from .sources cimport DEFERRED, EVALUATED, NOT_FINITE, RAISED, Source, Workspace
from .termination cimport CONTINUE

cimport numpy as cnp

cnp.import_array()

cdef extern from *:
    void prefetch "__builtin_prefetch"(const void* address) noexcept nogil

cdef enum:
    # Problems ahead whose loop objects are fetched into cache while one is advanced: the
    # objective's arrays, evaluated in between, have pushed them out to memory. (On the
    # benchmark's fits, 16 took 12 percent off the batch beside 4, and 32 gave half of it
    # back.)
    AHEAD = 16


ctypedef struct NativeCall:
    # One thread's call of a C-level batched objective: the rows its mask marks.
    batch_objective_function function
    void* user_data
    int m, n
    const double* X
    double* grad
    double* values
    const unsigned char* active
    int returned


cdef void native_call(void* calls, int index) noexcept nogil:
    # A ChunkTask (thread_pool.pxd): call `index` of an array of NativeCall.
    cdef NativeCall* call = &(<NativeCall*>calls)[index]
    call.returned = call.function(call.m, call.n, call.X, call.grad, call.values, call.active,
                                  call.user_data)


cdef enum:
    MAX_THREADS = 64
    # The fewest problems a thread advances: below, handing the share to a pool's worker
    # (a few microseconds) costs more than advancing them (about 40 ns each).
    PART_AT_LEAST = 1024


ctypedef struct Part:
    # A share of the problems advanced on one thread: [start, stop); how many then wait for
    # an evaluation and for a step.
    void* batch
    void* source                # the share's BatchRow
    Py_ssize_t start, stop
    Py_ssize_t waiting, steps


cdef void advance_part(void* parts, int index) noexcept nogil:
    # A ChunkTask (thread_pool.pxd): share `index` of an array of Part.
    cdef Part* part = &(<Part*>parts)[index]
    advance_share(part.batch, part)


cdef void advance_share(void* batch, Part* part) noexcept nogil:
    (<Batch>batch).advance_part(part)


cdef inline void hand_over(Slot* slot, double value, bint known, Py_ssize_t nfev,
                           Py_ssize_t njev) noexcept nogil:
    # An evaluation given to a problem waiting for it (its gradient written): a value that
    # is not finite ends its run as a single run's does (status 5, at its last good iterate).
    slot.nfev += nfev
    slot.njev += njev
    slot.known = known
    slot.value = value
    slot.outcome = NOT_FINITE if known and not isfinite(value) else EVALUATED
    slot.given = True


cdef inline void note_step(Loop run, Py_ssize_t k, int* buffers, Py_ssize_t* counts,
                           double* rates) noexcept nogil:
    # The step `run` waits for, as the k-th of the batch's steps: from its committed buffer,
    # with its step count and rate.
    buffers[k] = run.current
    counts[k] = run.step
    rates[k] = run.rate


cdef inline int advance_problem(Loop run, const StepMeasures* measured,
                                bint is_float) noexcept nogil:
    # `run` on to its next step, evaluation or end; a run the batch has stepped first takes
    # its step's measures.
    if run.phase == PHASE_STEP_TAKEN:
        run.deferred = measured
    return advance_at(<void*>run, is_float)


ctypedef struct Slot:
    # What problem i's run and the batch share: the buffer waiting for its evaluation (-1:
    # none), whether the evaluation has been given, what it reports, the value (computed when
    # `known`), and the counts of calls. One struct per problem: a problem's evaluation is
    # handed over in one cache line.
    double value
    Py_ssize_t nfev
    Py_ssize_t njev
    int requested
    int outcome
    unsigned char given
    unsigned char known


cdef class Slots:
    """One `Slot` per problem, for m problems."""

    cdef object memory                   # keeps the slots' bytes
    cdef Slot* slot

    def __init__(self, Py_ssize_t m):
        cdef Py_ssize_t i
        self.memory = np.zeros(m * sizeof(Slot), dtype=np.uint8)
        self.slot = <Slot*>cnp.PyArray_DATA(self.memory)
        for i in range(m):
            self.slot[i].requested = -1
            self.slot[i].value = NAN

    def counts(self):
        """``(nfev, njev)`` of every problem, int64 arrays."""
        cdef Py_ssize_t i, m = self.memory.shape[0] // sizeof(Slot)
        nfev = np.empty(m, dtype=np.int64)
        njev = np.empty(m, dtype=np.int64)
        cdef cnp.int64_t[::1] nfev_view = nfev, njev_view = njev
        for i in range(m):
            nfev_view[i] = self.slot[i].nfev
            njev_view[i] = self.slot[i].njev
        return nfev, njev


ctypedef struct Layout:
    # Where a batch keeps its problems' buffers (Batch's docstring): problem i's iterate and
    # gradient in buffer b at base + (b * m + i) * row_bytes, its state at state_base +
    # b * half_bytes + i * state_bytes (NULL without state rows).
    char* iterate_base
    char* gradient_base
    char* state_base
    Py_ssize_t m, row_bytes, state_bytes, half_bytes, rows


cdef class BatchRow(Source):
    """The source of a batch's problems, aimed at one at a time (`aim`): its evaluations
    are deferred, then taken from what the batch wrote (`Batch.give`): the gradient into its
    rows of the blocks, the rest into its `Slot`. Its workspace is aimed with it: the runs
    of a batch share one source and one workspace (one per thread advancing them), so that
    a problem's own memory is its loop, its slot and its rows of the blocks."""

    cdef Slots slots                     # keeps `slot` alive
    cdef Slot* slot
    cdef Layout layout

    def __init__(self, Slots slots, Py_ssize_t index):
        self.slots = slots
        self.slot = &slots.slot[index]
        self.full_data = True
        self.needs_gil = False
        self.value = NAN
        self.value_known = False

    cdef inline void aim(self, Py_ssize_t i) noexcept nogil:
        # At problem i: its slot, its calls so far, and its buffers in the workspace.
        cdef Layout* at = &self.layout
        cdef int b
        self.slot = &self.slots.slot[i]
        self.nfev = self.slot.nfev
        for b in range(2):
            self.workspace.x[b] = at.iterate_base + (b * at.m + i) * at.row_bytes
            self.workspace.grad[b] = at.gradient_base + (b * at.m + i) * at.row_bytes
            self.workspace.state[b] = (at.state_base + b * at.half_bytes + i * at.state_bytes
                                       if at.rows > 0 else NULL)

    cdef int evaluate(self, int buffer) noexcept nogil:
        cdef Slot* slot = self.slot
        if slot.given and buffer == slot.requested:
            slot.given = False
            slot.requested = -1
            self.nfev = slot.nfev
            self.value_known = slot.known
            self.value = slot.value
            return slot.outcome
        slot.requested = buffer
        return DEFERRED


cdef inline int advance_aimed(void* source, Py_ssize_t i, void* run,
                              const StepMeasures* measured, bint is_float) noexcept nogil:
    # Problem i's run (`run`, whose source is `source`), aimed at, then advanced.
    (<BatchRow>source).aim(i)
    return advance_problem(<Loop>run, measured, is_float)


cdef class Batch:
    """The runs of a batch (``loops``, each evaluated through its `Slot` of ``slots``; one
    dtype and length n), advanced together. ``codes[i]`` is run i's status once it has
    ended, and ``CONTINUE`` (-1) while it runs; ``waiting[:count]`` the problems waiting for
    an evaluation, in order.

    ``blocks`` holds every problem's buffers: ``(iterates, states, gradients)``, iterates
    and gradients of shape ``(2, m, n)`` (buffer, problem, element), so that buffer b's rows
    of consecutive problems are consecutive in memory. With ``together``, the states are
    ``(2, rows, m, n)`` and the batch takes the runs' steps itself (their loops defer them):
    one kernel call steps consecutive problems at the same step count and rate as one vector
    (an element-wise kernel's step of each element is the same whatever vector it is in),
    then each problem's step is measured as its own run measures it. Without, the states are
    ``(2, m, rows, n)`` and each run steps itself.

    The problems stay in step: all start together, and every running problem takes exactly
    one evaluation per `advance`, in the buffer its run did not commit last. So the waiting
    problems all want buffer b of the same b, and a C-level objective reads and writes the
    blocks in place.

    With ``threads`` > 1 (and at least `PART_AT_LEAST` problems a thread), consecutive
    shares of the problems advance on the pool's threads, each through its own `BatchRow`;
    the steps split as the kernel's do; a C-level objective's calls split likewise."""

    cdef readonly list loops
    cdef Slots slots
    cdef readonly Py_ssize_t m, n
    cdef readonly object dtype
    cdef readonly object codes          # (m,) int64
    cdef readonly object waiting        # (m,) intp
    cdef readonly Py_ssize_t count
    cdef object pointers                # keeps the address tables
    cdef PyObject** loop_objects        # borrowed: `loops` holds them
    cdef Py_ssize_t row_bytes           # of an iterate or a gradient
    cdef Py_ssize_t loop_lines          # cache lines of a Loop object to fetch ahead
    cdef object native                  # a C-level objective's (values, active)
    cdef bint is_float
    cdef cnp.int64_t* code_data         # codes' and waiting's data
    cdef Py_ssize_t* waiting_data
    cdef list cursors                   # the BatchRow of each share of the problems
    cdef void* cursor_objects[MAX_THREADS]
    # The blocks (see the class's docstring) and, when the batch steps the runs, what its
    # steps need: the kernel, clipvalue, the measures the runs want, and per problem to step
    # (in order) its index, buffer, step count, rate and its step's measures.
    cdef object blocks
    cdef char* iterate_base
    cdef char* gradient_base
    cdef char* state_base
    cdef Py_ssize_t state_half          # elements between the states' two buffers
    cdef readonly bint together
    cdef readonly int threads           # for the C-level objective's calls
    cdef readonly int parts             # consecutive shares of the problems advanced at once
    cdef Kernel kernel
    cdef double clipvalue
    cdef int measures_wanted
    cdef object step_arrays
    cdef Py_ssize_t* stepping
    cdef int* step_buffer
    cdef Py_ssize_t* step_count
    cdef double* step_rate
    cdef StepMeasures* step_measured

    def __init__(self, Loop template, Slots slots, tuple blocks, bint together, averages,
                 int threads=1):
        # The m runs: `template`'s settings (a loop made, not run), each on its rows of the
        # blocks, evaluated through its slot; averaging into its row of `averages` (or None).
        # `threads`: how many threads may share the batch's work (see `parts`).
        cdef Loop loop
        cdef Workspace workspace
        cdef BatchRow source
        cdef Py_ssize_t i, rows, row_bytes, state_bytes, half_bytes
        iterates, states, gradients = blocks
        self.m, self.n = iterates.shape[1], iterates.shape[2]
        for block in (iterates, gradients):
            if block.shape != (2, self.m, self.n) or not block.flags.c_contiguous:
                raise ValueError(f"blocks of shape (2, {self.m}, {self.n}); got {block.shape}")
        if not states.flags.c_contiguous or states.shape[0] != 2:
            raise ValueError(f"a C-contiguous block of two states; got {states.shape}")
        self.slots = slots
        self.dtype = iterates.dtype
        self.is_float = self.dtype == np.float32
        self.codes = np.full(self.m, CONTINUE, dtype=np.int64)
        self.waiting = np.empty(self.m, dtype=np.intp)
        self.code_data = <cnp.int64_t*>cnp.PyArray_DATA(self.codes)
        self.waiting_data = <Py_ssize_t*>cnp.PyArray_DATA(self.waiting)
        self.count = 0
        self.blocks = blocks
        self.row_bytes = row_bytes = self.n * iterates.itemsize
        self.iterate_base = <char*>cnp.PyArray_DATA(<cnp.ndarray>iterates)
        self.gradient_base = <char*>cnp.PyArray_DATA(<cnp.ndarray>gradients)
        self.state_base = <char*>cnp.PyArray_DATA(<cnp.ndarray>states)
        self.state_half = states.size // 2
        rows = states.shape[1] if together else states.shape[2]
        # Between problem i's state and problem i + 1's, and between its rows.
        state_bytes = row_bytes if together else rows * row_bytes
        half_bytes = self.state_half * iterates.itemsize
        self.together = together
        self.threads = threads
        # The runs advance on several threads only when the batch takes their steps: a run
        # that steps itself would share the kernel's scratch and run scalars.
        self.parts = 1
        if together:
            self.parts = max(1, min(threads, usable_cpus(), <int>MAX_THREADS,
                                    <int>(self.m // PART_AT_LEAST)))
        self.kernel = template.kernel
        self.clipvalue = template.settings.clipvalue
        self.measures_wanted = template.settings.measures_wanted
        stepping = np.empty(self.m, dtype=np.intp)
        step_buffer = np.empty(self.m, dtype=np.intc)
        step_count = np.empty(self.m, dtype=np.intp)
        step_rate = np.empty(self.m)
        step_measured = np.empty(self.m * sizeof(StepMeasures), dtype=np.uint8)
        self.step_arrays = (stepping, step_buffer, step_count, step_rate, step_measured)
        self.stepping = <Py_ssize_t*>cnp.PyArray_DATA(stepping)
        self.step_buffer = <int*>cnp.PyArray_DATA(step_buffer)
        self.step_count = <Py_ssize_t*>cnp.PyArray_DATA(step_count)
        self.step_rate = <double*>cnp.PyArray_DATA(step_rate)
        self.step_measured = <StepMeasures*>cnp.PyArray_DATA(step_measured)
        objects = np.empty(self.m, dtype=np.uintp)
        self.pointers = objects
        self.loop_objects = <PyObject**>cnp.PyArray_DATA(objects)
        # One workspace and source per share of the problems, aimed at each problem in turn.
        self.cursors = []
        for t in range(self.parts):
            workspace = Workspace.__new__(Workspace)
            workspace.n, workspace.rows = self.n, rows
            workspace.is_float, workspace.dtype = self.is_float, self.dtype
            source = BatchRow.__new__(BatchRow)
            source.slots, source.slot = slots, &slots.slot[0]
            source.full_data, source.needs_gil = True, False
            source.value, source.value_known = NAN, False
            source.workspace = workspace
            source.layout = Layout(iterate_base=self.iterate_base,
                                   gradient_base=self.gradient_base,
                                   state_base=self.state_base, m=self.m, row_bytes=row_bytes,
                                   state_bytes=state_bytes, half_bytes=half_bytes, rows=rows)
            self.cursors.append(source)
            self.cursor_objects[t] = <void*>source
        self.loops = []
        t = 0
        for i in range(self.m):
            while i >= (t + 1) * self.m // self.parts:
                t += 1
            source = self.cursors[t]
            loop = template.clone(source.workspace, source,
                                  None if averages is None else averages[i])
            # The batch checks for Ctrl-C between its evaluations, not each run.
            loop.checks_signals = False
            loop.defers_steps = together
            self.loops.append(loop)
            self.loop_objects[i] = <PyObject*>loop
        # The lines of a loop object an iteration reads (driver.pxd puts them first).
        self.loop_lines = (<char*>(&loop.deferred + 1) - <char*><PyObject*>loop + 63) // 64

    def failure(self, Py_ssize_t i):
        """Why problem i's run ended with a non-finite status: None, or ``(kind, buffer,
        value)``, ``kind`` as `driver.failure` names it and ``buffer`` the buffer of the
        failed evaluation or step (its rows of the blocks)."""
        cdef Loop loop = self.loops[i]
        if loop.failure == 0:
            return None
        return FAILURES[loop.failure], loop.failed_buffer, loop.failed_value

    def advance(self):
        """Take every running problem to its next evaluation or its end; return how many
        wait for an evaluation."""
        with nogil:
            self.count = self.advance_all()
        return self.count

    cdef void prefetch_problem(self, Py_ssize_t i) noexcept nogil:
        # Problem i's loop object, to be read soon: the objective's arrays, evaluated in
        # between, have pushed it out to memory.
        cdef Py_ssize_t line
        cdef const char* loop = <const char*>self.loop_objects[i]
        for line in range(self.loop_lines):
            prefetch(loop + 64 * line)

    cdef Py_ssize_t advance_all(self) noexcept nogil:
        # advance's loop, without the GIL (a Python schedule takes it for its own call): each
        # running problem to its next evaluation or its end, the problems split into `parts`
        # consecutive shares advanced on as many threads. With `together`, a problem goes to
        # its step; the batch steps them all, then asks for the evaluation of each step (the
        # problem takes it, and its step's measures, when next advanced). A deferring run has
        # no box: it evaluates its new iterate exactly when the step is finite
        # (driver.stepped); a step that is not ends its run at once.
        cdef Py_ssize_t i, k, count, steps, size
        cdef int t
        cdef Part parts[MAX_THREADS]
        for t in range(self.parts):
            parts[t].batch = <void*>self
            parts[t].start = t * self.m // self.parts
            parts[t].stop = (t + 1) * self.m // self.parts
            parts[t].source = self.cursor_objects[t]
        if self.parts == 1:
            self.advance_part(&parts[0])
        else:
            run_chunks(advance_part, parts, self.parts)
        # Each share's lists from its first problem on: together, in order.
        count, steps = parts[0].waiting, parts[0].steps
        for t in range(1, self.parts):
            size = sizeof(Py_ssize_t)
            memmove(&self.waiting_data[count], &self.waiting_data[parts[t].start],
                    parts[t].waiting * size)
            memmove(&self.stepping[steps], &self.stepping[parts[t].start], parts[t].steps * size)
            memmove(&self.step_count[steps], &self.step_count[parts[t].start],
                    parts[t].steps * size)
            memmove(&self.step_buffer[steps], &self.step_buffer[parts[t].start],
                    parts[t].steps * sizeof(int))
            memmove(&self.step_rate[steps], &self.step_rate[parts[t].start],
                    parts[t].steps * sizeof(double))
            count += parts[t].waiting
            steps += parts[t].steps
        if steps == 0:
            return count
        if self.is_float:
            self.take_steps(steps, <float*>NULL)
        else:
            self.take_steps(steps, <double*>NULL)
        # No problem waited before its step: the first evaluations (all problems at once)
        # come before any step. So the waiting problems stay in row order.
        for k in range(steps):
            i = self.stepping[k]
            if self.step_measured[i].finite:
                self.slots.slot[i].requested = 1 - self.step_buffer[k]
                self.waiting_data[count] = i
                count += 1
            else:
                self.code_data[i] = advance_aimed(self.cursor_objects[self.part_of(i)], i,
                                                  <void*>self.loop_objects[i],
                                                  &self.step_measured[i], self.is_float)
        return count

    cdef int part_of(self, Py_ssize_t i) noexcept nogil:
        # The share problem i is in: [t m / parts, (t + 1) m / parts).
        cdef int t = 0
        while i >= (t + 1) * self.m // self.parts:
            t += 1
        return t

    cdef void advance_part(self, Part* part) noexcept nogil:
        # The share `part` of advance_all's loop: its problems waiting for an evaluation, and
        # those waiting for their step, listed from index part.start of the batch's lists.
        cdef Py_ssize_t i, count = 0, steps = 0, first = part.start
        cdef int code
        cdef cnp.int64_t* codes = self.code_data
        for i in range(part.start, part.stop):
            if i + AHEAD < part.stop:
                self.prefetch_problem(i + AHEAD)
            if codes[i] != CONTINUE:
                continue
            code = advance_aimed(part.source, i, <void*>self.loop_objects[i],
                                 &self.step_measured[i], self.is_float)
            if code == NEEDS_EVALUATION:
                self.waiting_data[first + count] = i
                count += 1
            elif code == NEEDS_STEP:
                note_step(<Loop>self.loop_objects[i], first + steps, self.step_buffer,
                          self.step_count, self.step_rate)
                self.stepping[first + steps] = i
                steps += 1
            else:
                codes[i] = code
        part.waiting, part.steps = count, steps

    cdef void take_steps(self, Py_ssize_t steps, floating* dtype) noexcept nogil:
        # The steps of the problems `stepping[:steps]`: one kernel call for each run of
        # consecutive problems in the same buffer at the same step count and rate, then each
        # problem's measures as its own run's measured_step takes them (finish_block on its
        # n elements).
        cdef Py_ssize_t k = 0, first, i, j, n = self.n, m = self.m
        cdef int current, following
        cdef Py_ssize_t step
        cdef double rate
        cdef const floating* x
        cdef const floating* grad
        cdef const floating* state
        cdef floating* x_out
        cdef floating* state_out
        cdef Chunk block
        cdef int64_t exponent = F32_EXPONENT if floating is float else F64_EXPONENT
        while k < steps:
            first = k
            current, step, rate = self.step_buffer[k], self.step_count[k], self.step_rate[k]
            k += 1
            while (k < steps and self.stepping[k] == self.stepping[k - 1] + 1
                   and self.step_buffer[k] == current and self.step_count[k] == step
                   and self.step_rate[k] == rate):
                k += 1
            following = 1 - current
            i = self.stepping[first]
            x = <const floating*>self.iterate_base + (current * m + i) * n
            grad = <const floating*>self.gradient_base + (current * m + i) * n
            state = <const floating*>self.state_base + current * self.state_half + i * n
            x_out = <floating*>self.iterate_base + (following * m + i) * n
            state_out = <floating*>self.state_base + following * self.state_half + i * n
            prepare_step(self.kernel, step)
            split_strided_step(self.kernel.loop[0], self.kernel.threads, (k - first) * n,
                               m * n, x, grad, state, x_out, state_out, self.kernel.params,
                               step, rate, self.clipvalue < INFINITY, 0, <floating*>NULL,
                               NULL, NULL, False, self.kernel.rows_written, INFINITY, 0.0,
                               self.clipvalue)
            block.lower = block.upper = NULL
            block.maximize = False
            block.stride = m * n
            block.rows_written = self.kernel.rows_written
            block.measures = self.measures_wanted
            for j in range(k - first):
                block.step_bits = block.value_bits = block.grad_bits = 0
                block.projected_bits = 0
                finish_block(&block, 0, n, x + j * n, grad + j * n, x_out + j * n,
                             state_out + j * n)
                self.step_measured[i + j] = step_measures(&block, 1, exponent)

    def gather(self):
        """The iterates the waiting problems are to be evaluated at, as a new ``(count, n)``
        array of the run's dtype (the caller's to keep)."""
        cdef Py_ssize_t k = 0, first, rows, size = self.n * self.dtype.itemsize
        cdef cnp.ndarray out = np.empty((self.count, self.n), dtype=self.dtype)
        cdef char* data = <char*>cnp.PyArray_DATA(out)
        while k < self.count:
            first, rows = self.consecutive(k)
            memcpy(data + k * size, self.iterate_base
                   + (self.slots.slot[first].requested * self.m + first) * size, rows * size)
            k += rows
        return out

    cdef (Py_ssize_t, Py_ssize_t) consecutive(self, Py_ssize_t k) noexcept nogil:
        # The run of waiting problems from waiting[k] on whose rows are consecutive in one
        # buffer's block: its first problem and its length (all of them, while the problems
        # run in step and none has stopped).
        cdef Py_ssize_t first = self.waiting_data[k], rows = 1
        cdef int buffer = self.slots.slot[first].requested
        while (k + rows < self.count and self.waiting_data[k + rows] == first + rows
               and self.slots.slot[first + rows].requested == buffer):
            rows += 1
        return first, rows

    def give(self, grads, values, bint value_known, Py_ssize_t nfev, Py_ssize_t njev):
        """The evaluations of the waiting problems: ``grads`` a C-contiguous ``(count, n)``
        array of the run's dtype, ``values`` a float64 ``(count,)`` array (read when
        ``value_known``); each problem counts ``nfev`` calls of ``fun`` and ``njev``
        gradients. A problem whose value is not finite ends as a single run does (status 5,
        at its last good iterate)."""
        cdef Py_ssize_t k = 0, j, first, rows, size = self.n * self.dtype.itemsize
        cdef cnp.ndarray checked = grads
        cdef const char* data = <const char*>cnp.PyArray_DATA(checked)
        cdef const double* known = NULL
        if value_known:
            known = <const double*>cnp.PyArray_DATA(values)
        while k < self.count:
            first, rows = self.consecutive(k)
            memcpy(self.gradient_base + (self.slots.slot[first].requested * self.m + first)
                   * size, data + k * size, rows * size)
            for j in range(rows):
                hand_over(&self.slots.slot[first + j], known[k + j] if value_known else NAN,
                          value_known, nfev, njev)
            k += rows

    def run_native(self, callable):
        """Run every problem to its end, evaluated by ``callable``, a `scipy.LowLevelCallable`
        of ``kernels/objective.pxd``'s ``batch_objective_function`` (float64 runs), the whole
        loop without the GIL: one call per iteration, or with ``threads`` > 1 one call per
        thread of the process's pool, each given a consecutive share of the waiting problems
        (the function must then be safe to call from several threads at once). The calls
        read the iterates and write the gradients in the blocks, in place. When a call
        returns nonzero, the loop stops there, the waiting problems are left waiting, and
        RuntimeError is raised (`fail` then ends them)."""
        cdef batch_objective_function function
        cdef void* user_data
        cdef NativeCall calls[MAX_THREADS]
        cdef int returned = 0, t
        capsule = tuple.__getitem__(callable, 0)
        function = <batch_objective_function>PyCapsule_GetPointer(
            capsule, PyCapsule_GetName(capsule)
        )
        user_data = PyCapsule_GetContext(capsule)
        if self.native is None:
            self.native = (np.empty(self.m), np.zeros((MAX_THREADS, self.m), dtype=np.uint8))
        for t in range(MAX_THREADS):
            calls[t].function, calls[t].user_data = function, user_data
            calls[t].m, calls[t].n = <int>self.m, <int>self.n
            calls[t].values = <double*>cnp.PyArray_DATA(self.native[0])
            calls[t].active = <unsigned char*>cnp.PyArray_DATA(self.native[1]) + t * self.m
        with nogil:
            while True:
                self.count = self.advance_all()
                if self.count == 0:
                    break
                # Ctrl-C, before each evaluation (the GIL taken for the check only): what the
                # handler raises (KeyboardInterrupt) leaves the problems waiting, every
                # evaluation given taken.
                with gil:
                    PyErr_CheckSignals()
                returned = self.call_native(calls, self.threads)
                if returned != 0:
                    break
        if returned != 0:
            raise RuntimeError(f"the batched objective returned {returned}, not 0")

    cdef int call_native(self, NativeCall* calls, int threads) noexcept nogil:
        # The waiting problems' evaluation by the C-level objective of `calls`, given back:
        # 0, or the nonzero a call returned (nothing is then given). The problems being in
        # step, all want the same buffer: the calls read its block of iterates and write its
        # block of gradients. Call t is given the t-th consecutive share of the waiting
        # problems.
        cdef Py_ssize_t k, i, j, n = self.n, stop
        cdef int count = max(1, min(threads, usable_cpus(), <int>MAX_THREADS, <int>self.count))
        cdef int returned = 0, t
        cdef Slot* slots = self.slots.slot
        cdef int buffer = slots[self.waiting_data[0]].requested
        cdef double* X = <double*>self.iterate_base + buffer * self.m * n
        cdef double* grad = <double*>self.gradient_base + buffer * self.m * n
        cdef double* values = calls[0].values
        cdef unsigned char* active
        k = 0
        for t in range(count):
            calls[t].X, calls[t].grad = X, grad
            calls[t].returned = 0
            active = <unsigned char*>calls[t].active
            stop = (t + 1) * self.count // count
            while k < stop:
                i = self.waiting_data[k]
                # NaN first: a row the function leaves unwritten stops its problem as
                # non-finite.
                for j in range(n):
                    grad[i * n + j] = NAN
                values[i] = NAN
                active[i] = 1
                k += 1
        if count == 1:
            native_call(calls, 0)
        else:
            run_chunks(native_call, calls, count)
        for t in range(count):
            returned = returned if returned != 0 else calls[t].returned
        k = 0
        for t in range(count):
            active = <unsigned char*>calls[t].active
            stop = (t + 1) * self.count // count
            while k < stop:
                i = self.waiting_data[k]
                active[i] = 0
                if returned == 0:
                    hand_over(&slots[i], values[i], True, 1, 1)
                k += 1
        return returned

    def finals(self):
        """Where every run ended: ``(current, nit, value, value_known, n_averaged)`` arrays,
        ``current`` the buffer of its last committed iterate (its x, gradient and state)."""
        cdef Py_ssize_t i
        cdef Loop loop
        current = np.empty(self.m, dtype=np.intp)
        nit = np.empty(self.m, dtype=np.int64)
        value = np.empty(self.m)
        known = np.empty(self.m, dtype=bool)
        averaged = np.empty(self.m, dtype=np.int64)
        cdef Py_ssize_t[::1] current_view = current
        cdef cnp.int64_t[::1] nit_view = nit, averaged_view = averaged
        cdef double[::1] value_view = value
        cdef cnp.npy_bool[::1] known_view = known
        for i in range(self.m):
            loop = <Loop>self.loop_objects[i]
            current_view[i] = loop.current
            nit_view[i] = loop.nit
            value_view[i] = loop.value if loop.value_known else NAN
            known_view[i] = loop.value_known
            averaged_view[i] = loop.n_averaged
        return current, nit, value, known, averaged

    def fail(self, error):
        """The waiting problems' evaluation raised ``error``: each ends as a single run whose
        objective raised (kept in its source, the run's status EXCEPTION)."""
        cdef Py_ssize_t k, i
        cdef Loop loop
        cdef Py_ssize_t[::1] waiting = self.waiting
        for k in range(self.count):
            i = waiting[k]
            loop = <Loop>self.loop_objects[i]
            loop.source.error = error
            self.slots.slot[i].outcome = RAISED
            self.slots.slot[i].given = True
