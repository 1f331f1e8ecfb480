"""``minimize_batch``: m independent problems, one native loop, one call of a vectorised
objective per iteration, each problem's run bit for bit the one `minimize` makes of it."""

from __future__ import annotations

import copy
import gc
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .._checks.constraints import Flag
from .._checks.errors import argument, invalid, summary
from .._core.batch import Batch, BatchRow, Slots
from .._core.driver import RAISED, plateau_state
from .._core.kernel import AVERAGING_CODES
from .._core.method_kernels import new_kernel
from .._core.sources import Workspace
from .._methods.method import Method
from .._methods.registry import get_method
from ..schedules import ReduceOnPlateau
from .arguments import check_arguments
from .minimize import new_loop
from .native import check_native_arguments, is_native
from .objective import as_scalar
from .state import as_state_dict, new_state, rows_used
from .status import Status, nonfinite_detail

__all__ = ["BatchResult", "minimize_batch"]

# The options a batch takes besides the method's step options: the termination tests.
_TERMINATION = ("maxiter", "maxfev", "gtol", "ftol", "xtol")


class BatchResult(OptimizeResult):
    """The result of `minimize_batch`: an `OptimizeResult` whose fields hold one entry per
    problem (``x`` and ``jac`` of shape ``(m, n)``; ``fun``, ``nit``, ``nfev``, ``njev``,
    ``status`` and ``success`` of shape ``(m,)``; ``message`` a list), and ``res[i]`` the
    `OptimizeResult` `minimize` returns for problem i alone (its state included).

    Examples
    --------
    >>> import numpy as np, rmsopt
    >>> centers = np.array([[1.0, 2.0], [-1.0, 0.5]])
    >>> res = rmsopt.minimize_batch(lambda X, C: ((X - C) ** 2).sum(1), np.zeros((2, 2)),
    ...                             jac=lambda X, C: 2 * (X - C), args=(centers,))
    >>> len(res), res.x.shape, res[1].x.shape, bool(res[1].success)
    (2, (2, 2), (2,), True)
    """

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self._row(int(key))
        return super().__getitem__(key)

    def __len__(self) -> int:
        return int(self["x"].shape[0])

    def _row(self, i: int) -> OptimizeResult:
        m = len(self)
        if not -m <= i < m:
            raise IndexError(f"problem {i} of a batch of {m}")
        i %= m
        return self._row_maker(self, i)


