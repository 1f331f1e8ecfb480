"""The front door: check every argument once, run the native driver, package
the result as a `scipy.optimize.OptimizeResult`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import OptimizeResult

from . import _driver, _native_driver
from ._bounds import normalize_bounds
from ._callback import adapt_callback
from ._constraints import Flag, Real
from ._errors import argument, invalid
from ._history_columns import history_columns, new_history
from ._method import Method
from ._minibatch import (
    check_minibatch_options,
    is_minibatch,
    make_batches,
    planned_steps,
    run_minibatches,
)
from ._native import check_native, is_native
from ._native_driver import NativeObjective
from ._objective import FINITE_DIFFERENCES, Objective
from ._progress import IterationLines, ProgressBar, chain
from ._registry import METHODS, get_method
from ._run import Run
from ._state import as_state_dict, load_state, new_state
from ._status import Status
from ._warn import warn

__all__ = ["as_options", "check_arguments", "make_method_callable", "minimize", "show_options"]


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: Any = (),
    method: str = "rmsprop",
    jac: Callable[..., Any] | str | bool | None = None,
    bounds: Any = None,
    callback: Callable[..., Any] | None = None,
    tol: float | None = None,
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
    method : str, optional
        Case-insensitive method name; see `show_options`. Default ``"rmsprop"``.
    jac : callable, bool or {'2-point', '3-point', 'cs'}, optional
        ``jac(x, *args) -> ndarray`` of shape ``(n,)``; ``True`` when ``fun``
        returns the gradient with the value; a string or None (``'2-point'``)
        selects SciPy's finite differences.
    bounds : `scipy.optimize.Bounds` or sequence of (min, max), optional
        Box constraints, enforced by projecting every iterate onto the box
        (``x0`` is clipped into it). ``None`` marks an open side.
    callback : callable, optional
        Called after every iteration as ``callback(intermediate_result)`` (an
        `OptimizeResult` with ``x``, ``fun``, ``jac``, ``nit``) when its only
        parameter is named ``intermediate_result``, else as ``callback(xk)``.
        Raising ``StopIteration`` ends the run with status 99.
    tol : float, optional
        Sets the ``gtol`` option when that is not given.
    options : dict, optional
        Method options; see the method's function (e.g. `rmsopt.rmsprop`).
        Unknown options warn `scipy.optimize.OptimizeWarning`.

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
    >>> import numpy as np
    >>> from scipy.optimize import rosen, rosen_der
    >>> import rmsopt
    >>> res = rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der,
    ...                       options={"learning_rate": 1e-3, "maxiter": 50000})
    >>> res.message
    'Maximum number of iterations has been exceeded.'
    >>> bool(np.linalg.norm(res.x - 1.0) < 1e-2)
    True

    With a constant learning rate RMSprop ends its run hovering within about
    ``learning_rate`` of the minimiser of Rosenbrock's valley; ``gtol`` is met
    where the gradient can reach zero smoothly:

    >>> res = rmsopt.minimize(lambda x: np.sum((x - 2.0) ** 2), np.zeros(3),
    ...                       jac=lambda x: 2.0 * (x - 2.0),
    ...                       options={"learning_rate": 0.05})
    >>> res.success, res.nit < 1000
    (True, True)
    """
    return solve(get_method(method), fun, x0, args, jac, bounds, callback, tol, options)


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
        for given, what in (
            (hess, "Hessian information (hess)"),
            (hessp, "Hessian-vector products (hessp)"),
        ):
            if given is not None:
                warn(f"Method {method.name} does not use {what}.", RuntimeWarning)
        if constraints is not None and np.any(constraints):
            warn(f"Method {method.name} cannot handle constraints.", RuntimeWarning)
        tol = options.pop("tol", None)
        return solve(method, fun, x0, args, jac, bounds, callback, tol, options)

    method_callable.__name__ = method_callable.__qualname__ = method.name
    method_callable.__module__ = "rmsopt"
    method_callable.__doc__ = method.function_doc()
    return method_callable


