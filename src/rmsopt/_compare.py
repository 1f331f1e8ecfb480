"""Every method on every problem under one budget, as a table."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._constraints import Flag, Integer
from ._diagnostics import effective_step_size
from ._errors import argument, invalid
from ._method import Method
from ._minimize import minimize
from ._registry import get_method
from ._table import as_table
from .problems import Problem, get

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
)


def compare(
    problems: Problem | str | Iterable[Problem | str],
    methods: Sequence[str] | Mapping[str, Mapping[str, Any]] = ("rmsprop", "adagrad", "adam"),
    *,
    maxiter: int | None = None,
    options: Mapping[str, Any] | None = None,
    as_frame: bool | None = None,
    return_results: bool = False,
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
        default (1000 iterations, or ``epochs`` passes in minibatch mode).
        Runs' options may not set their own ``maxiter``.
    options : mapping, optional
        Options shared by every run (a method's own options take precedence).
    as_frame : bool, optional
        Return a pandas DataFrame (True), a list of dicts (False), or a
        DataFrame when pandas is installed (None, the default).
    return_results : bool, optional
        Also return the runs' `OptimizeResult` objects (for figures with
        `rmsopt.plot`, say), as a second value.

    Returns
    -------
    list of dict or pandas.DataFrame
        One record per (problem, method), problems in the outer order, with
        ``problem`` and ``method`` (names), ``fun`` (final value), ``minimum``
        (known, else NaN), ``distance`` (to the nearest known minimiser, else
        NaN), ``nit``, ``nfev``, ``njev``, ``time`` (seconds of wall time),
        ``status``, ``success`` and ``step_size``: the median over the
        variables of the effective step size of the last step (see
        `rmsopt.effective_step_size`). With ``return_results``, also a dict
        mapping ``(problem name, method label)`` to each `OptimizeResult`.
        NumPy's overflow and invalid-value
        warnings are silenced during the runs: a run that diverges says so
        with status 5.

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
    results = {}
    runs = [(label, method, {**shared, **own}) for label, method, own in _runs(methods)]
    records = []
    for problem in problem_list:
        for label, method, run_options in runs:
            start = time.perf_counter()
            # A run that diverges stops with status 5; NumPy's overflow warnings on the way
            # would only repeat that.
            with np.errstate(over="ignore", invalid="ignore"):
                res = minimize(
                    problem.fun,
                    problem.x0,
                    args=problem.args,
                    method=method.name,
                    jac=problem.jac,
                    options=run_options,
                )
            elapsed = time.perf_counter() - start
            results[problem.name, label] = res
            step_names = {option.name for option in method.step_options}
            step_options = {k: v for k, v in run_options.items() if k in step_names}
            records.append(
                {
                    "problem": problem.name,
                    "method": label,
                    "fun": float(res.fun),
                    "minimum": np.nan if problem.minimum is None else float(problem.minimum),
                    "distance": problem.distance(res.x),
                    "nit": int(res.nit),
                    "nfev": int(res.nfev),
                    "njev": int(res.njev),
                    "time": elapsed,
                    "status": int(res.status),
                    "success": bool(res.success),
                    "step_size": _median_step_size(res.state, step_options),
                }
            )
    table = as_table(records, COLUMNS, as_frame, "compare")
    return (table, results) if return_results else table


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
        raise invalid(TypeError, argument("options"), accepted, repr(options))
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
