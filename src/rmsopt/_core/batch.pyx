"""Many runs at once: the loops of m independent problems advanced together, their
evaluations gathered into one call of a vectorised objective.

Each problem is an ordinary run (`driver.Loop`) whose source is a `BatchRow`: when the loop
asks for an evaluation, the row defers it (``DEFERRED``), and ``driver.advance`` leaves the
run waiting where it is. `Batch.advance` takes every running problem to its next evaluation
(or its end); the caller gathers the waiting iterates (`Batch.gather`), evaluates them in one
call and hands the results back (`Batch.give`); the next `Batch.advance` takes them and goes
on. A run's own code is the single run's, step for step, so every problem's iterates are
those of `minimize` on it alone, bit for bit.

What the batch and its rows share lives in arrays with one entry per problem (`Slots`), so
that handing m evaluations over is a pass over arrays rather than over m objects.
"""
import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from cpython.pycapsule cimport PyCapsule_GetContext, PyCapsule_GetName, PyCapsule_GetPointer
from cpython.ref cimport PyObject
from libc.math cimport NAN, isfinite
from libc.string cimport memcpy

from rmsopt.kernels.objective cimport batch_objective_function

from .driver cimport NEEDS_EVALUATION, Loop, advance_at
from .thread_pool cimport run_chunks, usable_cpus
from .sources cimport DEFERRED, EVALUATED, NOT_FINITE, RAISED, Source, Workspace
from .termination cimport CONTINUE

cimport numpy as cnp

cnp.import_array()

cdef extern from *:
    void prefetch "__builtin_prefetch"(const void* address) noexcept nogil

cdef enum:
    # Problems ahead whose loop objects are fetched into cache while one is advanced: the
    # objective's arrays, evaluated in between, have pushed them out to memory.
    AHEAD = 4


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


cdef class Slots:
    """Per problem: the buffer waiting for its evaluation (-1: none), whether the evaluation
    has been given, what it reports, the value, and the counts of calls."""

    cdef object arrays                   # keeps the arrays the pointers are taken from
    cdef int* requested
    cdef unsigned char* given
    cdef unsigned char* known            # the value was computed
    cdef int* outcome
    cdef double* value
    cdef Py_ssize_t* nfev
    cdef Py_ssize_t* njev

    def __init__(self, Py_ssize_t m):
        requested = np.full(m, -1, dtype=np.intc)
        given = np.zeros(m, dtype=np.uint8)
        known = np.zeros(m, dtype=np.uint8)
        outcome = np.zeros(m, dtype=np.intc)
        value = np.full(m, NAN)
        nfev = np.zeros(m, dtype=np.intp)
        njev = np.zeros(m, dtype=np.intp)
        self.arrays = (requested, given, known, outcome, value, nfev, njev)
        self.requested = <int*>cnp.PyArray_DATA(requested)
        self.given = <unsigned char*>cnp.PyArray_DATA(given)
        self.known = <unsigned char*>cnp.PyArray_DATA(known)
        self.outcome = <int*>cnp.PyArray_DATA(outcome)
        self.value = <double*>cnp.PyArray_DATA(value)
        self.nfev = <Py_ssize_t*>cnp.PyArray_DATA(nfev)
        self.njev = <Py_ssize_t*>cnp.PyArray_DATA(njev)

    def counts(self):
        """``(nfev, njev)`` of every problem (copies)."""
        return self.arrays[5].astype(np.int64), self.arrays[6].astype(np.int64)


cdef class BatchRow(Source):
    """Problem ``index``'s source in a batch: its evaluations are deferred, then taken from
    what the batch wrote (`Batch.give`): the gradient into its workspace, the rest into the
    batch's `Slots`."""

    cdef Slots slots
    cdef Py_ssize_t index

    def __init__(self, Slots slots, Py_ssize_t index):
        self.slots, self.index = slots, index
        self.full_data = True
        self.needs_gil = False
        self.value = NAN
        self.value_known = False

    cdef int evaluate(self, int buffer) noexcept nogil:
        cdef Py_ssize_t i = self.index
        if self.slots.given[i] and buffer == self.slots.requested[i]:
            self.slots.given[i] = False
            self.slots.requested[i] = -1
            self.nfev = self.slots.nfev[i]
            self.value_known = self.slots.known[i]
            self.value = self.slots.value[i]
            return self.slots.outcome[i]
        self.slots.requested[i] = buffer
        return DEFERRED