def show_options(method: str | None = None, disp: bool = True) -> str | None:
    """Show the options of one method (all methods when ``method`` is None),
    as `scipy.optimize.show_options` does for SciPy's own methods.

    Returns the text instead of printing it when ``disp`` is False.
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
    """Validate every argument, run the driver, package the result."""
    checked = check_arguments(method, fun, x0, args, jac, bounds, callback, tol, options)
    x, args, jac, box = checked.x, checked.args, checked.jac, checked.box
    settings, given, batches = checked.settings, checked.given, checked.batches
    bar = None
    if settings["progress"]:
        total = settings["maxiter"] if batches is None else planned_steps(batches, settings, given)
        bar = ProgressBar(total, method.name)
    lines = None
    if settings["disp"]:
        lines = IterationLines(method.name, print if bar is None else bar.write)
    # The displays see every iteration the user's callback sees, the last one included.
    notify = chain(lines, bar, checked.notify)
    history = new_history(method, settings, x.shape[0])
    need_value = (
        checked.callback_needs_value
        or lines is not None
        or bar is not None
        or "fun" in (settings["history"] or ())
    )
    steps_taken, state = checked.steps_taken, checked.state
    objective = NativeObjective(fun) if checked.native else Objective(fun, jac, args, box)
    allvecs = [x.copy()] if settings["return_all"] else None
    step_arguments = {
        "learning_rate": settings["learning_rate"],
        "clipnorm": settings["clipnorm"] or 0.0,
        "clipvalue": settings["clipvalue"] or 0.0,
        "lower": box[0] if box is not None else None,
        "upper": box[1] if box is not None else None,
    }
    run = Run(
        method,
        settings,
        objective,
        x,
        state,
        steps_taken,
        step_arguments,
        notify,
        need_value,
        allvecs,
        history,
    )

    try:
        if batches is not None:
            fields = run_minibatches(run, given, batches)
            # The value and gradient reported are those of the whole data at x.
            grad = np.empty_like(fields["x"])
            value = objective.evaluate(fields["x"], grad, True, fields.pop("full_args"))
            fields.update(fun=value, jac=grad)
        else:
            fields = _run_whole_objective(run)
    finally:
        if bar is not None:
            bar.close()
    status = fields.pop("status")
    if not (np.isfinite(fields["fun"]) and np.all(np.isfinite(fields["jac"]))):
        status = Status.NONFINITE
    state = as_state_dict(method, fields.pop("steps"), fields.pop("state"))
    result = OptimizeResult(
        x=fields.pop("x"),
        fun=fields.pop("fun"),
        jac=fields.pop("jac"),
        nit=fields.pop("nit"),
        nfev=objective.nfev,
        njev=objective.njev,
        status=int(status),
        success=status.success,
        message=status.message,
        state=state,
        **fields,
    )
    if allvecs is not None:
        result.allvecs = allvecs
    if history is not None:
        result.history = history_columns(history, settings["history"])
    if settings["disp"]:
        _print_summary(result)
    return result


class CheckedArguments(NamedTuple):
    """`minimize`'s arguments once checked: a fresh start ``x`` (clipped into
    the box), ``args`` as a tuple, whether ``fun`` is C-level (``native``), the
    normalised ``jac``, the box (or None),
    the validated ``settings`` and the names the user ``given``, the adapted
    callback, the minibatch source (or None) and the starting state."""

    x: np.ndarray
    args: tuple
    native: bool
    jac: Any
    box: tuple[np.ndarray, np.ndarray] | None
    settings: dict[str, Any]
    given: set[str]
    notify: Any
    callback_needs_value: bool
    batches: Any
    steps_taken: int
    state: np.ndarray


def check_arguments(
    method: Method,
    fun: Any,
    x0: Any,
    args: Any,
    jac: Any,
    bounds: Any,
    callback: Any,
    tol: Any,
    options: Any,
) -> CheckedArguments:
    """Check every argument of a run of ``method`` as `minimize` does, raising
    its errors (and warning of unknown options), without running anything."""
    native = is_native(fun)
    if not (native or callable(fun)):
        raise invalid(TypeError, argument("fun"), "callable or a scipy.LowLevelCallable", repr(fun))
    x = _start_point(x0)
    args = args if isinstance(args, tuple) else (args,)
    given_jac, jac = jac, _normalize_jac(jac)
    box = normalize_bounds(bounds, x.shape[0], x.dtype)
    if box is not None:
        np.clip(x, *box, out=x)
    options = as_options(options)
    given = set(options) | ({"tol"} if tol is not None else set())
    options = _with_tol(options, tol)
    settings = method.validate(options)
    if native:
        check_native(fun, x, args, given_jac, settings)
    check_minibatch_options(method, settings, given)
    notify, callback_needs_value = adapt_callback(callback)
    batches = make_batches(method, settings, args) if is_minibatch(settings) else None
    if settings["state"] is None:
        steps_taken, state = 0, new_state(method, settings, x.shape[0], x.dtype)
    else:
        subject = method.subject("state")
        steps_taken, state = load_state(method, settings["state"], x.shape[0], x.dtype, subject)
    return CheckedArguments(
        x,
        args,
        native,
        jac,
        box,
        settings,
        given,
        notify,
        callback_needs_value,
        batches,
        steps_taken,
        state,
    )


def _run_whole_objective(run: Run) -> dict[str, Any]:
    """Run the driver for the objective (the native one for a C-level
    objective) on the whole data; return the result's fields."""
    settings = run.settings
    arguments = (run.method.make_kernel(settings), run.x, run.state, run.objective)
    keywords = {
        "steps_taken": run.steps_taken,
        "callback": run.callback,
        "maximize": settings["maximize"],
        "maxiter": settings["maxiter"],
        "maxfev": settings["maxfev"] or 0,
        "gtol": settings["gtol"],
        "ftol": settings["ftol"],
        "xtol": settings["xtol"],
        "allvecs": run.allvecs,
        "history": run.history,
        **run.step_arguments,
    }
    if isinstance(run.objective, NativeObjective):
        status, nit, value, x, grad, state = _native_driver.run(*arguments, **keywords)
    else:
        need_value = settings["ftol"] > 0 or run.need_value
        status, nit, value, x, grad, state = _driver.run(
            *arguments, need_value=need_value, **keywords
        )
        if value is None:
            value = run.objective.value(x)
    return _fields(run, status, nit, value, x, grad, state)


