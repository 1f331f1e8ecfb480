"""`minimize` from many starting points: given, or sampled in a box."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult
from scipy.stats import qmc

from .._checks.constraints import Flag, Integer
from .._checks.errors import argument, invalid, summary
from .._checks.warn import warn
from .._front.batch import minimize_batch
from .._front.bounds import normalize_bounds
from .._front.status import Status
from .._methods.registry import get_method
from .search import (
    SearchSeeds,
    completed_outcomes,
    known_options,
    run_search,
    trial_options,
)
from .trials import Trial, Trials, error_result, failed
from .workers import check_workers

__all__ = ["multistart"]

SAMPLERS = ("lhs", "sobol", "halton", "uniform")


def multistart(
    fun: Callable[..., Any],
    starts: Any,
    args: Any = (),
    method: str = "rmsprop",
    jac: Callable[..., Any] | str | bool | None = None,
    bounds: Any = None,
    callback: Callable[..., Any] | None = None,
    tol: float | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    n_starts: int | None = None,
    seed: Any = None,
    workers: Any = 1,
    progress: bool = False,
    batched: bool = False,
) -> OptimizeResult:
    """Run `minimize` from many starting points and keep every result.

    Parameters
    ----------
    fun, args, method, jac, bounds, callback, tol, options
        As for `rmsopt.minimize`; every run gets the same. ``bounds`` also
        gives the box that sampled starts are drawn from.
    starts : array_like, str or `scipy.stats.qmc.QMCEngine`
        The starting points as an array of shape ``(n_starts, n)``; or how to
        sample ``n_starts`` of them in the (finite) ``bounds``:
        ``"lhs"`` (Latin hypercube), ``"sobol"``, ``"halton"`` (scrambled
        low-discrepancy sequences), ``"uniform"`` (independent uniform draws),
        or your own `scipy.stats.qmc` engine of dimension ``n``.
    n_starts : int, optional
        How many starts to sample; only with a sampler.
    seed : None, int, `numpy.random.SeedSequence` or `numpy.random.Generator`, optional
        Seeds the named samplers (an engine of your own draws from its own
        state) and, in minibatch mode without a ``seed`` option, every run's
        shuffling (the same stream for every start).
    workers : int, map-like callable or `concurrent.futures.Executor`, optional
        Where the runs go: ``1`` (default) runs them here one after another; an
        int ``k > 1`` on a pool of ``k`` processes (``-1``: one per CPU); a
        map-like callable (a `multiprocessing` pool's ``imap``, say) or an executor
        (a thread pool, or ``client.get_executor()`` of a Dask cluster) is used
        as given. Other processes need ``fun``, ``jac``, ``args``, ``bounds``,
        ``callback`` and the options to be picklable, and ``callback`` then
        runs in those processes. The results are the same whichever
        ``workers`` runs them. See docs/parallel.md.
    progress : bool, optional
        Show a tqdm bar over the runs.
    batched : bool, optional
        Run every start in one `rmsopt.minimize_batch` loop: ``fun`` and ``jac``
        are then vectorised, ``fun(X, *args)`` taking the ``(k, n)`` starts
        still running and returning their k values (and gradients with
        ``jac=True``), called once per iteration for all of them. Each run is
        still `minimize`'s from its start, bit for bit. Not with ``workers``,
        ``callback``, ``progress`` or minibatches; when ``fun`` raises, every
        run that was still going is recorded as raised (status 9).

    Returns
    -------
    res : OptimizeResult
        The best run's fields (``x``, ``fun``, ``jac``, ``nit``, ``nfev``,
        ``njev``, ``status``, ``success``, ``message``, ``state``, ``start``),
        and ``results``, every run's result sorted best first: by ``fun``
        (largest first with the ``maximize`` option), then the runs that went
        non-finite (status 5, at their last good iterate) or raised (status
        9, with ``error`` and ``traceback``), ties in start order. Each has
        ``start``, the index of its starting point in ``res.starts``, the
        starting points as an array of shape ``(n_starts, n)``. When the
        search is interrupted (Ctrl-C), ``results`` holds the runs that
        completed and ``interrupted`` is True; if none had, ``x`` is None,
        ``success`` False and there is no ``status``. When every run failed
        (status 5 or 9), a `RuntimeWarning` says so.

    Notes
    -----
    A run that raises is recorded and the others go on. NumPy's floating-point
    warnings are silenced during the runs; a run that diverges says so with
    status 5 and its last good iterate.

    Examples
    --------
    >>> import rmsopt
    >>> camel = rmsopt.problems.six_hump_camel()
    >>> res = rmsopt.multistart(camel.fun, "lhs", jac=camel.jac, bounds=camel.bounds,
    ...                         n_starts=8, seed=0, options={"learning_rate": 0.01})
    >>> round(float(res.fun), 4), len(res.results)
    (-1.0316, 8)
    """
    method = get_method(method)
    batched = bool(Flag().check(batched, argument("batched")))
    workers = check_workers(workers)
    seeds = SearchSeeds(seed)
    start_points = _starts(starts, n_starts, bounds, seeds.sampling)
    if batched:
        results = _batched_runs(
            method, fun, start_points, args, jac, bounds, callback, tol, options, workers,
            progress,
        )  # fmt: skip
        return _best_of(results, start_points, False, bool((options or {}).get("maximize")))
    check = (fun, start_points[0], args, jac, bounds, callback, tol)
    _, run_options = trial_options(method, known_options(method, options), check, seeds.batches)
    trials = Trials(fun, jac, args if isinstance(args, tuple) else (args,), bounds, callback, tol)
    items = [Trial(start, method.name, run_options) for start in start_points]
    picklable = {
        "fun": fun,
        "jac": jac,
        "args": args,
        "bounds": bounds,
        "callback": callback,
        "options": options,
    }
    completed = run_search(trials, items, workers, progress, "multistart", picklable)

    results = []
    for index, outcome in completed_outcomes(completed):
        result = outcome.results[0]
        result.start = index
        results.append(result)
    maximize = bool(run_options.get("maximize", False))
    return _best_of(results, start_points, completed.interrupted, maximize)


def _best_of(
    results: list, start_points: np.ndarray, interrupted: bool, maximize: bool
) -> OptimizeResult:
    """The search's result: the best run's fields, every run sorted best first."""
    results.sort(key=lambda result: _rank(result, maximize))
    if results and all(failed(result) for result in results):
        warn(
            f"All {len(results)} runs raised or went non-finite (see each result's 'status' "
            "and 'error'); the first is returned as the best.",
            RuntimeWarning,
        )
    if results:
        best = OptimizeResult(results[0])
    else:
        best = OptimizeResult(
            x=None, fun=np.nan, success=False, message="Interrupted before any run completed."
        )
    best.results = results
    best.starts = start_points
    best.interrupted = interrupted
    return best


def _batched_runs(
    method: Any,
    fun: Any,
    start_points: np.ndarray,
    args: Any,
    jac: Any,
    bounds: Any,
    callback: Any,
    tol: Any,
    options: Any,
    workers: Any,
    progress: Any,
) -> list:
    """Every start's result from one minimize_batch run (``fun`` and ``jac`` vectorised)."""
    for name, value, default in (("callback", callback, None), ("workers", workers, 1),
                                 ("progress", progress, False)):  # fmt: skip
        if value != default and value is not None:
            raise invalid(
                ValueError, argument(name), f"{default!r} with batched=True", summary(value)
            )
    try:
        with np.errstate(all="ignore"):
            batch = minimize_batch(fun, start_points, args, method.name, jac, bounds, tol, options)
    except Exception as error:  # noqa: BLE001 - recorded as the runs' own, as minimize's are
        batch = getattr(error, "result", None)
        if batch is None:
            raise
        raised = error
    else:
        raised = None
    results = []
    for index in range(len(batch)):
        result = batch[index]
        if raised is not None and result.status == int(Status.ERROR):
            recorded = error_result(raised, result.x)
            recorded.update(nit=result.nit, state=result.state)
            result = recorded
        result.start = index
        results.append(result)
    return results