def minimize_batch(
    fun: Callable[..., Any],
    X0: Any,
    args: Any = (),
    method: str = "rmsprop",
    jac: Callable[..., Any] | bool | None = None,
    bounds: Any = None,
    tol: float | None = None,
    options: dict[str, Any] | None = None,
    *,
    vectorized: bool = True,
) -> BatchResult:
    """Minimize m independent problems at once: one native loop advances every problem, and
    one call of a vectorised objective evaluates all that are still running.

    Each problem stops on its own (``gtol``, ``ftol``, ``xtol``, ``maxiter``, ``maxfev``, a
    non-finite value, gradient or step) and is then neither stepped nor evaluated again.
    Problem i's run is the one ``rmsopt.minimize(fun_i, X0[i], ...)`` makes with the same
    method and options, bit for bit: every method and option (schedules, clipping, bounds,
    weight decay, averaging), float32 and float64.

    Parameters
    ----------
    fun : callable
        Vectorised (``vectorized=True``): ``fun(X, *args)`` with ``X`` of shape ``(k, n)``,
        the k problems still running (in row order), returns their k values; with
        ``jac=True`` it returns ``(values, gradients)``, the gradients of shape ``(k, n)``.
        With ``vectorized=False``, ``fun(x, *args_i)`` is the single problem's objective,
        called once per running problem (as `minimize` calls it). Or a
        `scipy.LowLevelCallable` of the signature ``int (int m, int n, const double *X,
        double *grad, double *values, const unsigned char *active, void *user_data)``
        (``rmsopt/kernels/objective.pxd``): called once per iteration without the GIL with
        every problem's row of ``X`` (m x n), it writes the value and gradient of each row
        whose ``active`` flag is set and returns 0 (nonzero: it failed, and the batch
        raises); data goes through ``user_data``, float64 only. The ``threads`` option
        then splits each call across that many threads, each given a consecutive share of
        the running problems (the function must be safe to call concurrently).
    X0 : array_like, shape (m, n)
        The start points, one row per problem; float32 stays float32, other reals become
        float64.
    args : tuple
        Extra arguments. An array whose first axis has length m holds one entry per problem
        and is sliced: the running problems' rows go to a vectorised call, row i to problem
        i's call. Anything else is passed whole to every call.
    method : str
        A method name of `minimize` (``rmsopt.show_options()`` lists them).
    jac : callable or True
        ``jac(X, *args)`` returning the ``(k, n)`` gradients (``jac(x, *args_i)`` with
        ``vectorized=False``), or True when ``fun`` returns them. Finite differences are not
        taken for a batch.
    bounds : sequence or `scipy.optimize.Bounds`, optional
        The box every problem is kept in, as in `minimize`.
    tol : float, optional
        ``gtol`` when that is not given, as in `minimize`.
    options : dict, optional
        The method's step options and the termination options ``maxiter``, ``maxfev``,
        ``gtol``, ``ftol``, ``xtol`` (`minimize`'s defaults, the default learning rate
        included: each problem's ``reduce_on_plateau`` observes its own values). With
        ``threads`` k > 1, the batch's own work splits over k threads of rmsopt's pool:
        shares of at least 1024 problems advance at once, and the steps of all the problems
        (one vector of m x n elements) split as `minimize`'s steps do; the iterates do not
        change.
    vectorized : bool
        Whether ``fun`` and ``jac`` take all running problems at once (default) or one.

    Returns
    -------
    res : BatchResult
        ``res.x``, ``res.jac`` of shape ``(m, n)``; ``res.fun``, ``res.nit``, ``res.nfev``,
        ``res.njev``, ``res.status``, ``res.success`` of shape ``(m,)``; ``res.message`` a
        list; ``res[i]`` the `OptimizeResult` of problem i alone. When ``fun`` or ``jac``
        raises, the exception is re-raised with what the batch completed as ``err.result``.

    Notes
    -----
    ``nfev`` and ``njev`` count each problem's evaluations as `minimize` counts its calls:
    a vectorised call counts once for every problem in it.

    Examples
    --------
    Fit y = a exp(-k t) to three curves at once:

    >>> import numpy as np, rmsopt
    >>> t = np.linspace(0.0, 2.0, 20)
    >>> Y = np.array([2.0, 1.0, 3.0])[:, None] * np.exp(-np.array([1.0, 0.5, 2.0])[:, None] * t)
    >>> def fun(P, Y):  # P: (k, 2) rows (a, k), Y: the k curves
    ...     e = np.exp(-P[:, 1:] * t)
    ...     r = P[:, :1] * e - Y
    ...     grad = np.stack([(r * e).mean(1), -(r * P[:, :1] * t * e).mean(1)], axis=1)
    ...     return 0.5 * (r**2).mean(1), grad
    >>> res = rmsopt.minimize_batch(fun, np.ones((3, 2)), jac=True, args=(Y,))
    >>> res.status.tolist(), np.round(res.x, 3).tolist()
    ([0, 0, 0], [[2.0, 1.0], [1.0, 0.5], [3.0, 2.0]])
    """
    method = get_method(method)
    vectorized = bool(Flag().check(vectorized, argument("vectorized")))
    X = _start_points(X0)
    m, n = X.shape
    args = args if isinstance(args, tuple) else (args,)
    shared = [not _per_problem(arg, m) for arg in args]
    native = is_native(fun)
    if native:
        _check_native(fun, X, args, jac)
        jac = True
    combined = jac is True or (
        isinstance(jac, (int, np.integer)) and jac == 1 and not callable(jac)
    )
    if not (combined or callable(jac)):
        raise invalid(
            ValueError,
            argument("jac"),
            "a callable or True (minimize_batch takes no finite differences)",
            summary(jac),
        )
    jac = True if combined else jac
    options = dict(options or {})
    for name in options:
        if name not in _accepted(method):
            raise invalid(
                TypeError,
                f"The {name!r} option of minimize_batch",
                f"one of the method's step options or {', '.join(map(repr, _TERMINATION))}",
                "an option it does not take",
            )
    run = check_arguments(
        method,
        _NATIVE_STANDIN if native else fun,
        X[0],
        _row_args(args, shared, 0),
        jac,
        bounds,
        None,
        tol,
        options,
    )
    settings = run.settings
    if run.box is not None:
        np.clip(X, run.box[0], run.box[1], out=X)
    schedule = settings["learning_rate"]
    observes = getattr(schedule, "needs_loss", False)
    plateau = schedule if observes and type(schedule) is ReduceOnPlateau else None
    if observes and plateau is None:
        raise invalid(
            ValueError,
            method.subject("learning_rate"),
            "a float, a schedule of the step count, or reduce_on_plateau in minimize_batch",
            f"{type(schedule).__name__}, which observes the loss",
        )
    need_value = observes or settings["ftol"] > 0
    slots = Slots(m)
    # m loops, workspaces and sources hold no cycles: the collector's passes over them while
    # they are made would cost more than making them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        batch, blocks = _batch(method, run, X, plateau, slots)
    finally:
        if collecting:
            gc.enable()
    evaluate = _Evaluator(fun, jac, args, shared, vectorized, need_value, X.dtype, n)
    error = None
    if native:
        try:
            batch.run_native(fun)
        except BaseException as raised:  # a failing objective, or Ctrl-C: re-raised below
            error = raised
            batch.fail(raised)
            batch.advance()  # the waiting problems end, as runs whose objective raised
    while not native and batch.advance():
        X_waiting = batch.gather()
        waiting = batch.waiting[: batch.count].copy()
        try:
            values, grads = evaluate(X_waiting, waiting)
        except BaseException as raised:  # re-raised below with what the batch completed
            error = error or raised
            batch.fail(raised)
            continue
        batch.give(grads, values, values is not None, evaluate.nfev, 1)
    nfev, njev = slots.counts()
    result = _result(method, run, batch, blocks, nfev, njev, evaluate, plateau, error)
    if error is not None:
        _attach(error, result)
        raise error
    return result