def _fields(
    run: Run, status: Status, nit: int, value: float, x: Any, grad: Any, state: Any
) -> dict[str, Any]:
    """What a driver returned, as the result's fields."""
    return {
        "status": status,
        "nit": nit,
        "fun": value,
        "jac": grad,
        "x": x,
        "state": state,
        "steps": run.steps_taken + nit,
    }


def _start_point(x0: Any) -> np.ndarray:
    """A fresh, writable copy of ``x0``: float32 stays float32, other reals become float64."""
    subject = argument("x0")
    accepted = "an array_like of real numbers, 1-D (a scalar is one variable)"
    try:
        array = np.asarray(x0)
    except (TypeError, ValueError):
        raise invalid(TypeError, subject, accepted, repr(x0)) from None
    if array.dtype.kind not in "iuf":
        raise invalid(TypeError, subject, accepted, f"{x0!r} (dtype {array.dtype})")
    if array.ndim > 1:
        raise invalid(ValueError, subject, accepted, f"an array of shape {array.shape}")
    if array.size == 0:
        raise invalid(ValueError, subject, "non-empty", "an empty array")
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    x = np.array(np.atleast_1d(array), dtype=dtype, copy=True, order="C")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise invalid(ValueError, subject, "finite", f"{float(x[bad[0]])!r} at index {bad[0]}")
    return x


def _normalize_jac(jac: Any) -> Callable[..., Any] | bool | str:
    if jac is None or jac is False:
        return "2-point"
    if jac is True or callable(jac):
        return jac
    if isinstance(jac, str) and jac in FINITE_DIFFERENCES:
        return jac
    choices = ", ".join(repr(s) for s in FINITE_DIFFERENCES)
    accepted = f"a callable, True, False, None, or one of {choices}"
    error = ValueError if isinstance(jac, str) else TypeError
    raise invalid(error, argument("jac"), accepted, repr(jac))


def as_options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        accepted = "a mapping (e.g. a dict) of option names to values, or None"
        raise invalid(TypeError, argument("options"), accepted, repr(options))
    return dict(options)


def _with_tol(options: dict[str, Any], tol: Any) -> dict[str, Any]:
    if tol is not None:
        options.setdefault("gtol", Real(0).check(tol, argument("tol")))
    return options


def _print_summary(result: OptimizeResult) -> None:
    print(result.message)
    print(f"         Current function value: {result.fun:f}")
    print(f"         Iterations: {result.nit:d}")
    print(f"         Function evaluations: {result.nfev:d}")
    print(f"         Gradient evaluations: {result.njev:d}")
