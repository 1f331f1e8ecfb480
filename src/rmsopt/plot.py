"""Figures of runs (the ``plot`` extra: matplotlib).

Every function draws on the Axes it is given (or on a new figure's) and
returns that Axes; none calls ``show()``. The results come from
`rmsopt.minimize` with ``options={"history": True}`` (convergence curves and
step sizes) or ``return_all=True`` (trajectories).

Any run can be drawn: one that diverged, took one step or none, stayed
constant or went below zero. What a figure cannot show (non-finite values,
zeros on a log scale, a run that raised) is left out and said in a note
written in the figure, where a linear scale replaces a log one the note says
so too.

>>> import numpy as np, rmsopt, rmsopt.plot
>>> from rmsopt import problems
>>> p = problems.rosenbrock()
>>> runs = [rmsopt.minimize(p.fun, p.x0, jac=p.jac, method=m,
...                         options={"learning_rate": 1e-2, "maxiter": 2000,
...                                  "history": True, "return_all": True})
...         for m in ("rmsprop", "adagrad")]
>>> ax = rmsopt.plot.step_sizes(runs, labels=["RMSprop", "AdaGrad"])
>>> ax = rmsopt.plot.trajectories(p, runs, labels=["RMSprop", "AdaGrad"])
>>> import io
>>> ax.figure.savefig(io.BytesIO(), format="png")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from ._checks.constraints import Integer
from ._checks.errors import argument, invalid, summary
from ._front.history import COLUMN_NAMES
from ._front.status import Status
from .problems import Problem

__all__ = ["convergence", "scores", "step_sizes", "trajectories"]


def convergence(
    results: Any,
    labels: Sequence[str] | None = None,
    *,
    column: str = "fun",
    minimum: float | None = None,
    ax: Any = None,
) -> Any:
    """Curves of one history column against the iteration, one per result,
    on a log scale.

    Parameters
    ----------
    results : OptimizeResult, sequence of them, or mapping
        Runs made with ``options={"history": True}`` (or with ``column``
        among the recorded groups). A mapping (such as the results of
        ``rmsopt.compare(..., return_results=True)``) labels each run by its key.
    labels : sequence of str, optional
        Legend entries, one per result.
    column : str, optional
        The history column: ``"fun"`` (default), ``"grad_norm"``,
        ``"step_norm"``, ... Drawn on a log scale, where zeros are left out;
        with a negative value (a loss below zero) on a linear scale, as
        when every value is zero.
    minimum : float, optional
        With ``column="fun"``, plot the gap ``f - minimum`` instead of ``f``
        (gaps that rounding makes zero or negative are drawn at the smallest
        positive float).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    A note in the figure says what is not drawn: non-finite values (NaN or
    inf; the NaN a step column holds at iteration 0, before any step, is not
    counted), zeros left off the log scale, a run that diverged (its last,
    non-finite value was never recorded) or raised, and the switch to a
    linear scale. A run with one point to draw is drawn as a marker.

    Examples
    --------
    >>> import numpy as np, rmsopt, rmsopt.plot
    >>> p = rmsopt.problems.rosenbrock()
    >>> res = rmsopt.minimize(p.fun, p.x0, jac=p.jac,
    ...                       options={"maxiter": 200, "gtol": 0.0, "history": ["fun"]})
    >>> ax = rmsopt.plot.convergence([res], labels=["RMSprop"])
    >>> ax.get_yscale()
    'log'
    """
    if column not in COLUMN_NAMES:
        accepted = "one of " + ", ".join(map(repr, COLUMN_NAMES))
        raise invalid(ValueError, argument("column"), accepted, repr(column))
    if minimum is not None and column != "fun":
        accepted = "None unless column='fun' (it turns f into the gap f - minimum)"
        raise invalid(ValueError, argument("minimum"), accepted, f"{minimum!r} with {column=}")
    results, labels = _runs(results, labels)
    ax = _axes(ax)
    notes: list[str] = []
    curves = []
    for index, (result, label) in enumerate(zip(results, labels, strict=True)):
        who = _who(index, label, len(results))
        if _raised(result):
            notes.append(who + _raised_note(result))
            curves.append((label, np.empty(0), np.empty(0), None))
            continue
        notes += _diverged(result, who)
        values = np.array(_column(result, column, index), dtype=float)
        nit = np.asarray(_column(result, "nit", index))
        if minimum is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                values = np.maximum(values - minimum, np.finfo(float).tiny)
        finite = np.isfinite(values)
        unexpected = ~finite & ~_before_first_step(column, nit, values)
        if np.any(unexpected):
            notes.append(who + _count(int(unexpected.sum()), "non-finite value") + " not shown")
        curves.append((label, nit, values, finite))
    drawn = [values[finite] for _, _, values, finite in curves if finite is not None]
    drawn = np.concatenate(drawn) if drawn else np.empty(0)
    # A log scale shows positive values only: zeros are left out (and said so), negative
    # values (losses below zero) switch to a linear scale.
    log = minimum is not None or (drawn.size > 0 and bool(np.all(drawn >= 0) and np.any(drawn > 0)))
    if not log and drawn.size:
        if column == "fun" and np.any(drawn < 0):
            notes.append(
                "losses are negative: linear scale (minimum= draws the gap f - f* on a log scale)"
            )
        elif np.any(drawn < 0):
            notes.append(f"negative values of {column!r}: linear scale")
        else:
            notes.append(f"{column!r} is 0 throughout (a log scale cannot show 0): linear scale")
    for index, (label, nit, values, finite) in enumerate(curves):
        if finite is None:
            ax.plot([], [], label=label)  # the run raised: its legend entry and colour stay
            continue
        shown = finite & (values > 0) if log else finite
        hidden = int(np.sum(finite & ~shown))
        if hidden:
            who = _who(index, label, len(curves))
            notes.append(who + _count(hidden, "value") + " ≤ 0 not shown (log scale)")
        if not np.any(shown):
            who = _who(index, label, len(curves))
            notes.append(who + _nothing_to_draw(column, nit))
        ax.plot(
            nit,
            np.where(shown, values, np.nan),
            label=label,
            marker="o" if np.sum(shown) < 2 else None,
        )
    ax.set_yscale("log" if log else "linear")
    ax.set_xlabel("iteration")
    ax.set_ylabel("f(x) - f*" if minimum is not None else column)
    _legend(ax, labels)
    _note(ax, notes)
    return ax


def step_sizes(results: Any, labels: Sequence[str] | None = None, *, ax: Any = None) -> Any:
    """The effective step size over the iterations: for each result, the band
    from the smallest to the largest over the variables and the median as a
    line, on a log scale. AdaGrad's band falls for good; RMSprop's recovers
    as the gradients shrink.

    Parameters
    ----------
    results : OptimizeResult or sequence of them
        Runs made with ``options={"history": True}`` (or with the
        ``"step_size"`` group).
    labels : sequence of str, optional
        Legend entries, one per result.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    A run with a single step is drawn as a marker with a bar from the
    smallest to the largest step size. A note in the figure says what is not
    drawn: a run that took no step (it has no step size), non-finite or
    non-positive step sizes, a run that diverged or raised.

    Examples
    --------
    >>> import numpy as np, rmsopt, rmsopt.plot
    >>> p = rmsopt.problems.rosenbrock()
    >>> res = rmsopt.minimize(p.fun, p.x0, jac=p.jac,
    ...                       options={"maxiter": 200, "gtol": 0.0, "history": True})
    >>> ax = rmsopt.plot.step_sizes([res], labels=["RMSprop"])
    >>> ax.get_xlabel()
    'iteration'
    """
    results, labels = _runs(results, labels)
    ax = _axes(ax)
    notes: list[str] = []
    drawn = False
    for index, (result, label) in enumerate(zip(results, labels, strict=True)):
        who = _who(index, label, len(results))
        if _raised(result):
            notes.append(who + _raised_note(result))
            ax.plot([], [], label=label)  # its legend entry and colour stay
            continue
        notes += _diverged(result, who)
        low, median, high = (
            np.array(_column(result, f"step_size_{part}", index), dtype=float)
            for part in ("min", "median", "max")
        )
        nit = np.asarray(_column(result, "nit", index))
        columns = np.stack([low, median, high])
        finite = np.isfinite(columns)
        unexpected = ~finite & ~_before_first_step("step_size_median", nit, columns)
        if np.any(unexpected):
            notes.append(who + _count(int(unexpected.sum()), "non-finite value") + " not shown")
        positive = finite & (columns > 0)
        if np.any(finite & ~positive):
            hidden = int(np.sum(finite & ~positive))
            notes.append(who + _count(hidden, "step size") + " ≤ 0 not shown (log scale)")
        shown = positive[1]
        if not np.any(shown):
            notes.append(who + _nothing_to_draw("step_size_median", nit))
        drawn = drawn or bool(np.any(positive))
        single = np.sum(shown) < 2
        (line,) = ax.plot(
            nit, np.where(shown, median, np.nan), label=label, marker="o" if single else None
        )
        band = positive[0] & positive[2]
        band_low, band_high = np.where(band, low, np.nan), np.where(band, high, np.nan)
        if single:  # a band one iteration wide has no area: a bar shows it
            ax.vlines(nit[band], band_low[band], band_high[band], color=line.get_color(),
                      alpha=0.4, linewidth=4)  # fmt: skip
        else:
            ax.fill_between(nit, band_low, band_high, color=line.get_color(), alpha=0.2,
                            linewidth=0)  # fmt: skip
    ax.set_yscale("log" if drawn else "linear")
    ax.set_xlabel("iteration")
    ax.set_ylabel("effective step size (median; band: min to max)")
    _legend(ax, labels)
    _note(ax, notes)
    return ax


def trajectories(
    objective: Problem | Callable[..., float],
    results: Any,
    labels: Sequence[str] | None = None,
    *,
    bounds: Any = None,
    levels: int = 30,
    resolution: int = 200,
    ax: Any = None,
) -> Any:
    """Contours of a function of two variables with the paths of runs over them.

    Parameters
    ----------
    objective : Problem or callable
        A problem of `rmsopt.problems` with ``n == 2`` (its known minimisers
        are marked), or ``f(x) -> float`` for ``x`` of shape ``(2,)``.
    results : OptimizeResult or sequence of them
        Runs made with ``options={"return_all": True}``.
    labels : sequence of str, optional
        Legend entries, one per result.
    bounds : ((xmin, xmax), (ymin, ymax)), optional
        The window; by default the paths' extent with a margin.
    levels : int, optional
        Number of contour levels (log-spaced above the lowest finite value).
    resolution : int, optional
        Grid points per axis.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Non-finite iterates are left out (the path breaks there) and the window
    holds the finite ones, however far a diverged run went. Where the
    function is not finite (it overflows far out) there are no contours, and
    none where it is constant. A note in the figure says what is not drawn.

    Examples
    --------
    >>> import numpy as np, rmsopt, rmsopt.plot
    >>> p = rmsopt.problems.rosenbrock()
    >>> res = rmsopt.minimize(p.fun, p.x0, jac=p.jac,
    ...                       options={"maxiter": 200, "gtol": 0.0, "return_all": True})
    >>> ax = rmsopt.plot.trajectories(p, [res], labels=["RMSprop"])
    >>> len(ax.lines) >= 1
    True
    """
    results, labels = _runs(results, labels)
    levels = Integer(2).check(levels, argument("levels"))
    resolution = Integer(2).check(resolution, argument("resolution"))
    fun, args, minimizers = _two_dimensional(objective)
    notes: list[str] = []
    paths = []
    for index, (result, label) in enumerate(zip(results, labels, strict=True)):
        who = _who(index, label, len(results))
        if _raised(result) and result.get("allvecs") is None:
            notes.append(who + _raised_note(result))
            paths.append(np.empty((0, 2)))
            continue
        notes += _diverged(result, who)
        path = np.array(_iterates(result, index), dtype=float).reshape(-1, 2)
        finite = np.all(np.isfinite(path), axis=1)
        if not np.all(finite):
            notes.append(who + _count(int(np.sum(~finite)), "non-finite iterate") + " not shown")
            path[~finite] = np.nan  # the line breaks there
        elif not path.size:
            notes.append(who + "no iterate to draw")
        paths.append(path)
    (x_low, x_high), (y_low, y_high) = _window(paths, minimizers, bounds)
    grid_x, grid_y = np.meshgrid(
        np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution)
    )
    values = _grid_values(fun, args, grid_x, grid_y)
    ax = _axes(ax)
    contour_levels, note = _levels(values, levels)
    if note:
        notes.append(note)
    if contour_levels is not None:
        ax.contour(grid_x, grid_y, np.ma.masked_invalid(values), levels=contour_levels,
                   linewidths=0.5, cmap="viridis")  # fmt: skip
    for path, label in zip(paths, labels, strict=True):
        (line,) = ax.plot(path[:, 0], path[:, 1], linewidth=1.2, label=label)
        finite = np.flatnonzero(np.isfinite(path[:, 0]))
        if finite.size:
            first, last = path[finite[0]], path[finite[-1]]
            ax.plot(first[0], first[1], "o", color=line.get_color())
            ax.plot(last[0], last[1], "s", color=line.get_color())
    if minimizers is not None:
        ax.plot(minimizers[:, 0], minimizers[:, 1], "k*", markersize=9, label="known minima")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    _legend(ax, labels + ([] if minimizers is None else ["known minima"]))
    _note(ax, notes)
    return ax


def _grid_values(fun: Callable[..., float], args: tuple, grid_x: Any, grid_y: Any) -> np.ndarray:
    """``fun`` over the grid; NaN where it overflows (said in the figure, not warned)."""

    def value(a: float, b: float) -> float:
        try:
            return fun(np.array([a, b]), *args)
        except ArithmeticError:  # Python floats overflow by raising
            return np.nan

    with np.errstate(all="ignore"):
        values = [value(a, b) for a, b in zip(grid_x.ravel(), grid_y.ravel(), strict=True)]
        return np.array(values, dtype=float).reshape(grid_x.shape)


def _levels(values: np.ndarray, count: int) -> tuple[np.ndarray | None, str]:
    """Contour levels over the finite values (None where there are none to draw) and a note
    on what the contours leave out."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, "f is not finite anywhere on the window: no contours"
    note = ""
    if finite.size < values.size:
        share = 100 * (values.size - finite.size) / values.size
        note = f"f is not finite on {share:.0f}% of the window: no contours there"
    floor, top = finite.min(), finite.max()
    with np.errstate(over="ignore"):
        span = min(top - floor, np.finfo(float).max)
    if not span > 0:
        return None, "; ".join(filter(None, [note, f"f is constant ({floor:.3g}): no contours"]))
    # Log-spaced levels above the lowest value show valleys that linear levels flatten.
    with np.errstate(over="ignore"):
        levels = np.unique(floor + np.geomspace(1e-3, max(span, 1e-3) + 1e-3, count))
    levels = levels[np.isfinite(levels)]
    if not np.any((levels > floor) & (levels < top)):
        # Offsets lost in rounding far from zero: levels spread over the values instead.
        levels = np.unique(np.linspace(floor, top, count + 2)[1:-1])
        levels = levels[(levels > floor) & (levels < top)]
        if levels.size == 0:
            return None, "; ".join(filter(None, [note, "f is all but constant: no contours"]))
    return levels, note