# What the front door checks a C-level batch's options with: its own checks are here.
def _NATIVE_STANDIN(x: Any) -> float:
    return 0.0


# The C-level batched objective's signature (kernels/objective.pxd), as SciPy spells it once
# spaces and const qualifiers are removed.
NATIVE_SIGNATURE = (
    "int (int m, int n, const double *X, double *grad, double *values, "
    "const unsigned char *active, void *user_data)"
)
# (ctypes spells unsigned char "ubyte", cffi and Cython "unsigned char" or "uint8_t".)
_NATIVE_ACCEPTED = {
    f"int(int,int,double*,double*,double*,{flag}*,void*)"
    for flag in ("unsignedchar", "ubyte", "uint8_t")
}


def _check_native(fun: Any, X: np.ndarray, args: tuple, jac: Any) -> None:
    """Refuse what a C-level batched objective cannot do, naming the argument."""
    spelled = "".join(fun.signature.replace("const", "").split())
    if spelled not in _NATIVE_ACCEPTED:
        accepted = f"a LowLevelCallable with the signature {NATIVE_SIGNATURE!r}"
        raise invalid(ValueError, argument("fun"), accepted, f"the signature {fun.signature!r}")
    check_native_arguments(X, args, jac, "X0")


def _accepted(method: Method) -> set[str]:
    return {option.name for option in method.step_options} | set(_TERMINATION)


def _start_points(X0: Any) -> np.ndarray:
    """A fresh, C-contiguous ``(m, n)`` copy of ``X0``: float32 stays float32, other reals
    become float64."""
    subject = argument("X0")
    accepted = "a 2-D array of real numbers of shape (m, n), m and n at least 1"
    if isinstance(X0, np.ma.MaskedArray):
        raise invalid(TypeError, subject, accepted, "a masked array")
    try:
        array = np.asarray(X0)
    except (TypeError, ValueError):
        raise invalid(TypeError, subject, accepted, summary(X0)) from None
    if array.dtype.kind not in "fiu" or array.dtype.kind == "f" and array.dtype.itemsize > 8:
        raise invalid(TypeError, subject, accepted, f"an array of dtype {array.dtype}")
    if array.ndim != 2 or 0 in array.shape:
        raise invalid(ValueError, subject, accepted, f"an array of shape {array.shape}")
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    return np.array(array, dtype=dtype, order="C", copy=True)


