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

from ._constraints import Integer
from ._errors import argument, invalid
from ._history_columns import COLUMN_NAMES
from .problems import Problem

__all__ = ["convergence", "step_sizes", "trajectories"]


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