def scores(
    search: Any,
    x: str,
    y: str | None = None,
    *,
    maximize: bool | None = None,
    ax: Any = None,
) -> Any:
    """The scores of a search (`rmsopt.tune`) against one or two of the
    options it varied: a line over ``x``, or a heat map over ``x`` and ``y``
    with each cell's score written in it and the best cell framed.

    Parameters
    ----------
    search : OptimizeResult, DataFrame or list of dicts
        What `rmsopt.tune` returned, or its ``table``.
    x, y : str
        Columns of the table (option names, ``"method"``...). Numbers are
        placed in increasing order, other values in order of appearance. On
        the line over ``x`` alone, a numeric ``x`` spanning more than a
        decade is drawn on a log scale; the heat map has one cell per value.
    maximize : bool, optional
        Whether a higher score is better; by default what the search says
        (its ``maximize``), else False.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Where several trials share a point (other options varied too), the point
    shows the best of them. Trials without a value for ``x`` or ``y`` (those
    of another method, in a search over several) are left out. Scores are
    drawn on a log scale when all are positive. A point where every
    trial failed (a NaN score: it raised or diverged) is left blank and marked
    "failed".

    Examples
    --------
    >>> import numpy as np, rmsopt, rmsopt.plot
    >>> p = rmsopt.problems.rosenbrock()
    >>> search = rmsopt.tune(p.fun, p.x0, {"learning_rate": [1e-3, 1e-2], "rho": [0.9, 0.99]},
    ...                      jac=p.jac, options={"maxiter": 100})
    >>> ax = rmsopt.plot.scores(search, "learning_rate", "rho")
    """
    _pyplot()
    if maximize is None:
        maximize = bool(search.get("maximize", False)) if isinstance(search, Mapping) else False
    records = _records(search)
    columns = [x] if y is None else [x, y]
    for column in columns:
        if column not in records[0]:
            accepted = "a column of the table: " + ", ".join(repr(name) for name in records[0])
            raise invalid(ValueError, argument("x" if column == x else "y"), accepted, repr(column))
    records = [record for record in records if not any(_missing(record[c]) for c in columns)]
    if not records:
        accepted = "columns with a value in at least one trial"
        raise invalid(ValueError, argument("search"), accepted, f"none for {columns}")
    ax = _axes(ax)
    x_values = _ordered(record[x] for record in records)
    y_values = [None] if y is None else _ordered(record[y] for record in records)
    grid = np.full((len(y_values), len(x_values)), np.nan)
    for record in records:
        i = 0 if y is None else y_values.index(record[y])
        j = x_values.index(record[x])
        score, current = float(record["score"]), grid[i, j]
        if np.isnan(current) or (score > current if maximize else score < current):
            grid[i, j] = score
    finite = grid[np.isfinite(grid)]
    log_scores = finite.size > 0 and bool(np.all(finite > 0))
    best = None
    if finite.size:
        best = np.unravel_index(np.nanargmax(grid) if maximize else np.nanargmin(grid), grid.shape)
    label = "score" + (" (higher is better)" if maximize else " (lower is better)")
    if y is None:
        _score_line(ax, x_values, grid[0], best, log_scores)
        ax.set_ylabel(label)
    else:
        _score_map(ax, x_values, y_values, grid, best, log_scores, label)
        ax.set_ylabel(y)
    ax.set_xlabel(x)
    return ax