def _per_problem(arg: Any, m: int) -> bool:
    """Whether an extra argument holds one entry per problem: an array of first axis m."""
    return isinstance(arg, np.ndarray) and arg.ndim >= 1 and arg.shape[0] == m


def _row_args(args: tuple, shared: list[bool], rows: Any) -> tuple:
    """The extra arguments of the problems ``rows`` (an index, or an increasing index array):
    views while the rows are consecutive (all of them, at first), copies after."""
    if isinstance(rows, np.ndarray) and rows.size and rows[-1] - rows[0] + 1 == rows.size:
        rows = slice(int(rows[0]), int(rows[-1]) + 1)
    return tuple(arg if whole else arg[rows] for arg, whole in zip(args, shared, strict=True))


def _steps_together(method: Method, run: Any) -> bool:
    """Whether the batch can step its problems together (Batch's docstring): an
    element-wise kernel, without clipnorm (each problem's own norm) or a box."""
    return method.matrix is None and run.clipnorm == math.inf and run.box is None


def _batch(
    method: Method,
    run: Any,
    X: np.ndarray,
    plateau: ReduceOnPlateau | None,
    slots: Slots,
) -> tuple[Batch, tuple]:
    """The batch of one loop per problem, each made as `minimize` makes its run's (without
    a callback, a history or a state to resume), and the blocks that hold their buffers:
    ``(iterates, states, gradients, averages, per_problem)``, ``per_problem`` the states as
    (buffer, problem, row, element)."""
    settings = run.settings
    m, n = X.shape
    clipping = run.clipnorm < math.inf or run.clipvalue < math.inf
    averaging = AVERAGING_CODES[settings["averaging"]]
    together = _steps_together(method, run)
    # One kernel for every problem: the problems are all at the same step count (a kernel's
    # run scalars, NAdam's, follow the count); an element-wise kernel steps them together,
    # and a whole-array kernel's scratch serves each problem in turn, on one thread.
    kernel = new_kernel(method.kernel, method.kernel_settings(settings))
    kernel.reserve(n, X.itemsize, clipping=clipping)
    rows = rows_used(kernel.rows_written)
    # Every problem's buffers in shared blocks, problem after problem: the loop over the
    # problems walks through memory in order, and buffer b's rows of consecutive problems
    # are one vector (Batch's docstring).
    iterates = np.empty((2, m, n), dtype=X.dtype)
    iterates[0] = X
    state0 = new_state(method, settings, n, X.dtype, rows)
    if together:
        states = np.empty((2, rows, m, n), dtype=X.dtype)
        states[:] = state0[:, None, :]
    else:
        states = np.empty((2, m, rows, n), dtype=X.dtype)
        states[:] = state0
    # (buffer, problem, row, element) in both layouts: views, not copies.
    per_problem = states.transpose(0, 2, 1, 3) if together else states
    gradients = np.full((2, m, n), np.nan, dtype=X.dtype)
    averages = X.copy() if averaging else None
    # The runs' settings, from a loop made on a workspace of its own (never run).
    template = new_loop(
        run, kernel, BatchRow(slots, 0), Workspace(X[0].copy(), state0), plateau,
        average=None if averages is None else averages[0],
    )  # fmt: skip
    batch = Batch(
        template, slots, (iterates, states, gradients), together, averages, settings["threads"]
    )
    return batch, (iterates, states, gradients, averages, per_problem)


