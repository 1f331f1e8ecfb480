"""Where a run's gradients come from: a Python objective, a C-level objective (a
`scipy.LowLevelCallable`), or minibatches of a Python objective; and the buffers the loop
steps through (see ``sources.pxd``).

Python code runs only inside ``with gil`` blocks, so a source works whether the loop holds the
GIL or not; whatever the user's code raises is kept in ``error`` for the loop's caller to
re-raise, never lost and never printed.
"""
import numpy as np

from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.exc cimport PyErr_Clear
from cpython.pycapsule cimport PyCapsule_GetContext, PyCapsule_GetName, PyCapsule_GetPointer
from libc.math cimport INFINITY, NAN, isfinite

from rmsopt.kernels.objective cimport objective_function

from .termination cimport (
    BATCHES_EXHAUSTED,
    CALLBACK_STOP,
    CONTINUE,
    EARLY_STOP,
    EPOCHS,
    EXCEPTION,
    NONFINITE,
)


cdef class Workspace:
    """The buffers of a run: ``x0`` (1-D, float32 or float64, not empty) and ``state0``
    (``(rows, n)`` of the same dtype, C-contiguous) become the first iterate and state buffers
    without a copy (the caller hands them over) and the second ones are allocated. Gradient
    buffers are made when a source needs them: a Python objective's gradient that nothing
    else holds is kept as it is."""

    def __init__(self, x0, state0):
        cdef int i
        self.n, self.rows = x0.shape[0], state0.shape[0]
        self.is_float = x0.dtype == np.float32
        self.dtype = x0.dtype
        self.x_rows = (x0, np.empty_like(x0))
        self.grad_rows = [None, None]
        self.own_grads = [None, None]
        # Rows a configuration never writes must hold their values in both halves.
        self.state_blocks = (state0, state0.copy())
        for i in range(2):
            self.x[i] = address(self.x_rows[i])
            self.grad[i] = NULL
            self.state[i] = address(self.state_blocks[i])

    cdef void own_gradient(self, int buffer):
        # Make gradient buffer `buffer` the workspace's own array (allocated once).
        if self.own_grads[buffer] is None:
            self.own_grads[buffer] = np.empty(self.n, dtype=self.dtype)
            self.own_addresses[buffer] = address(self.own_grads[buffer])
        self.grad_rows[buffer] = self.own_grads[buffer]
        self.grad[buffer] = self.own_addresses[buffer]

    cdef void take_gradient(self, int buffer, object grad, bint private):
        # `grad` (x's shape) as gradient buffer `buffer`: kept as it is when nothing else holds
        # it and it is an aligned, contiguous, writable array of the run's dtype (no copy),
        # else copied into the workspace's own buffer, cast as NumPy assignment casts.
        cdef void* data = NULL
        if private and grad.dtype == self.dtype:
            data = contiguous_address(grad, self.dtype.itemsize)
        if data != NULL:
            self.grad_rows[buffer] = grad
            self.grad[buffer] = data
        else:
            self.own_gradient(buffer)
            self.own_grads[buffer][...] = np.nan if grad is None else grad


cdef void* contiguous_address(array, Py_ssize_t itemsize):
    # The data address of `array` when it is C-contiguous, writable and aligned, else NULL
    # (one buffer request: cheaper than reading its flags from Python).
    cdef Py_buffer view
    cdef void* data
    if PyObject_GetBuffer(array, &view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) != 0:
        PyErr_Clear()
        return NULL
    data = view.buf
    PyBuffer_Release(&view)  # the array stays alive: the workspace keeps it
    if <size_t>data % itemsize != 0:
        return NULL
    return data


cdef void* address(array) except NULL:
    # The first element's address of a C-contiguous, non-empty float32 or float64 array.
    cdef float[::1] floats
    cdef double[::1] doubles
    flat = array.reshape(-1)
    if flat.dtype == np.float32:
        floats = flat
        return &floats[0]
    doubles = flat
    return &doubles[0]


cdef class Source:
    """What every source has: the loop's buffers (``bind``), the count of calls of ``fun``,
    the last value, and what the user's code raised."""

    def bind(self, Workspace workspace):
        """Evaluate into ``workspace``'s buffers from now on."""
        self.workspace = workspace

    @property
    def nfev(self):
        return self.nfev

    cdef int evaluate(self, int buffer) noexcept nogil:
        return RAISED  # every source overrides it

    cdef bint epoch_complete(self) noexcept nogil:
        return False

    cdef int end_epoch(self, int current, Py_ssize_t nit) noexcept nogil:
        return CONTINUE

    def reported(self, int current, Py_ssize_t nit):
        """``(x, state, nit)``: the iterate the run reports and its state (the workspace's
        buffers, which the run no longer uses), and the iteration it was reached at; for
        whole objectives, the last one."""
        return (self.workspace.x_rows[current], self.workspace.state_blocks[current], nit)


