"""`minimize` and the SciPy custom-method functions: check the arguments once
(``arguments``), run the native loop on the right source of gradients, package the
result as a `scipy.optimize.OptimizeResult`."""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import scipy.optimize
from scipy.optimize import OptimizeResult

from .._checks.constraints import Flag
from .._checks.errors import argument
from .._checks.warn import warn
from .._core.driver import RAISED, Loop
from .._core.driver import failure as loop_failure
from .._core.driver import raised as raised_by
from .._core.driver import run as run_loop
from .._core.kernel import AVERAGING_CODES
from .._core.method_kernels import new_kernel
from .._core.sources import Minibatches, NativeObjective, PythonObjective, Workspace
from .._methods.method import Method
from .._methods.registry import METHODS, get_method
from ..schedules import ReduceOnPlateau
from .arguments import Run, check_arguments
from .callback import ResultCallback, adapt_epoch_callback
from .display import EpochLines, IterationLines, Notify, ProgressBar, chain
from .history import history_columns, new_history
from .state import as_state_dict, new_state, rows_used
from .status import Status, nonfinite_detail

__all__ = ["make_method_callable", "minimize", "show_options"]

try:  # where SciPy's minimize wraps fun for jac=True (a private class: absent, nothing unwraps)
    from scipy.optimize._optimize import MemoizeJac as _MemoizeJac