def _records(search: Any) -> list[dict[str, Any]]:
    table = search.get("table") if isinstance(search, OptimizeResult) else search
    if hasattr(table, "to_dict"):
        table = table.to_dict("records")
    accepted = "what rmsopt.tune returned, or its table, with at least one trial"
    if not isinstance(table, list) or not table or not isinstance(table[0], Mapping):
        raise invalid(ValueError, argument("search"), accepted, repr(search)[:80])
    if "score" not in table[0]:
        raise invalid(ValueError, argument("search"), accepted, "a table without 'score'")
    return table


def _missing(value: Any) -> bool:
    """None, or the NaN pandas puts where a trial had no value."""
    return value is None or (isinstance(value, float) and np.isnan(value))


def _ordered(values: Any) -> list:
    distinct = list(dict.fromkeys(values))
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in distinct):
        return sorted(distinct)
    return distinct


def _log_x(values: list) -> bool:
    numbers = [value for value in values if isinstance(value, (int, float))]
    return len(numbers) == len(values) and min(numbers) > 0 and max(numbers) / min(numbers) > 10


def _score_line(ax: Any, x_values: list, line: np.ndarray, best: Any, log: bool) -> None:
    numeric = _log_x(x_values) or all(isinstance(v, (int, float)) for v in x_values)
    positions = x_values if numeric else list(range(len(x_values)))
    ax.plot(positions, line, marker="o")
    if best is not None:
        ax.plot([positions[best[1]]], [line[best[1]]], marker="*", markersize=14, linestyle="")
    for position, value in zip(positions, line, strict=True):
        if np.isnan(value):
            ax.annotate("failed", (position, 0.02), xycoords=("data", "axes fraction"),
                        ha="center", color="0.4")  # fmt: skip
    if _log_x(x_values):
        ax.set_xscale("log")
    if not numeric:
        ax.set_xticks(positions, [str(value) for value in x_values])
    if log:
        ax.set_yscale("log")


