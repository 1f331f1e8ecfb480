"""Every method on every problem under one budget, as a table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._checks.constraints import Flag, Integer
from .._checks.errors import argument, invalid, summary
from .._checks.warn import warn
from .._front.diagnostics import effective_step_size
from .._front.status import Status
from .._methods.method import Method
from .._methods.registry import get_method
from ..problems import Problem, get
from .search import SearchSeeds, completed_outcomes, known_options, run_search, trial_options
from .table import as_table
from .trials import Trial, Trials, run_trial
from .workers import check_workers

__all__ = ["compare"]

COLUMNS = (
    "problem",
    "method",
    "fun",
    "minimum",
    "distance",
    "nit",
    "nfev",
    "njev",
    "time",
    "status",
    "success",
    "step_size",
    "error",
)


def compare(
    problems: Problem | str | Iterable[Problem | str],
    methods: Sequence[str] | Mapping[str, Mapping[str, Any]] = ("rmsprop", "adagrad", "adam"),
    *,
    maxiter: int | None = None,
    options: Mapping[str, Any] | None = None,
    as_frame: bool | None = None,
    return_results: bool = False,
    seed: Any = None,
    workers: Any = 1,
    progress: bool = False,
) -> Any:
    """Run every method on every problem under the same budget.

    Parameters
    ----------
    problems : Problem, str, or a sequence of them
        Problems from `rmsopt.problems` (or names of its catalogue, built with
        their default parameters).
    methods : sequence of str, or mapping
        Method names, or a mapping from a label to the options of that run
        (with ``"method"`` among them when the label is not a method's name),
        e.g. ``{"rmsprop": {"learning_rate": 1e-2}, "adagrad": {}}``.
    maxiter : int, optional
        The budget of iterations every run gets; None leaves each run its
        default (10000 iterations, or ``epochs`` passes in minibatch mode).
        Runs' options may not set their own ``maxiter``.
    options : mapping, optional
        Options shared by every run (a method's own options take precedence).
    as_frame : bool, optional
        Return a pandas DataFrame (True), a list of dicts (False), or a
        DataFrame when pandas is installed (None, the default).
    return_results : bool, optional
        Also return the runs' `OptimizeResult` objects (for figures with
        `rmsopt.plot`, say), as a second value.
    seed : None, int, `numpy.random.SeedSequence` or `numpy.random.Generator`, optional
        Seeds the shuffling of minibatch runs without a ``seed`` option (the
        same stream for every run).
    workers : int, map-like callable or `concurrent.futures.Executor`, optional
        Where the runs go, as for `rmsopt.multistart`: ``1`` (default) here,
        an int on a process pool, an executor (a thread pool, a Dask
        cluster's) as given. The table is the same whichever runs it.
    progress : bool, optional
        Show a tqdm bar over the runs.

    Returns
    -------
    list of dict or pandas.DataFrame
        One record per (problem, method), problems in the outer order, with
        ``problem`` and ``method`` (names), ``fun`` (final value), ``minimum``
        (known, else NaN), ``distance`` (to the nearest known minimiser, else
        NaN), ``nit``, ``nfev``, ``njev``, ``time`` (seconds of wall time),
        ``status``, ``success``, ``step_size`` (the median over the
        variables of the effective step size of the last step, see
        `rmsopt.effective_step_size`) and ``error``: what a run raised (it
        then has status 9 and NaN figures, and the other runs go on), else
        None. With ``return_results``, also a dict mapping ``(problem name,
        method label)`` to each `OptimizeResult`. NumPy's floating-point
        warnings are silenced during the runs: a run that diverges says so
        with status 5. Interrupting (Ctrl-C) returns the runs that completed,
        with a `RuntimeWarning` saying how many.

    Examples
    --------
    >>> import rmsopt
    >>> table = rmsopt.compare(["sphere", "booth"], ["rmsprop", "adagrad"],
    ...                        maxiter=200, as_frame=False)
    >>> [(row["problem"], row["method"]) for row in table]   # doctest: +NORMALIZE_WHITESPACE
    [('Sphere (n=10)', 'rmsprop'), ('Sphere (n=10)', 'adagrad'),
     ('Booth', 'rmsprop'), ('Booth', 'adagrad')]
    """
    problem_list = _problems(problems)
    shared = _shared_options(options, maxiter)
    as_frame = Flag(none_ok=True).check(as_frame, argument("as_frame"))
    return_results = Flag().check(return_results, argument("return_results"))
    workers = check_workers(workers)
    runs = [(label, method, {**shared, **own}) for label, method, own in _runs(methods)]
    # Unknown options are warned of once per run label, not once per problem.
    runs = [(label, method, known_options(method, own)) for label, method, own in runs]
    batch_seed = SearchSeeds(seed).batches
    items, keys = [], []
    for problem in problem_list:
        trials = Trials(problem.fun, problem.jac, problem.args, None, None, None)
        check = (problem.fun, problem.x0, problem.args, problem.jac, None, None, None)
        for label, method, own in runs:
            start, run_options = trial_options(method, own, check, batch_seed)
            items.append((trials, Trial(start, method.name, run_options)))
            keys.append((problem, label, method, run_options))
    picklable = {"problems": problem_list, "methods": methods, "options": options}
    completed = run_search(run_trial, items, workers, progress, "compare", picklable)

    records, results = [], {}
    for index, outcome in completed_outcomes(completed):
        problem, label, method, run_options = keys[index]
        res = outcome.results[0]
        results[problem.name, label] = res
        records.append(_record(problem, label, method, run_options, res, outcome.seconds))
    if completed.interrupted:
        warn(
            f"compare was interrupted: the table holds the {len(records)} of {len(items)} runs "
            "that completed.",
            RuntimeWarning,
        )
    table = as_table(records, COLUMNS, as_frame, "compare")
    return (table, results) if return_results else table


def _record(
    problem: Problem,
    label: str,
    method: Method,
    run_options: dict[str, Any],
    res: Any,
    seconds: float,
) -> dict[str, Any]:
    raised = res.status == Status.ERROR
    step_names = {option.name for option in method.step_options}
    step_options = {k: v for k, v in run_options.items() if k in step_names}
    return {
        "problem": problem.name,
        "method": label,
        "fun": float(res.fun),
        "minimum": np.nan if problem.minimum is None else float(problem.minimum),
        "distance": np.nan if raised else problem.distance(res.x),
        "nit": int(res.nit),
        "nfev": int(res.get("nfev", 0)),
        "njev": int(res.get("njev", 0)),
        "time": seconds,
        "status": int(res.status),
        "success": bool(res.success),
        "step_size": np.nan if raised else _median_step_size(res.state, step_options),
        "error": res.get("error"),
    }


def _problems(problems: Any) -> list[Problem]:
    if isinstance(problems, (Problem, str)):
        problems = [problems]
    accepted = "a Problem, a name from rmsopt.problems.CATALOGUE, or a sequence of them"
    try:
        items = list(problems)
    except TypeError:
        raise invalid(TypeError, argument("problems"), accepted, repr(problems)) from None
    if not items:
        raise invalid(ValueError, argument("problems"), accepted, "an empty sequence")
    built = []
    for item in items:
        if isinstance(item, Problem):
            built.append(item)
        elif isinstance(item, str):
            built.append(get(item))
        else:
            raise invalid(TypeError, argument("problems"), accepted, f"an item {item!r}")
    return built


def _median_step_size(state: Mapping[str, Any], options: Mapping[str, Any]) -> float:
    """The median effective step size of the last step; NaN when no step was taken."""
    if state["step"] == 0:
        return float("nan")
    return float(np.median(effective_step_size(state, **options)))


def _shared_options(options: Any, maxiter: Any) -> dict[str, Any]:
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        accepted = "a mapping (e.g. a dict) of option names to values, or None"
        raise invalid(TypeError, argument("options"), accepted, summary(options))
    if "maxiter" in options:
        accepted = "options without 'maxiter' (the 'maxiter' argument sets every run's budget)"
        raise invalid(ValueError, argument("options"), accepted, repr(dict(options)))
    shared = dict(options)
    if maxiter is not None:
        shared["maxiter"] = Integer(0).check(maxiter, argument("maxiter"))
    return shared


def _runs(methods: Any) -> list[tuple[str, Method, dict[str, Any]]]:
    """(label, method, its own options) per run, every method name checked
    before anything runs."""
    accepted = "a sequence of method names or a mapping from labels to option dicts"
    if isinstance(methods, str):
        methods = [methods]
    if isinstance(methods, Mapping):
        items = list(methods.items())
    else:
        try:
            items = [(name, {}) for name in methods]
        except TypeError:
            raise invalid(TypeError, argument("methods"), accepted, repr(methods)) from None
    if not items:
        raise invalid(ValueError, argument("methods"), accepted, "an empty sequence")
    runs = []
    for label, own in items:
        if not isinstance(label, str) or not isinstance(own, Mapping):
            raise invalid(TypeError, argument("methods"), accepted, f"an item {label!r}: {own!r}")
        own = dict(own)
        if "maxiter" in own:
            accepted = "options without 'maxiter' (the 'maxiter' argument sets every budget)"
            raise invalid(ValueError, f"The options of run {label!r}", accepted, repr(own))
        runs.append((label, get_method(own.pop("method", label)), own))
    return runs