except ImportError:  # pragma: no cover
    _MemoizeJac = None


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: Any = (),
    method: str | Callable[..., Any] | None = "rmsprop",
    jac: Callable[..., Any] | str | bool | None = None,
    hess: Any = None,
    hessp: Any = None,
    bounds: Any = None,
    constraints: Any = (),
    tol: float | None = None,
    callback: Callable[..., Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> OptimizeResult:
    """Minimize a scalar function of one or more variables with an adaptive
    first-order method, following `scipy.optimize.minimize`'s conventions.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` with ``x`` a 1-D array; with ``jac=True``,
        ``fun(x, *args) -> (float, ndarray)``, the value and the gradient.
    x0 : array_like
        Initial guess: real numbers, 1-D (a scalar is one variable). Never
        modified. float32 runs in float32; any other real dtype in float64.
    args : tuple, optional
        Extra arguments passed to ``fun`` and ``jac``. In minibatch mode
        (option ``batch_size``) they are per-sample data, sliced along axis 0.
    method : str or callable, optional
        Case-insensitive method name; see `show_options`. Default (and None)
        ``"rmsprop"``. A callable is a custom method, called as
        `scipy.optimize.minimize` calls one (``rmsopt.rmsprop`` is one too).
    jac : callable, bool or {'2-point', '3-point', 'cs'}, optional
        ``jac(x, *args) -> ndarray`` of shape ``(n,)``; ``True`` when ``fun``
        returns the gradient with the value; a string or None (``'2-point'``)
        selects SciPy's finite differences.
    hess, hessp : optional
        Not used by first-order methods: given, they warn `RuntimeWarning`
        with SciPy's wording, as `scipy.optimize.minimize` does.
    bounds : `scipy.optimize.Bounds` or sequence of (min, max), optional
        Box constraints, enforced by projecting every iterate onto the box
        (``x0`` is clipped into it). ``None`` marks an open side.
    constraints : optional
        Not handled: non-empty constraints warn `RuntimeWarning`, as
        `scipy.optimize.minimize` does for methods without them.
    tol : float, optional
        Sets the ``gtol`` option when that is not given.
    callback : callable, optional
        Called after every iteration as ``callback(intermediate_result)`` (an
        `OptimizeResult` with ``x``, ``fun``, ``jac``, ``nit``) when its only
        parameter is named ``intermediate_result``, else as ``callback(xk)``.
        Raising ``StopIteration`` ends the run with status 99.
    options : dict, optional
        Method options; see the method's function (e.g. `rmsopt.rmsprop`).
        Unknown options warn `scipy.optimize.OptimizeWarning`. With no
        ``learning_rate``, a full-batch run's rate starts at the method's
        starting rate (0.1 for RMSprop) and is halved whenever ``fun`` has gone
        20 iterations without a new low, ``reduce_on_plateau(start,
        factor=0.5, patience=20, threshold=0)``, so that ordinary problems
        converge without tuning; ``fun`` is then evaluated at every iterate.
        The classes and minibatch runs step at the method's constant rate
        (torch's). ``maxiter`` is 10000 by default.

    Returns
    -------
    res : OptimizeResult
        ``x``, ``fun`` and ``jac`` (at ``x``), ``nit``, ``nfev``, ``njev``,
        ``status`` (see `rmsopt.Status`), ``success``, ``message``,
        ``state`` (the optimizer's state after the last step, which
        ``options={"state": res.state}`` with ``x0=res.x`` resumes from), and
        ``allvecs`` with ``return_all``. When a step produces a non-finite
        iterate, state, value or gradient, the run stops (status 5) and ``x``,
        ``fun``, ``jac`` and ``state`` are those of the last good iterate.
        With the ``averaging`` option, ``x_average`` is the average of the
        iterates (the state holds it, so a resumed run continues it); ASGD's
        ``x_average`` is its own average, the state row ``ax``.

        In minibatch mode (options ``batch_size`` or ``batches``; see
        docs/stochastic.md) ``fun`` and ``jac`` are those of the whole data at
        ``x`` (with ``batches``, of the last batch used), ``epochs`` counts the
        completed passes, and with a ``validation`` objective ``x`` and
        ``state`` are the best validated iterate's, the iterate at the end of
        epoch ``best_epoch`` with validation value ``val_fun``
        (``val_history`` lists every epoch's). When no epoch was validated,
        ``best_epoch`` and ``val_fun`` are None and ``x`` is the last good
        iterate.

    Examples
    --------
    With its defaults, RMSprop fits a decaying exponential to noisy data:

    >>> import numpy as np
    >>> import rmsopt
    >>> t = np.linspace(0.0, 4.0, 50)
    >>> y = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.01 * np.sin(7 * t)
    >>> def fun(p):
    ...     a, k, b = p
    ...     e = np.exp(-k * t)
    ...     r = a * e + b - y
    ...     return 0.5 * np.mean(r**2), np.array([r @ e, -a * (r @ (t * e)), r.sum()]) / t.size
    >>> res = rmsopt.minimize(fun, np.ones(3), jac=True)
    >>> res.success, np.round(res.x, 1)
    (True, array([2.5, 1.3, 0.5]))

    With a constant learning rate RMSprop ends its run hovering within about
    ``learning_rate`` of the minimiser (here of Rosenbrock's valley):

    >>> from scipy.optimize import rosen, rosen_der
    >>> res = rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der,
    ...                       options={"learning_rate": 1e-3, "maxiter": 50000})
    >>> res.message
    'Maximum number of iterations has been exceeded.'
    >>> bool(np.linalg.norm(res.x - 1.0) < 1e-2)
    True
    """
    if callable(method):
        # SciPy's handling of a custom method, exactly: its own minimize does it.
        return scipy.optimize.minimize(
            fun, x0, args, method, jac, hess, hessp, bounds, constraints, tol, callback, options
        )
    declared = get_method("rmsprop" if method is None else method)
    _warn_unused(method if method is not None else declared.name, hess, hessp, constraints)
    return solve(declared, fun, x0, args, jac, bounds, callback, tol, options)


def _warn_unused(method: Any, hess: Any, hessp: Any, constraints: Any) -> None:
    """SciPy's warnings, word for word, for arguments a first-order method does not use."""
    if hess is not None:
        warn(f"Method {method} does not use Hessian information (hess).", RuntimeWarning)
    if hessp is not None:
        warn(
            f"Method {method} does not use Hessian-vector product information (hessp).",
            RuntimeWarning,
        )
    if np.any(constraints):
        warn(f"Method {method} cannot handle constraints.", RuntimeWarning)


def _unwrap_memoized(fun: Any, jac: Any) -> tuple[Any, Any]:
    """``(fun, True)`` for the pair `scipy.optimize.minimize` makes of ``jac=True``
    (a caching ``MemoizeJac`` and its ``derivative``), so that every call of the user's
    function is counted and ``maxfev`` limits them; else ``(fun, jac)`` unchanged."""
    if (
        _MemoizeJac is not None
        and isinstance(fun, _MemoizeJac)
        and getattr(jac, "__self__", None) is fun
        and getattr(jac, "__func__", None) is _MemoizeJac.derivative
    ):
        return fun.fun, True
    return fun, jac


def make_method_callable(method: Method) -> Callable[..., OptimizeResult]:
    """The public function for ``method``, in SciPy's custom-method form:
    ``scipy.optimize.minimize(fun, x0, method=rmsopt.<name>, ...)`` calls it with
    ``fun, x0, args, jac, hess, hessp, bounds, constraints, callback`` and the
    options (``tol`` among them) as keywords."""

    def method_callable(
        fun: Callable[..., Any],
        x0: Any,
        args: Any = (),
        jac: Callable[..., Any] | str | bool | None = None,
        hess: Any = None,
        hessp: Any = None,
        bounds: Any = None,
        constraints: Any = (),
        callback: Callable[..., Any] | None = None,
        **options: Any,
    ) -> OptimizeResult:
        # As SciPy treats custom methods, a Hessian given here is accepted in silence (clients
        # such as statsmodels pass one to every method they do not know); constraints, which
        # ignoring would change the answer, warn.
        _warn_unused(method.name, None, None, constraints)
        fun, jac = _unwrap_memoized(fun, jac)
        tol = options.pop("tol", None)
        return solve(method, fun, x0, args, jac, bounds, callback, tol, options)

    method_callable.__name__ = method_callable.__qualname__ = method.name
    # SciPy's shgo looks a method's arguments up under method.lower(), where a custom method's
    # entry is "_custom": with this, minimizer_kwargs={"method": rmsopt.adam} works there too.
    method_callable.lower = _custom_method_key
    method_callable.__module__ = "rmsopt"
    method_callable.__doc__ = method.function_doc()
    return method_callable


def _custom_method_key() -> str:
    return "_custom"


def show_options(method: str | None = None, disp: bool = True) -> str | None:
    """Show the options of one method (all methods when ``method`` is None),
    as `scipy.optimize.show_options` does for SciPy's own methods.

    Returns the text instead of printing it when ``disp`` is False.

    Examples
    --------
    >>> import rmsopt
    >>> text = rmsopt.show_options("rmsprop", disp=False)
    >>> text.splitlines()[0], "learning_rate" in text
    ('rmsprop', True)
    """
    disp = Flag().check(disp, argument("disp"))
    methods = list(METHODS.values()) if method is None else [get_method(method)]
    text = "\n\n".join(f"{m.name}\n{'=' * len(m.name)}\n\n{m.options_section()}" for m in methods)
    if disp:
        print(text)
        return None
    return text


def solve(
    method: Method,
    fun: Any,
    x0: Any,
    args: Any,
    jac: Any,
    bounds: Any,
    callback: Any,
    tol: Any,
    options: Any,
) -> OptimizeResult:
    """Check every argument, run the native loop, package the result."""
    run = check_arguments(method, fun, x0, args, jac, bounds, callback, tol, options)
    settings = run.settings
    minibatch = run.batches is not None
    bar = None
    if settings["progress"]:
        # A minibatch run's bar counts epochs; a full-batch run's, iterations.
        total = settings["epochs"] if minibatch else settings["maxiter"]
        bar = ProgressBar(total, method.name, unit="epoch" if minibatch else "it")
    write = print if bar is None else bar.write
    lines = epoch_lines = None
    if settings["disp"]:
        if minibatch:
            epoch_lines = EpochLines(method.name, write)
        else:
            lines = IterationLines(method.name, write)
    allvecs = [run.x.copy()] if settings["return_all"] else None
    observes = getattr(settings["learning_rate"], "needs_loss", False)
    # allvecs holds every iterate the callback sees, and the displays show them all, the last
    # one included. A schedule that needs the loss observes it first, for the next step: each
    # objective value of a full-batch run, each epoch's validation value (else its mean
    # training loss) of a minibatch run.
    # A reduce_on_plateau schedule of a full-batch run is observed by the native loop itself.
    plateau = settings["learning_rate"] if observes and not minibatch else None
    if plateau is not None and type(plateau) is not ReduceOnPlateau:
        plateau = None
    notify = chain(
        _loss_feed(settings["learning_rate"])
        if observes and not minibatch and plateau is None
        else None,
        None if allvecs is None else _keep_copies(allvecs),
        lines,
        None if minibatch else bar,
        run.notify,
    )
    on_epoch = chain(
        _epoch_loss_feed(settings["learning_rate"]) if observes and minibatch else None,
        epoch_lines,
        bar.epoch if minibatch and bar is not None else None,
        adapt_epoch_callback(settings["epoch_callback"]),
    )
    need_value = (
        run.callback_needs_value
        or observes
        or lines is not None
        or bar is not None
        or on_epoch is not None
        or "fun" in (settings["history"] or ())
    )
    history = new_history(method, settings, run.x.shape[0])
    kernel = new_kernel(method.kernel, method.kernel_settings(settings))
    clipping = run.clipnorm < math.inf or run.clipvalue < math.inf
    kernel.reserve(run.x.shape[0], run.x.itemsize, clipping=clipping)
    # The run holds the leading state rows its kernel uses; the others stay as they started.
    rows = rows_used(kernel.rows_written)
    if run.state is None:
        state0 = new_state(method, settings, run.x.shape[0], run.x.dtype, rows)
    else:
        state0 = run.state[:rows]
    source = _source(run, need_value, on_epoch)
    if minibatch and isinstance(run.notify, ResultCallback):
        run.notify.position = _position_in(source)
    # The workspace takes over run.x (a fresh copy) and state0 as its first buffers.
    workspace = Workspace(run.x, state0)
    del state0
    source.bind(workspace)
    loop = new_loop(
        run,
        kernel,
        source,
        workspace,
        plateau,
        history=history,
        notify=notify,
        average=run.average,
        steps_taken=run.steps_taken,
        n_averaged=run.n_averaged,
    )
    try:
        code, nit, value, x, grad, state, x_nit = run_loop(loop)
    finally:
        if bar is not None:
            bar.close()
    failure = loop_failure(loop)
    error = raised_by(loop) if code == RAISED else None
    average = _average_of(run, loop, source, x_nit)

    extra: dict[str, Any] = {}
    if run.batches is not None:
        extra["epochs"] = source.completed
        if run.validate is not None:
            values = source.validation_values
            best_epoch = source.best_epoch
            extra["best_epoch"] = best_epoch
            extra["val_fun"] = None if best_epoch is None else values[best_epoch - 1]
            extra["val_history"] = values
    native_counts = (source.nfev, source.njev) if run.native else None
    # The result keeps the buffers it reports; the others go with the workspace.
    del loop, source, workspace
    if error is not None:
        # What the run completed, without calling the user's code again.
        value = np.nan if value is None else value
        status = Status.ERROR
    elif run.batches is not None:
        # The value and gradient reported are those of the whole data at x.
        grad = np.empty_like(x)
        value = run.objective.evaluate(x, grad, True, run.batches.full)
    elif value is None:
        value = run.objective.value(x)
    if error is None:
        status = Status(code)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            status = Status.NONFINITE
    result = OptimizeResult(
        x=x,
        fun=value,
        jac=grad,
        nit=nit,
        nfev=native_counts[0] if run.native else run.objective.nfev,
        njev=native_counts[1] if run.native else run.objective.njev,
        status=int(status),
        success=status.success,
        message=status.message
        if failure is None or status != Status.NONFINITE
        else f"{status.message} {nonfinite_detail(failure, nit, x, method.state[:rows])}",
        state=as_state_dict(
            method,
            run.steps_taken + x_nit,
            state,
            None if run.state is None else run.state[state.shape[0] :],
            settings,
            copy=False,
            # The step options, a schedule with what it observed among them.
            options=copy.deepcopy(
                {option.name: settings[option.name] for option in method.step_options}
            ),
        ),
        **extra,
    )
    if average is not None:
        result.x_average, n_averaged = average
        result.state.update(x_average=result.x_average.copy(), n_averaged=n_averaged)
    elif method.average_row is not None:
        result.x_average = result.state[method.average_row].copy()
    if allvecs is not None:
        result.allvecs = allvecs
    if history is not None:
        result.history = history_columns(history, settings["history"])
    if error is not None:
        raise _with_result(error, result)
    if settings["disp"]:
        _print_summary(result)
    return result


def new_loop(
    run: Run,
    kernel: Any,
    source: Any,
    workspace: Any,
    plateau: ReduceOnPlateau | None,
    *,
    history: Any = None,
    notify: Any = None,
    average: np.ndarray | None = None,
    steps_taken: int = 0,
    n_averaged: int = 0,
) -> Loop:
    """The native loop of ``run`` (checked by the front door) on ``workspace``, its gradients
    from ``source``; ``plateau``, a reduce_on_plateau the loop observes itself, or None."""
    settings = run.settings
    return Loop(
        kernel,
        source,
        workspace,
        history=history,
        notify=notify,
        learning_rate=run.learning_rate,
        schedule=None if plateau is not None else run.schedule,
        plateau=plateau,
        steps_taken=steps_taken,
        clipnorm=run.clipnorm,
        clipvalue=run.clipvalue,
        box=run.box,
        maximize=settings["maximize"],
        maxiter=run.maxiter,
        maxfev=run.maxfev,
        gtol=settings["gtol"],
        ftol=settings["ftol"],
        xtol=settings["xtol"],
        average=average,
        averaging=AVERAGING_CODES[settings["averaging"]],
        averaging_decay=settings["averaging_decay"],
        averaging_start=min(settings["averaging_start"], sys.maxsize),
        n_averaged=n_averaged,
    )


def _with_result(error: BaseException, result: OptimizeResult) -> BaseException:
    """``error`` (what the user's code or Ctrl-C raised) with the run's partial result as
    ``error.result``: the last iterate completed, its state, the history so far."""
    result.message = (
        f"The run raised {type(error).__name__} after {result.nit} iterations; x, fun, jac "
        "and state are those of the last iterate completed."
    )
    try:
        error.result = result
    except AttributeError:  # an exception type without an instance dict: nothing to attach
        return error
    if hasattr(error, "add_note"):
        error.add_note(
            f"rmsopt: the run stopped after {result.nit} iterations; its last iterate, state "
            "and history are in this exception's .result (an OptimizeResult)."
        )
    return error


def _loss_feed(schedule: Any) -> Notify | None:
    """For a schedule that needs the loss (full-batch runs): a notification that shows it the
    objective at each new iterate, so that iteration k + 1 steps at the rate that f(x_k) left.
    None for other rates."""
    if not getattr(schedule, "needs_loss", False):
        return None

    def feed(x: np.ndarray, value: Any, grad: np.ndarray, nit: int) -> None:
        schedule.observe(value)

    return feed


def _position_in(source: Any) -> Callable[[], dict[str, int]]:
    """Where a minibatch run is, for its callback: the epoch (from 1) and the batch of it
    (from 1) the last step took."""
    return lambda: {"epoch": source.completed + 1, "batch": source.in_epoch}


def _epoch_loss_feed(schedule: Any) -> Any:
    """For a schedule that needs the loss (minibatch runs): at every epoch's end, the
    validation value when there is one, else the epoch's mean training loss."""

    def feed(x: np.ndarray, epoch: int, nit: int, train_loss: Any, val_fun: Any) -> None:
        schedule.observe(val_fun if val_fun is not None else train_loss)

    return feed


def _keep_copies(allvecs: list) -> Notify:
    """A notification that appends a copy of every iterate to ``allvecs``."""

    def keep(x: np.ndarray, value: Any, grad: np.ndarray, nit: int) -> None:
        allvecs.append(x.copy())

    return keep


def _average_of(run: Run, loop: Any, source: Any, nit: int) -> tuple[np.ndarray, int] | None:
    """``(x_average, n_averaged)`` of a run with averaging: the run's average, or with
    validate_average the best validated one, counted at its iteration ``nit``; None without
    averaging."""
    if run.average is None:
        return None
    best = getattr(source, "best_average", None)
    if best is None:
        return run.average, loop.n_averaged
    # The steps up to the best iterate's that entered the average: those after averaging_start.
    first = max(run.settings["averaging_start"], run.steps_taken)
    return best, run.n_averaged + max(0, run.steps_taken + nit - first)


def _source(run: Run, need_value: bool, on_epoch: Any) -> Any:
    """Where the run's gradients come from: minibatches, a C-level objective, or a Python
    objective (asked for its value at every iterate when something reads it or ftol tests
    it)."""
    if run.native:
        return NativeObjective(run.fun)
    if run.batches is not None:
        return Minibatches(
            run.objective,
            need_value,
            run.batches,
            epochs=run.settings["epochs"],
            validate=run.validate,
            patience=run.patience,
            min_delta=run.settings["min_delta"],
            maximize=run.settings["maximize"],
            on_epoch=on_epoch,
            average=run.average if run.settings["validate_average"] else None,
        )
    return PythonObjective(run.objective, need_value or run.settings["ftol"] > 0)


def _print_summary(result: OptimizeResult) -> None:
    print(result.message)
    print(f"         Current function value: {result.fun:f}")
    print(f"         Iterations: {result.nit:d}")
    print(f"         Function evaluations: {result.nfev:d}")
    print(f"         Gradient evaluations: {result.njev:d}")