cdef class Batch:
    """The runs of a batch (``loops``, each bound to the `BatchRow` of its index in ``slots``;
    one dtype and length n), advanced together. ``codes[i]`` is run i's status once it has
    ended, and ``CONTINUE`` (-1) while it runs; ``waiting[:count]`` the problems waiting for
    an evaluation, in order."""

    cdef list loops
    cdef Slots slots
    cdef readonly Py_ssize_t m, n
    cdef readonly object dtype
    cdef readonly object codes          # (m,) int64
    cdef readonly object waiting        # (m,) intp
    cdef readonly Py_ssize_t count
    cdef object pointers                # keeps the address tables
    cdef PyObject** loop_objects        # borrowed: `loops` holds them
    cdef void** x_addresses             # problem i's iterate buffers: 2i, 2i + 1
    cdef void** grad_addresses          # and gradient buffers
    cdef Py_ssize_t loop_lines          # cache lines of a Loop object
    cdef object native                  # a C-level objective's (X, grad, values, active)
    cdef bint is_float
    cdef cnp.int64_t* code_data         # codes' and waiting's data
    cdef Py_ssize_t* waiting_data
    cdef const void** workspace_objects  # each problem's workspace and source, to prefetch
    cdef const void** source_objects

    def __init__(self, list loops, Slots slots):
        cdef Loop loop
        cdef Workspace workspace
        cdef Py_ssize_t i
        self.loops, self.slots = loops, slots
        self.m = len(loops)
        loop = loops[0]
        self.n = loop.workspace.n
        self.dtype = loop.workspace.dtype
        self.codes = np.full(self.m, CONTINUE, dtype=np.int64)
        self.waiting = np.empty(self.m, dtype=np.intp)
        self.code_data = <cnp.int64_t*>cnp.PyArray_DATA(self.codes)
        self.waiting_data = <Py_ssize_t*>cnp.PyArray_DATA(self.waiting)
        self.is_float = self.dtype == np.float32
        self.count = 0
        self.loop_lines = (Loop.__basicsize__ + 63) // 64
        objects = np.empty(self.m, dtype=np.uintp)
        xs = np.empty(2 * self.m, dtype=np.uintp)
        grads = np.empty(2 * self.m, dtype=np.uintp)
        workspaces = np.empty(self.m, dtype=np.uintp)
        sources = np.empty(self.m, dtype=np.uintp)
        self.pointers = (objects, xs, grads, workspaces, sources)
        self.workspace_objects = <const void**>cnp.PyArray_DATA(workspaces)
        self.source_objects = <const void**>cnp.PyArray_DATA(sources)
        self.loop_objects = <PyObject**>cnp.PyArray_DATA(objects)
        self.x_addresses = <void**>cnp.PyArray_DATA(xs)
        self.grad_addresses = <void**>cnp.PyArray_DATA(grads)
        for i in range(self.m):
            loop = loops[i]
            workspace = loop.workspace
            # The gradients are written into the workspace's own buffers.
            workspace.own_gradient(0)
            workspace.own_gradient(1)
            # The batch checks for Ctrl-C between its evaluations, not each run.
            loop.checks_signals = False
            self.loop_objects[i] = <PyObject*>loop
            self.workspace_objects[i] = <void*>loop.workspace
            self.source_objects[i] = <void*>loop.source
            self.x_addresses[2 * i] = workspace.x[0]
            self.x_addresses[2 * i + 1] = workspace.x[1]
            self.grad_addresses[2 * i] = workspace.grad[0]
            self.grad_addresses[2 * i + 1] = workspace.grad[1]

    def advance(self):
        """Take every running problem to its next evaluation or its end; return how many
        wait for an evaluation."""
        with nogil:
            self.count = self.advance_all()
        return self.count

    cdef Py_ssize_t advance_all(self) noexcept nogil:
        # advance's loop, without the GIL (a Python schedule takes it for its own call).
        cdef Py_ssize_t i, count = 0, line
        cdef int code
        cdef const char* ahead
        cdef cnp.int64_t* codes = self.code_data
        for i in range(self.m):
            if i + AHEAD < self.m:
                ahead = <const char*>self.loop_objects[i + AHEAD]
                for line in range(self.loop_lines):
                    prefetch(ahead + 64 * line)
            if i + AHEAD // 2 < self.m:
                prefetch(self.workspace_objects[i + AHEAD // 2])
                prefetch(<const char*>self.workspace_objects[i + AHEAD // 2] + 64)
                prefetch(<const char*>self.workspace_objects[i + AHEAD // 2] + 128)
                prefetch(self.source_objects[i + AHEAD // 2])
                prefetch(<const char*>self.source_objects[i + AHEAD // 2] + 64)
            if codes[i] != CONTINUE:
                continue
            code = advance_at(<void*>self.loop_objects[i], self.is_float)
            if code == NEEDS_EVALUATION:
                self.waiting_data[count] = i
                count += 1
            else:
                codes[i] = code
        return count

    def gather(self):
        """The iterates the waiting problems are to be evaluated at, as a new ``(count, n)``
        array of the run's dtype (the caller's to keep)."""
        cdef Py_ssize_t k, i, size = self.n * self.dtype.itemsize
        cdef cnp.ndarray out = np.empty((self.count, self.n), dtype=self.dtype)
        cdef char* data = <char*>cnp.PyArray_DATA(out)
        cdef Py_ssize_t[::1] waiting = self.waiting
        cdef int* requested = self.slots.requested
        for k in range(self.count):
            i = waiting[k]
            memcpy(data + k * size, self.x_addresses[2 * i + requested[i]], size)
        return out

    def give(self, grads, values, bint value_known, Py_ssize_t nfev, Py_ssize_t njev):
        """The evaluations of the waiting problems: ``grads`` a C-contiguous ``(count, n)``
        array of the run's dtype, ``values`` a float64 ``(count,)`` array (read when
        ``value_known``); each problem counts ``nfev`` calls of ``fun`` and ``njev``
        gradients. A problem whose value is not finite ends as a single run does (status 5,
        at its last good iterate)."""
        cdef Py_ssize_t k, i, size = self.n * self.dtype.itemsize
        cdef cnp.ndarray checked = grads
        cdef const char* data = <const char*>cnp.PyArray_DATA(checked)
        cdef const double* known = NULL
        cdef Py_ssize_t[::1] waiting = self.waiting
        cdef Slots slots = self.slots
        cdef double value
        if value_known:
            known = <const double*>cnp.PyArray_DATA(values)
        for k in range(self.count):
            i = waiting[k]
            memcpy(self.grad_addresses[2 * i + slots.requested[i]], data + k * size, size)
            slots.nfev[i] += nfev
            slots.njev[i] += njev
            value = known[k] if value_known else NAN
            slots.known[i] = value_known
            slots.value[i] = value
            slots.outcome[i] = NOT_FINITE if value_known and not isfinite(value) else EVALUATED
            slots.given[i] = True

    def run_native(self, callable, int threads=1):
        """Run every problem to its end, evaluated by ``callable``, a `scipy.LowLevelCallable`
        of ``kernels/objective.pxd``'s ``batch_objective_function`` (float64 runs), the whole
        loop without the GIL: one call per iteration, or with ``threads`` > 1 one call per
        thread of the process's pool, each given a consecutive share of the waiting problems
        (the function must then be safe to call from several threads at once). When a call
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
            self.native = (np.empty((self.m, self.n)), np.empty((self.m, self.n)),
                           np.empty(self.m), np.zeros((MAX_THREADS, self.m), dtype=np.uint8))
        for t in range(MAX_THREADS):
            calls[t].function, calls[t].user_data = function, user_data
            calls[t].m, calls[t].n = <int>self.m, <int>self.n
            calls[t].X = <double*>cnp.PyArray_DATA(self.native[0])
            calls[t].grad = <double*>cnp.PyArray_DATA(self.native[1])
            calls[t].values = <double*>cnp.PyArray_DATA(self.native[2])
            calls[t].active = <unsigned char*>cnp.PyArray_DATA(self.native[3]) + t * self.m
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
                returned = self.call_native(calls, threads)
                if returned != 0:
                    break
        if returned != 0:
            raise RuntimeError(f"the batched objective returned {returned}, not 0")

    cdef int call_native(self, NativeCall* calls, int threads) noexcept nogil:
        # The waiting problems' evaluation by the C-level objective of `calls`, given back:
        # 0, or the nonzero a call returned (nothing is then given).
        cdef Py_ssize_t k, i, j, n = self.n, size = self.n * sizeof(double)
        cdef int count = max(1, min(threads, usable_cpus(), <int>MAX_THREADS, <int>self.count))
        cdef int returned = 0, t
        cdef double* X = <double*>calls[0].X
        cdef double* grad = calls[0].grad
        cdef double* values = calls[0].values
        cdef unsigned char* active = <unsigned char*>calls[0].active
        cdef int* requested = self.slots.requested
        cdef Py_ssize_t* nfev = self.slots.nfev
        cdef Py_ssize_t* njev = self.slots.njev
        cdef unsigned char* known = self.slots.known
        cdef unsigned char* given = self.slots.given
        cdef double* value = self.slots.value
        cdef int* outcome = self.slots.outcome
        for k in range(self.count):
            i = self.waiting_data[k]
            memcpy(X + i * n, self.x_addresses[2 * i + requested[i]], size)
            # NaN first: a row the function leaves unwritten stops its problem as non-finite.
            for j in range(n):
                grad[i * n + j] = NAN
            values[i] = NAN
            # Thread t takes the t-th consecutive share of the waiting problems.
            active[(k * count // self.count) * self.m + i] = 1
        for t in range(count):
            calls[t].returned = 0
        if count == 1:
            native_call(calls, 0)
        else:
            run_chunks(native_call, calls, count)
        for t in range(count):
            returned = returned if returned != 0 else calls[t].returned
        for k in range(self.count):
            i = self.waiting_data[k]
            active[(k * count // self.count) * self.m + i] = 0
            if returned != 0:
                continue
            memcpy(self.grad_addresses[2 * i + requested[i]], grad + i * n, size)
            nfev[i] += 1
            njev[i] += 1
            known[i] = True
            value[i] = values[i]
            outcome[i] = EVALUATED if isfinite(values[i]) else NOT_FINITE
            given[i] = True
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
            self.slots.outcome[i] = RAISED
            self.slots.given[i] = True
