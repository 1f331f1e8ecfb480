"""Figures of runs (the ``plot`` extra: matplotlib).

Every function draws on the Axes it is given (or on a new figure's) and
returns that Axes; none calls ``show()``. The results come from
`rmsopt.minimize` with ``options={"history": True}`` (convergence curves and
step sizes) or ``return_all=True`` (trajectories).

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
from ._checks.errors import argument, invalid
from ._front.history import COLUMN_NAMES
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
        ``"step_norm"``, ... Its values must be positive (a log scale).
    minimum : float, optional
        With ``column="fun"``, plot the gap ``f - minimum`` instead of ``f``
        (gaps that rounding makes zero or negative are drawn at the smallest
        positive float).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if column not in COLUMN_NAMES:
        accepted = "one of " + ", ".join(map(repr, COLUMN_NAMES))
        raise invalid(ValueError, argument("column"), accepted, repr(column))
    if minimum is not None and column != "fun":
        accepted = "None unless column='fun' (it turns f into the gap f - minimum)"
        raise invalid(ValueError, argument("minimum"), accepted, f"{minimum!r} with {column=}")
    results, labels = _runs(results, labels)
    ax = _axes(ax)
    for index, (result, label) in enumerate(zip(results, labels, strict=True)):
        values, nit = _column(result, column, index), _column(result, "nit", index)
        if minimum is not None:
            values = np.maximum(values - minimum, np.finfo(float).tiny)
        elif np.any(values <= 0):
            accepted = f"positive values of {column!r} for a log scale"
            hint = " (pass minimum= to plot the gap f - f*)" if column == "fun" else ""
            raise invalid(
                ValueError, f"Result {index}", accepted + hint, f"a smallest of {values.min():g}"
            )
        ax.plot(nit, values, label=label, marker="o" if len(nit) < 2 else None)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("f(x) - f*" if minimum is not None else column)
    _legend(ax, labels)
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
    """
    results, labels = _runs(results, labels)
    ax = _axes(ax)
    for index, (result, label) in enumerate(zip(results, labels, strict=True)):
        low, median, high = (
            _column(result, f"step_size_{part}", index) for part in ("min", "median", "max")
        )
        nit = _column(result, "nit", index)
        if not np.any(np.isfinite(median)):
            accepted = "a run that took at least one step"
            raise invalid(ValueError, f"Result {index}", accepted, "no step")
        (line,) = ax.plot(nit, median, label=label)
        ax.fill_between(nit, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("effective step size (median; band: min to max)")
    _legend(ax, labels)
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
        Number of contour levels (log-spaced above the lowest value).
    resolution : int, optional
        Grid points per axis.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's Axes by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    results, labels = _runs(results, labels)
    levels = Integer(2).check(levels, argument("levels"))
    resolution = Integer(2).check(resolution, argument("resolution"))
    fun, args, minimizers = _two_dimensional(objective)
    paths = [np.asarray(_iterates(result, index)) for index, result in enumerate(results)]
    (x_low, x_high), (y_low, y_high) = _window(paths, minimizers, bounds)
    grid_x, grid_y = np.meshgrid(
        np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution)
    )
    values = np.array(
        [fun(np.array([a, b]), *args) for a, b in zip(grid_x.ravel(), grid_y.ravel(), strict=True)]
    ).reshape(grid_x.shape)
    ax = _axes(ax)
    # Log-spaced levels above the lowest value show valleys that linear levels flatten.
    floor = np.nanmin(values)
    offsets = np.geomspace(1e-3, max(np.nanmax(values) - floor, 1e-3) + 1e-3, levels)
    ax.contour(grid_x, grid_y, values, levels=floor + offsets, linewidths=0.5, cmap="viridis")
    for path, label in zip(paths, labels, strict=True):
        (line,) = ax.plot(path[:, 0], path[:, 1], linewidth=1.2, label=label)
        ax.plot(path[0, 0], path[0, 1], "o", color=line.get_color())
        ax.plot(path[-1, 0], path[-1, 1], "s", color=line.get_color())
    if minimizers is not None:
        ax.plot(minimizers[:, 0], minimizers[:, 1], "k*", markersize=9, label="known minima")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    _legend(ax, labels + ([] if minimizers is None else ["known minima"]))
    return ax


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


def _iterates(result: Any, index: int) -> list:
    allvecs = result.get("allvecs") if hasattr(result, "get") else None
    if allvecs is None:
        raise invalid(
            ValueError,
            f"Result {index}",
            "a run with its iterates (options={'return_all': True})",
            "a result without `allvecs`",
        )
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
            raise invalid(ValueError, argument("bounds"), accepted, repr(bounds)) from None
        if window.shape != (2, 2) or not np.all(
            np.isfinite(window) & (window[:, 0] < window[:, 1])
        ):
            raise invalid(ValueError, argument("bounds"), accepted, repr(bounds))
        return tuple(tuple(pair) for pair in window.tolist())
    points = np.concatenate([*paths, *([] if minimizers is None else [minimizers])])
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(0.15 * (high - low), 0.5)
    return tuple(zip(low - margin, high + margin, strict=True))