cdef class PythonObjective(Source):
    """A Python objective (``objective.gradient(x, need_value, args)`` returning the value, or
    None when not asked for and not free, the gradient and whether nothing else holds it;
    ``objective.nfev`` counting the calls of ``fun``) evaluated on its own arguments.
    ``need_value``: evaluate ``fun`` at every iterate."""

    cdef object objective
    cdef bint need_value

    def __init__(self, objective, bint need_value):
        self.objective = objective
        self.need_value = need_value
        self.full_data = True
        self.needs_gil = True

    cdef int evaluate(self, int buffer) noexcept nogil:
        with gil:
            return self.call(buffer, None)

    cdef int call(self, int buffer, object batch):
        # With the GIL: the user's functions at x[buffer], on `batch` (None: their own args).
        cdef object value, grad
        cdef bint private
        try:
            value, grad, private = self.objective.gradient(self.workspace.x_rows[buffer],
                                                           self.need_value, batch)
            self.workspace.take_gradient(buffer, grad, private)
        except BaseException as error:  # re-raised by the loop's caller, with the run so far
            self.error = error
            return RAISED
        finally:
            self.nfev = self.objective.nfev
        self.value_known = value is not None
        self.value = value if self.value_known else NAN
        if self.value_known and not isfinite(self.value):
            return NOT_FINITE
        return EVALUATED


cdef class NativeObjective(Source):
    """A C function pointer and its ``user_data`` taken from a `scipy.LowLevelCallable` of
    ``rmsopt/kernels/objective.pxd``'s signature (kept alive here), evaluated without the
    GIL; it always gives the value with the gradient."""

    cdef objective_function function
    cdef void* user_data
    cdef readonly object callable

    def __cinit__(self, callable):
        # SciPy keeps the parsed callback as the tuple's first item: a capsule named by the
        # signature, holding the function pointer, with user_data as its context (what SciPy's
        # own ccallback.h reads).
        capsule = tuple.__getitem__(callable, 0)
        self.function = <objective_function>PyCapsule_GetPointer(
            capsule, PyCapsule_GetName(capsule)
        )
        self.user_data = PyCapsule_GetContext(capsule)
        self.callable = callable
        self.full_data = True
        self.needs_gil = False
        self.value_known = True

    def bind(self, Workspace workspace):
        """Evaluate into ``workspace``'s buffers from now on; the C function writes the
        gradient into the workspace's own."""
        Source.bind(self, workspace)
        workspace.own_gradient(0)
        workspace.own_gradient(1)

    @property
    def njev(self):
        return self.nfev

    cdef inline double call(self,
                            Py_ssize_t n,
                            const double* x,      # IN
                            double* grad,         # OUT
                            ) noexcept nogil:
        # NaN first: a function that leaves part of grad unwritten (a Python function behind
        # ctypes that raised writes nothing and returns 0) then stops the run as non-finite,
        # instead of stepping on an older gradient.
        cdef Py_ssize_t i
        for i in range(n):
            grad[i] = NAN
        self.nfev += 1
        return self.function(<int>n, x, grad, self.user_data)

    cdef int evaluate(self, int buffer) noexcept nogil:
        # (No local for the workspace: without the GIL, only its fields may be read.)
        cdef Py_ssize_t n = self.workspace.n
        cdef double* grad = <double*>self.workspace.grad[buffer]
        self.value = self.call(n, <const double*>self.workspace.x[buffer], grad)
        if not isfinite(self.value):
            return NOT_FINITE
        return EVALUATED

    def value_and_gradient(self, x):
        """``(value, gradient)`` at ``x`` (a float64 array), counted as a call."""
        cdef double[::1] point = np.array(x, dtype=np.float64, copy=True)
        grad = np.empty_like(np.asarray(point))
        cdef double[::1] grad_view = grad
        cdef Py_ssize_t n = point.shape[0]
        cdef double value
        # An empty view has no element 0 to take the address of.
        cdef const double* point_data = &point[0] if n > 0 else NULL
        cdef double* grad_data = &grad_view[0] if n > 0 else NULL
        with nogil:
            value = self.call(n, point_data, grad_data)
        return value, grad


cdef object _END = object()  # what next() returns when a pass has no more batches