def _score_map(
    ax: Any, x_values: list, y_values: list, grid: np.ndarray, best: Any, log: bool, label: str
) -> None:
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.patches import Rectangle

    finite = grid[np.isfinite(grid)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    norm = LogNorm(low, max(high, low * 1.0001)) if log else Normalize(low, high)
    image = ax.imshow(
        np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap="viridis_r", norm=norm
    )
    ax.figure.colorbar(image, ax=ax, label=label + (", log scale" if log else ""))
    for (i, j), value in np.ndenumerate(grid):
        if np.isnan(value):
            ax.text(j, i, "failed", ha="center", va="center", color="0.4", fontsize="small")
            continue
        # Dark text on the light end of the colour map, light text on the dark end.
        light = norm(value) < 0.5
        ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize="small",
                color="black" if light else "white")  # fmt: skip
    if best is not None:
        i, j = best
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    ax.set_xticks(range(len(x_values)), [_tick(value) for value in x_values])
    ax.set_yticks(range(len(y_values)), [_tick(value) for value in y_values])


def _tick(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "rmsopt.plot needs matplotlib: pip install matplotlib (or rmsopt[plot])."
        ) from None
    return plt


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    return _pyplot().subplots(figsize=(6.4, 4.4), layout="constrained")[1]


def _legend(ax: Any, labels: Sequence[str]) -> None:
    if any(labels):
        ax.legend(frameon=False)