def _rank(result: OptimizeResult, maximize: bool) -> tuple:
    """Runs that finished before those that raised or went non-finite (whose
    ``fun`` may be an infinity that would sort first), then by ``fun``."""
    value = float(result.fun)
    return (failed(result), np.isnan(value), -value if maximize else value, result.start)


def _starts(starts: Any, n_starts: Any, bounds: Any, rng: np.random.Generator) -> np.ndarray:
    """The starting points as a 2-D float array, one row per start."""
    if isinstance(starts, str) or isinstance(starts, qmc.QMCEngine):
        return _sampled_starts(starts, n_starts, bounds, rng)
    if n_starts is not None:
        accepted = "None when 'starts' gives the starting points"
        raise invalid(ValueError, argument("n_starts"), accepted, repr(n_starts))
    accepted = (
        "an array of shape (n_starts, n) of real numbers, or one of "
        + ", ".join(repr(name) for name in SAMPLERS)
        + ", or a scipy.stats.qmc engine"
    )
    try:
        array = np.asarray(starts)
    except (TypeError, ValueError):
        raise invalid(TypeError, argument("starts"), accepted, repr(starts)) from None
    if array.dtype.kind not in "iuf" or array.ndim != 2 or 0 in array.shape:
        got = f"an array of shape {array.shape} and dtype {array.dtype}"
        raise invalid(ValueError, argument("starts"), accepted, got)
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    array = np.array(array, dtype=dtype, copy=True)
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        got = f"{float(array[tuple(bad[0])])!r} at index {tuple(int(i) for i in bad[0])}"
        raise invalid(ValueError, argument("starts"), "finite", got)
    return array