class _Evaluator:
    """The user's functions on the waiting problems: ``(values or None, gradients)``, the
    values a float64 ``(k,)`` array when ``fun`` was called, the gradients a C-contiguous
    ``(k, n)`` array of the run's dtype. ``nfev`` is what one evaluation counts per
    problem (1 when ``fun`` is called)."""

    def __init__(
        self,
        fun: Callable[..., Any],
        jac: Any,
        args: tuple,
        shared: list[bool],
        vectorized: bool,
        need_value: bool,
        dtype: np.dtype,
        n: int,
    ) -> None:
        self.fun, self.jac, self.args, self.shared = fun, jac, args, shared
        self.vectorized, self.need_value = vectorized, need_value
        self.dtype, self.n = dtype, n
        self.nfev = 1 if (jac is True or need_value) else 0

    def __call__(self, X: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        if not self.vectorized:
            return self._one_by_one(X, rows)
        args = _row_args(self.args, self.shared, rows)
        k = X.shape[0]
        if self.jac is True:
            returned = self.fun(X, *args)
            if not isinstance(returned, (tuple, list)) or len(returned) != 2:
                raise invalid(
                    TypeError,
                    "With jac=True, the value returned by 'fun'",
                    "a pair (values, gradients)",
                    f"{type(returned).__name__}",
                )
            values, grads = returned
        else:
            values = self.fun(X.copy(), *args) if self.need_value else None
            grads = self.jac(X, *args)
        return (
            None if values is None else self._values(values, k),
            self._gradients(grads, k, "'fun' (with jac=True)" if self.jac is True else "'jac'"),
        )

    def values(self, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``fun`` alone at the problems ``rows`` (the value a run reports at its end when it
        never needed it)."""
        if not self.vectorized:
            pairs = zip(X, rows, strict=True)
            return np.array(
                [self._value_of(x, _row_args(self.args, self.shared, i)) for x, i in pairs]
            )
        returned = self.fun(X, *_row_args(self.args, self.shared, rows))
        if self.jac is True:
            returned = returned[0]
        return self._values(returned, X.shape[0])

    def _value_of(self, x: np.ndarray, args: tuple) -> float:
        returned = self.fun(x.copy(), *args)
        return as_scalar(returned[0] if self.jac is True else returned)

    def _one_by_one(self, X: np.ndarray, rows: np.ndarray) -> tuple[Any, np.ndarray]:
        values = np.empty(X.shape[0]) if self.nfev else None
        grads = np.empty_like(X)
        for k, (x, i) in enumerate(zip(X, rows, strict=True)):
            args = _row_args(self.args, self.shared, i)
            if self.jac is True:
                value, grad = self.fun(x.copy(), *args)
            else:
                value = self.fun(x.copy(), *args) if self.need_value else None
                grad = self.jac(x.copy(), *args)
            if values is not None:
                values[k] = as_scalar(value)
            grads[k] = self._gradients(np.asarray(grad)[None], 1, "the gradient")[0]
        return values, grads

    def _values(self, values: Any, k: int) -> np.ndarray:
        array = np.asarray(values)
        if array.shape != (k,) or array.dtype.kind not in "fiub":
            raise invalid(
                ValueError,
                "The values returned by 'fun'",
                f"an array of {k} real numbers, one per problem evaluated",
                f"an array of shape {array.shape} and dtype {array.dtype}",
            )
        return np.ascontiguousarray(array, dtype=np.float64)

    def _gradients(self, grads: Any, k: int, source: str) -> np.ndarray:
        array = np.asarray(grads)
        if array.shape != (k, self.n) or array.dtype.kind not in "fiu":
            raise invalid(
                ValueError,
                f"The gradients returned by {source}",
                f"an array of shape ({k}, {self.n}), one row per problem evaluated",
                f"an array of shape {array.shape} and dtype {array.dtype}",
            )
        return np.ascontiguousarray(array, dtype=self.dtype)


def _result(
    method: Method,
    run: Any,
    batch: Batch,
    blocks: tuple,
    nfev: np.ndarray,
    njev: np.ndarray,
    evaluate: _Evaluator,
    plateau: ReduceOnPlateau | None,
    error: BaseException | None,
) -> BatchResult:
    """Every problem's result as `minimize` packages its run's."""
    iterates, _, gradients, averages, states = blocks
    codes = batch.codes
    m = batch.m
    current, nits, values, known, n_averaged = batch.finals()
    every = np.arange(m)
    X = iterates[current, every]
    grads = gradients[current, every]
    final_states = states[current, every]
    # A run that never needed fun's value reports it at its end, one more call of fun (not
    # after the user's code raised: it is not called again).
    unknown = ~known & (codes != RAISED)
    if error is None and np.any(unknown):
        rows = np.flatnonzero(unknown)
        values[rows] = evaluate.values(X[rows], rows)
        nfev[rows] += 1
    finite = np.isfinite(values) & np.all(np.isfinite(grads), axis=1)
    statuses = np.where(codes == RAISED, int(Status.ERROR), codes)
    statuses = np.where((codes != RAISED) & ~finite, int(Status.NONFINITE), statuses)
    codes_seen, which = np.unique(statuses, return_inverse=True)
    kinds = [Status(int(code)) for code in codes_seen]
    messages = [kinds[k].message for k in which.tolist()]
    for i in np.flatnonzero(statuses == int(Status.NONFINITE)):
        why = batch.failure(i)
        if why is not None:
            kind, buffer, value = why
            grad = gradients[buffer, i] if kind == "gradient" else None
            state = states[buffer, i] if kind == "step" else None
            why = kind, iterates[buffer, i], grad, state, value
            rows = method.state[: final_states.shape[1]]
            messages[i] += " " + nonfinite_detail(why, int(nits[i]), X[i], rows)
    success = np.array([kind.success for kind in kinds], dtype=bool)[which]
    plateaus = [plateau_state(loop) for loop in batch.loops] if plateau is not None else None
    settings = run.settings

    rows = _Rows(
        method.name,
        {option.name: settings[option.name] for option in method.step_options},
        settings,
        plateaus,
        final_states,
        averages,
        n_averaged,
    )

    result = BatchResult(
        x=X,
        fun=values,
        jac=grads,
        nit=nits,
        nfev=nfev,
        njev=njev,
        status=statuses,
        success=success,
        message=messages,
    )
    object.__setattr__(result, "_row_maker", rows)  # an attribute, not a field
    if averages is not None:
        result.x_average = averages
    elif method.average_row is not None:
        result.x_average = final_states[:, method.state.index(method.average_row)].copy()
    return result


class _Rows:
    """What ``res[i]`` needs beyond the batch's arrays: each problem's state, average and
    schedule, and the step options (picklable, as the result is)."""

    def __init__(
        self,
        method: str,
        options: dict,
        settings: dict,
        plateaus: list | None,
        states: np.ndarray,
        averages: np.ndarray | None,
        n_averaged: np.ndarray,
    ) -> None:
        self.method, self.options, self.settings = method, options, settings
        self.plateaus, self.states = plateaus, states
        self.averages, self.n_averaged = averages, n_averaged

    def __call__(self, result: BatchResult, i: int) -> OptimizeResult:
        method = get_method(self.method)
        options = copy.deepcopy(self.options)
        if self.plateaus is not None:
            options["learning_rate"].load_state_dict(self.plateaus[i])
        nit = int(result.nit[i])
        row = OptimizeResult(
            x=result.x[i].copy(),
            fun=float(result.fun[i]),
            jac=result.jac[i].copy(),
            nit=nit,
            nfev=int(result.nfev[i]),
            njev=int(result.njev[i]),
            status=int(result.status[i]),
            success=bool(result.success[i]),
            message=result.message[i],
            state=as_state_dict(
                method, nit, self.states[i].copy(), None, self.settings, options=options
            ),
        )
        if self.averages is not None:
            row.x_average = self.averages[i].copy()
            row.state.update(x_average=self.averages[i].copy(), n_averaged=int(self.n_averaged[i]))
        elif method.average_row is not None:
            row.x_average = row.state[method.average_row].copy()
        return row


def _attach(error: BaseException, result: BatchResult) -> None:
    """``result`` as ``error.result``, as `minimize` attaches a run's."""
    try:
        error.result = result
    except AttributeError:
        return
    if hasattr(error, "add_note"):
        error.add_note(
            "rmsopt: the batch stopped; what every problem completed is in this exception's "
            ".result (a BatchResult)."
        )