def _runs(results: Any, labels: Any) -> tuple[list, list[str]]:
    _pyplot()
    keys = None
    if isinstance(results, OptimizeResult):
        runs = [results]
    elif isinstance(results, Mapping):
        keys, runs = [_key_label(key) for key in results], list(results.values())
    else:
        runs = list(results)
    if not runs:
        raise invalid(
            ValueError, argument("results"), "an OptimizeResult or a sequence of them", "none"
        )
    if labels is None:
        return runs, keys or [""] * len(runs)
    labels = [str(label) for label in labels]
    if len(labels) != len(runs):
        accepted = f"one label per result ({len(runs)})"
        raise invalid(ValueError, argument("labels"), accepted, f"{len(labels)} labels")
    return runs, labels


def _key_label(key: Any) -> str:
    return " ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _column(result: Any, name: str, index: int) -> np.ndarray:
    history = result.get("history") if hasattr(result, "get") else None
    if history is None or name not in history:
        raise invalid(
            ValueError,
            f"Result {index}",
            f"a run with the history column {name!r} (options={{'history': True}})",
            "a result without it",
        )
    return history[name]


# Columns with no value before the first step: NaN at iteration 0 is no missing value.
_STEP_COLUMNS = ("step_norm", "learning_rate", "step_size_min", "step_size_median", "step_size_max")