cdef class Minibatches(PythonObjective):
    """A Python objective evaluated on minibatches: ``batches.epoch()`` gives an iterator over
    one pass (``batches.length`` batches, 0 when unknown), ``epochs`` passes are made. At the
    end of each pass ``validate(x) -> float`` (or None) is called, and with ``patience``
    (PY_SSIZE_T_MAX: never) the run ends after that many passes without an improvement larger
    than ``min_delta`` (larger is better when ``maximize``); the best validated iterate is
    kept and reported. ``on_epoch(x, epoch, nit, train_loss, val_fun)`` (or None) is called
    at the end of every pass, with the mean of its batch values (None when not evaluated);
    StopIteration from it ends the run with CALLBACK_STOP."""

    cdef object batches, iterator, validate, on_epoch
    cdef Py_ssize_t length, epochs, patience, waited
    cdef readonly Py_ssize_t completed, in_epoch
    cdef double loss_sum
    cdef Py_ssize_t losses
    cdef double min_delta, best_score
    cdef bint maximize
    cdef readonly list validation_values
    cdef object best               # (epoch, nit, x, state, average) of the best validated
    cdef object fallback           # (buffer, nit) reported when no epoch validated finitely
    cdef object average            # validate at this average of the iterates, or None

    def __init__(self, objective, bint need_value, batches, *, Py_ssize_t epochs, validate,
                 Py_ssize_t patience, double min_delta, bint maximize, on_epoch=None,
                 average=None):
        PythonObjective.__init__(self, objective, need_value)
        self.full_data = False
        self.batches = batches
        self.length = batches.length
        self.iterator = None
        self.in_epoch = 0
        self.completed = 0
        self.epochs = epochs
        self.validate = validate
        self.patience = patience
        self.min_delta = min_delta
        self.maximize = maximize
        self.waited = 0
        self.best_score = INFINITY
        self.validation_values = []
        self.best = None
        self.fallback = None
        self.on_epoch = on_epoch
        self.loss_sum = 0.0
        self.losses = 0
        self.average = average

    cdef bint epoch_complete(self) noexcept nogil:
        # A pass of known length ends without pulling a batch it will not use.
        return self.length > 0 and self.in_epoch >= self.length

    cdef int evaluate(self, int buffer) noexcept nogil:
        cdef int evaluation
        with gil:
            try:
                if self.iterator is None:
                    self.iterator = iter(self.batches.epoch())
                batch = next(self.iterator, _END)
            except BaseException as error:
                self.error = error
                return RAISED
            if batch is _END:
                return EPOCH_ENDED
            self.in_epoch += 1
            evaluation = self.call(buffer, batch)
            if self.value_known:
                self.loss_sum += self.value
                self.losses += 1
            return evaluation

    cdef int end_epoch(self, int current, Py_ssize_t nit) noexcept nogil:
        with gil:
            return self.close_epoch(current, nit)

    cdef int close_epoch(self, int current, Py_ssize_t nit):
        cdef int code = self.epoch_outcome(current, nit)
        cdef object train_loss = self.loss_sum / self.losses if self.losses else None
        self.loss_sum, self.losses = 0.0, 0
        if self.on_epoch is None or code == BATCHES_EXHAUSTED or code == EXCEPTION:
            return code
        # (wraparound is off: no negative index)
        validated = (self.validation_values[len(self.validation_values) - 1]
                     if self.validate is not None else None)
        try:
            self.on_epoch(self.workspace.x_rows[current], self.completed, nit, train_loss,
                          validated)
        except StopIteration:
            return CALLBACK_STOP
        except BaseException as error:
            self.error = error
            return EXCEPTION
        return code

    cdef int epoch_outcome(self, int current, Py_ssize_t nit):
        cdef double validation_value, score
        if self.in_epoch == 0:  # the user's batches ran out (the source has warned)
            return BATCHES_EXHAUSTED
        self.completed += 1
        self.in_epoch = 0
        self.iterator = None
        if self.validate is not None:
            try:
                validation_value = self.validate(
                    self.workspace.x_rows[current] if self.average is None else self.average)
            except BaseException as error:
                self.error = error
                return EXCEPTION
            finally:
                self.nfev = self.objective.nfev  # held-out data is evaluated with fun
            self.validation_values.append(validation_value)
            if not isfinite(validation_value):
                if self.best is None:  # the step before is the last good iterate
                    self.fallback = (1 - current, nit - 1)
                return NONFINITE
            score = -validation_value if self.maximize else validation_value
            if score < self.best_score - self.min_delta:
                self.best_score, self.waited = score, 0
                self.best = (self.completed, nit, self.workspace.x_rows[current].copy(),
                             self.workspace.state_blocks[current].copy(),
                             None if self.average is None else self.average.copy())
            else:
                self.waited += 1
                if self.waited >= self.patience:
                    return EARLY_STOP
        return EPOCHS if self.completed >= self.epochs else CONTINUE

    def reported(self, int current, Py_ssize_t nit):
        """The best validated iterate when an epoch validated; else the last good one: the
        last, or the one before it when its validation was not finite."""
        if self.best is not None:
            _, best_nit, x, state, _ = self.best
            return x, state, best_nit
        if self.fallback is not None:
            buffer, fallback_nit = self.fallback
            return Source.reported(self, buffer, fallback_nit)
        return Source.reported(self, current, nit)

    @property
    def best_average(self):
        """The average of the iterates validated best (validate_average), or None."""
        return None if self.best is None else self.best[4]

    @property
    def best_epoch(self):
        """The epoch (from 1) whose end the reported iterate is, or None when no epoch
        validated."""
        return None if self.best is None else self.best[0]