def _sampled_starts(sampler: Any, n_starts: Any, bounds: Any, rng: np.random.Generator) -> Any:
    if isinstance(sampler, str) and sampler not in SAMPLERS:
        accepted = "an array of starting points, one of " + ", ".join(repr(s) for s in SAMPLERS)
        raise invalid(ValueError, argument("starts"), accepted + ", or a qmc engine", repr(sampler))
    if n_starts is None:
        accepted = "a positive int when 'starts' names a sampler"
        raise invalid(TypeError, argument("n_starts"), accepted, "None")
    n_starts = Integer(1).check(n_starts, argument("n_starts"))
    lower, upper = _sampling_box(bounds, sampler)
    dimension = lower.shape[0]
    if isinstance(sampler, qmc.QMCEngine):
        engine = sampler
    elif sampler == "uniform":
        engine = None
    else:
        engine_class = {"lhs": qmc.LatinHypercube, "sobol": qmc.Sobol, "halton": qmc.Halton}
        engine = _seeded(engine_class[sampler], dimension, rng)
    unit = rng.random((n_starts, dimension)) if engine is None else engine.random(n_starts)
    return qmc.scale(unit, lower, upper)


def _seeded(engine_class: type, dimension: int, rng: np.random.Generator) -> qmc.QMCEngine:
    # SciPy 1.15 renamed the engines' `seed` to `rng`.
    keyword = "rng" if "rng" in inspect.signature(engine_class).parameters else "seed"
    return engine_class(dimension, **{keyword: rng})


def _sampling_box(bounds: Any, sampler: Any) -> tuple[np.ndarray, np.ndarray]:
    """The finite box to sample in, its dimension from ``bounds``."""
    accepted = "finite on every side when starts are sampled in the box"
    if bounds is None:
        raise invalid(ValueError, argument("bounds"), accepted, "None")
    if hasattr(bounds, "lb"):
        dimension = np.broadcast(np.asarray(bounds.lb), np.asarray(bounds.ub)).size
        if dimension == 1 and isinstance(sampler, qmc.QMCEngine):
            dimension = sampler.d  # scalar bounds broadcast to the engine's dimension
    else:
        dimension = len(bounds) if hasattr(bounds, "__len__") else 1
    if isinstance(sampler, qmc.QMCEngine) and sampler.d != dimension:
        accepted = f"a qmc engine of the dimension of 'bounds' ({dimension})"
        raise invalid(ValueError, argument("starts"), accepted, f"an engine with d={sampler.d}")
    box = normalize_bounds(bounds, dimension, np.dtype(np.float64))
    if box is None or not (np.all(np.isfinite(box[0])) and np.all(np.isfinite(box[1]))):
        raise invalid(ValueError, argument("bounds"), accepted, summary(bounds))
    return box