def _before_first_step(column: str, nit: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where ``values`` is the NaN a step column holds before any step."""
    return (column in _STEP_COLUMNS) & (nit == 0) & np.isnan(values)


def _nothing_to_draw(column: str, nit: np.ndarray) -> str:
    if column in _STEP_COLUMNS and np.all(nit == 0):
        return f"no step taken: no {column!r} to draw"
    return f"no finite value of {column!r} to draw"


def _raised(result: Any) -> bool:
    """A record of a run that raised (`compare`, `tune`: status ERROR), with nothing to draw."""
    return hasattr(result, "get") and result.get("status") == Status.ERROR


def _raised_note(result: Any) -> str:
    error = str(result.get("error") or "an error")
    return f"the run raised ({error[:60]}{'...' if len(error) > 60 else ''}): nothing to draw"


def _diverged(result: Any, who: str) -> list[str]:
    """The note for a run that stopped on a non-finite value, which no figure can show."""
    if not (hasattr(result, "get") and result.get("status") == Status.NONFINITE):
        return []
    after = "" if result.get("nit") is None else f" after iteration {result.get('nit')}"
    return [f"{who}diverged{after} (the non-finite value that stopped it is not shown)"]


def _who(index: int, label: str, count: int) -> str:
    """How a note names a run: its label, else its index when there are several."""
    if label:
        return f"{label}: "
    return f"result {index}: " if count > 1 else ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _note(ax: Any, notes: list[str]) -> None:
    """What the figure could not draw, written in it."""
    if notes:
        ax.text(0.02, 0.02, "\n".join(notes), transform=ax.transAxes, ha="left", va="bottom",
                fontsize="small", color="0.25", zorder=5,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})  # fmt: skip


def _iterates(result: Any, index: int) -> list:
    allvecs = result.get("allvecs") if hasattr(result, "get") else None
    if allvecs is None:
        raise invalid(
            ValueError,
            f"Result {index}",
            "a run with its iterates (options={'return_all': True})",
            "a result without `allvecs`",
        )
    if len(allvecs) == 0:
        return []
    if np.asarray(allvecs[0]).shape != (2,):
        size = np.asarray(allvecs[0]).size
        raise invalid(ValueError, f"Result {index}", "a run in two variables", f"a run in {size}")
    return allvecs


def _two_dimensional(objective: Any) -> tuple[Callable[..., float], tuple, np.ndarray | None]:
    if isinstance(objective, Problem):
        if objective.n != 2:
            raise invalid(
                ValueError, argument("objective"), "a problem in two variables", repr(objective)
            )
        return objective.fun, objective.args, objective.minimizers
    if callable(objective):
        return objective, (), None
    raise invalid(TypeError, argument("objective"), "a Problem or a callable f(x)", repr(objective))


def _window(paths: list, minimizers: Any, bounds: Any) -> tuple:
    if bounds is not None:
        accepted = "((xmin, xmax), (ymin, ymax)) with finite xmin < xmax and ymin < ymax"
        try:
            window = np.asarray(bounds, dtype=float)
        except (TypeError, ValueError):
            raise invalid(ValueError, argument("bounds"), accepted, summary(bounds)) from None
        if window.shape != (2, 2) or not np.all(
            np.isfinite(window) & (window[:, 0] < window[:, 1])
        ):
            raise invalid(ValueError, argument("bounds"), accepted, summary(bounds))
        return tuple(tuple(pair) for pair in window.tolist())
    points = np.concatenate([*paths, *([] if minimizers is None else [minimizers])])
    points = points[np.all(np.isfinite(points), axis=1)]
    if points.size == 0:  # no finite iterate and no known minimiser
        return ((-1.0, 1.0), (-1.0, 1.0))
    # A diverged run's iterates can near the largest float: keep the window's arithmetic finite.
    points = np.clip(points, -_FAR, _FAR)
    low, high = points.min(axis=0), points.max(axis=0)
    # Far from zero a margin of 0.5 would be lost in rounding: the grid needs distinct points.
    margin = np.maximum.reduce(
        [0.15 * (high - low), np.full(2, 0.5), _DISTINCT * np.maximum(np.abs(low), np.abs(high))]
    )
    return tuple(zip(low - margin, high + margin, strict=True))


_FAR = 1e300  # iterates beyond it are drawn at the window's edge or outside
_DISTINCT = 1e-6  # the least width of a window, relative to its distance from zero
