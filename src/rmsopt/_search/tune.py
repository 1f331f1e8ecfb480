"""Grid and random search over a method's options, scored on the training
objective or by k-fold cross-validation on the data ``args``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .._checks.constraints import Choice, Flag, Integer
from .._checks.errors import argument, invalid
from .._checks.options import suggest
from .._checks.warn import warn
from .._front.minibatch import sample_arrays
from .._methods.registry import get_method
from .search import (
    SearchSeeds,
    completed_outcomes,
    known_options,
    run_search,
    trial_options,
)
from .space import check_space, grid_points, random_points
from .table import as_table
from .trials import Trial, TrialOutcome, Trials, failed
from .workers import check_workers

__all__ = ["tune"]

RESULT_COLUMNS = ("score", "fun", "nit", "status", "success", "error", "time")


def tune(
    fun: Callable[..., Any],
    x0: Any,
    space: Any,
    args: Any = (),
    method: str = "rmsprop",
    jac: Callable[..., Any] | str | bool | None = None,
    bounds: Any = None,
    callback: Callable[..., Any] | None = None,
    tol: float | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    search: str = "grid",
    n_trials: int | None = None,
    cv: int | None = None,
    seed: Any = None,
    workers: Any = 1,
    progress: bool = False,
    as_frame: bool | None = None,
) -> OptimizeResult:
    """Search a method's options for the ones that minimize best.

    Every trial is a `minimize` run from ``x0`` with ``options`` updated by the
    trial's values from ``space``. Its score is the final objective value, or
    with ``cv`` the mean over k folds of the objective on each fold's held-out
    samples after training on the others.

    Parameters
    ----------
    fun, x0, args, method, jac, bounds, callback, tol, options
        As for `rmsopt.minimize`; ``options`` holds what every trial shares.
        With workers in other processes, ``callback`` runs in them.
    space : mapping or list of mappings
        Option name to the values to try, e.g. ``{"learning_rate": [1e-3,
        1e-2], "rho": [0.9, 0.99]}``; ``"method"`` may be among the names. For
        a random search a value may also be a `scipy.stats` distribution
        (``scipy.stats.loguniform(1e-4, 1e-1)``, say). A list of mappings
        searches each in turn, which is how to search methods with different
        options; a random search picks one of them per trial (or, when every
        value is a list, draws from all their combinations together).
    search : {"grid", "random"}, optional
        Every combination of the values (default), or ``n_trials`` random
        draws: a uniform pick from each list, a draw from each distribution.
    n_trials : int, optional
        The number of random draws; only with ``search="random"``.
    cv : int, optional
        Score by k-fold cross-validation with ``k = cv`` folds: ``args`` are
        per-sample data (as in minibatch mode), shuffled with ``seed`` and cut
        into ``cv`` folds; each trial trains on all but one fold and scores
        ``fun`` on that fold's samples, for each fold in turn. Minibatches
        come from ``batch_size`` (the ``batches`` option would bypass the
        folds and is refused).
    seed : None, int, `numpy.random.SeedSequence` or `numpy.random.Generator`, optional
        Seeds the random draws, the folds, and in minibatch mode without a
        ``seed`` option every trial's shuffling (the same stream for every
        trial, so that trials differ only in their options).
    workers : int, map-like callable or `concurrent.futures.Executor`, optional
        Where the trials go, as for `rmsopt.multistart`: ``1`` (default) here;
        an int ``k > 1`` on ``k`` processes (``-1``: one per CPU); a map-like
        callable or an executor (a thread pool; ``client.get_executor()`` of a
        Dask cluster) as given. The table is the same whichever runs it.
    progress : bool, optional
        Show a tqdm bar over the trials.
    as_frame : bool, optional
        The table as a pandas DataFrame (True), a list of dicts (False), or a
        DataFrame when pandas is installed (None, the default).

    Returns
    -------
    res : OptimizeResult
        ``table``: one row per trial in trial order, with ``trial`` (its
        index), the values it tried, ``score`` (and ``score_std`` over the
        folds with ``cv``), ``fun`` (the final training objective, the mean
        over folds with ``cv``), ``nit`` (summed over folds), ``status``,
        ``success`` (every fold's), ``error`` (what a trial raised, else None)
        and ``time`` (seconds); a non-finite held-out value leaves the score
        NaN and says so in ``error``. ``best_trial``, ``best_score``,
        ``best_method`` and ``best_options`` (the options the best trial ran
        with, to pass to `minimize`) name the lowest score, or the highest with
        the ``maximize`` option; ties go to the earlier trial. ``results``
        holds every trial's `OptimizeResult` (a list of one per fold with
        ``cv``); ``interrupted`` is True when the search was interrupted
        (Ctrl-C), and the table then holds the trials that completed.
        ``folds`` lists ``(training rows, held-out rows)`` of ``args`` per
        fold with ``cv``, else None; ``maximize`` whether higher scores were
        better.

    Notes
    -----
    A trial that raises (status 9) or goes non-finite (status 5) scores NaN
    and cannot be best; the search goes on. NumPy's floating-point warnings
    are silenced during the trials.

    Examples
    --------
    >>> import rmsopt
    >>> quadratic = rmsopt.problems.quadratic(n=4)
    >>> res = rmsopt.tune(quadratic.fun, quadratic.x0,
    ...                   {"learning_rate": [1e-3, 1e-2, 1e-1], "rho": [0.9, 0.99]},
    ...                   jac=quadratic.jac, options={"maxiter": 300}, as_frame=False)
    >>> len(res.table), res.best_options["learning_rate"] > 1e-3
    (6, True)
    """
    base_method = get_method(method)
    search = Choice(("grid", "random")).check(search, argument("search"))
    workers = check_workers(workers)
    as_frame = Flag(none_ok=True).check(as_frame, argument("as_frame"))
    spaces = check_space(space, search)
    seeds = SearchSeeds(seed)
    points = _points(spaces, search, n_trials, seeds.sampling)
    args = args if isinstance(args, tuple) else (args,)
    folds = None
    check = (fun, x0, args, jac, bounds, callback, tol)
    if cv is not None:
        args, folds = _folds(cv, args, seeds.folds)
        if (options or {}).get("batches") is not None:
            accepted = "None with 'cv' (the folds cut 'args'; use 'batch_size' for minibatches)"
            raise invalid(ValueError, argument("options"), accepted, "a 'batches' option")
        # Trials train on the folds' training rows: check the options against the smallest.
        fewest = min((training for training, _ in folds), key=len)
        check = (fun, x0, tuple(array[fewest] for array in args), jac, bounds, callback, tol)
    shared: dict[str, dict[str, Any]] = {}  # each method's share of ``options``, checked once
    items = []
    for point in points:
        trial_method = get_method(point.get("method", base_method.name))
        values = {name: value for name, value in point.items() if name != "method"}
        _check_names(trial_method, values)
        if trial_method.name not in shared:
            shared[trial_method.name] = known_options(trial_method, options)
        start, trial = trial_options(
            trial_method, {**shared[trial_method.name], **values}, check, seeds.batches
        )
        items.append(Trial(start, trial_method.name, trial))
    trials = Trials(fun, jac, args, bounds, callback, tol, folds)
    picklable = {
        "fun": fun,
        "jac": jac,
        "args": args,
        "bounds": bounds,
        "callback": callback,
        "options": options,
        "space": space,
    }
    completed = run_search(trials, items, workers, progress, "tune", picklable)

    maximize = bool((options or {}).get("maximize", False))
    names = list(dict.fromkeys(name for point in points for name in point))
    records, results = [], []
    for index, outcome in completed_outcomes(completed):
        records.append(_record(index, points[index], names, outcome, cv))
        results.append(outcome.results if cv else outcome.results[0])
    best = _best(records, maximize)
    if best is None and records:
        warn(
            f"None of the {len(records)} trials gave a finite score (see the table's 'status' "
            "and 'error'); best_options is None.",
            RuntimeWarning,
        )
    columns = ["trial", *names, "score", *(["score_std"] if cv else []), *RESULT_COLUMNS[1:]]
    return OptimizeResult(
        table=as_table(records, columns, as_frame, "tune"),
        results=results,
        best_trial=None if best is None else records[best]["trial"],
        best_score=np.nan if best is None else records[best]["score"],
        best_method=None if best is None else items[records[best]["trial"]].method,
        best_options=None if best is None else dict(items[records[best]["trial"]].options),
        interrupted=completed.interrupted,
        folds=folds,
        maximize=maximize,
    )


def _points(
    spaces: list[dict[str, Any]], search: str, n_trials: Any, rng: np.random.Generator
) -> list[dict[str, Any]]:
    if search == "grid":
        if n_trials is not None:
            accepted = "None for a grid search (the grid sets the trials)"
            raise invalid(ValueError, argument("n_trials"), accepted, repr(n_trials))
        return grid_points(spaces)
    if n_trials is None:
        raise invalid(TypeError, argument("n_trials"), "a positive int for a random search", "None")
    return random_points(spaces, Integer(1).check(n_trials, argument("n_trials")), rng)


def _check_names(method: Any, values: Mapping[str, Any]) -> None:
    known = [option.name for option in method.options]
    for name in values:
        if name not in known:
            close = suggest(name, known)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise invalid(
                ValueError,
                argument("space"),
                f"names of options of method {method.name!r} (a list of mappings "
                "searches methods with different options)",
                repr(name) + hint,
            )


def _folds(
    cv: Any, args: tuple, rng: np.random.Generator
) -> tuple[tuple, tuple[tuple[np.ndarray, np.ndarray], ...]]:
    """``args`` as sample arrays, and (training rows, held-out rows) of each
    of ``cv`` folds of shuffled rows."""
    cv = Integer(2).check(cv, argument("cv"))
    data = sample_arrays(args, argument("args"), " when 'cv' is set")
    n_samples = data[0].shape[0]
    if cv > n_samples:
        accepted = f"at most the number of samples in 'args' ({n_samples})"
        raise invalid(ValueError, argument("cv"), accepted, repr(cv))
    held_out = np.array_split(rng.permutation(n_samples), cv)
    return data, tuple(
        (np.sort(np.concatenate(held_out[:k] + held_out[k + 1 :])), np.sort(rows))
        for k, rows in enumerate(held_out)
    )


def _record(
    index: int, point: Mapping[str, Any], names: list[str], outcome: TrialOutcome, cv: Any
) -> dict[str, Any]:
    results = outcome.results
    bad = [result for result in results if failed(result)]
    last = bad[0] if bad else results[-1]
    error = last.get("error")
    if bad:
        score = spread = np.nan
    elif cv and not np.all(np.isfinite(outcome.held_out)):
        fold = int(np.flatnonzero(~np.isfinite(outcome.held_out))[0])
        error = f"fun on the held-out samples of fold {fold} was {outcome.held_out[fold]!r}"
        score = spread = np.nan
    elif cv:
        score, spread = float(np.mean(outcome.held_out)), float(np.std(outcome.held_out))
    else:
        score = spread = float(results[0].fun)
    record = {"trial": index, **{name: point.get(name) for name in names}, "score": score}
    if cv:
        record["score_std"] = spread
    record.update(
        fun=float(np.mean([result.fun for result in results])),
        nit=int(sum(result.nit for result in results)),
        status=int(last.status),
        success=not bad and all(result.success for result in results),
        error=error,
        time=outcome.seconds,
    )
    return record


def _best(records: list[dict[str, Any]], maximize: bool) -> int | None:
    """The position in ``records`` of the best finite score; the first of ties."""
    scores = np.array([record["score"] for record in records], dtype=float)
    finite = np.flatnonzero(np.isfinite(scores))
    if not finite.size:
        return None
    signed = -scores[finite] if maximize else scores[finite]
    return int(finite[np.argmin(signed)])
