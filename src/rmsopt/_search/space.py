"""The option values a search tries: every combination of a grid, or draws
from lists and `scipy.stats` distributions."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._checks.errors import argument, invalid

__all__ = ["check_space", "grid_points", "random_points"]

_SUBJECT = argument("space")


def check_space(space: Any, search: str) -> list[dict[str, Any]]:
    """``space`` as a list of ``{option name: values}`` mappings, each value a
    list (or, for a random search, a distribution with an ``rvs`` method)."""
    accepted = (
        "a mapping from option names to lists of values, or a non-empty list of such mappings"
    )
    if isinstance(space, Mapping):
        spaces = [space]
    elif isinstance(space, Sequence) and not isinstance(space, str) and space:
        spaces = list(space)
    else:
        raise invalid(TypeError, _SUBJECT, accepted, repr(space))
    checked = []
    for sub_space in spaces:
        if not isinstance(sub_space, Mapping):
            raise invalid(TypeError, _SUBJECT, accepted, f"an item {sub_space!r}")
        checked.append({name: _values(name, values, search) for name, values in sub_space.items()})
    return checked


def _values(name: Any, values: Any, search: str) -> Any:
    if not isinstance(name, str):
        raise invalid(TypeError, _SUBJECT, "a mapping with option names (str) as keys", repr(name))
    if name == "maximize":
        accepted = "options other than 'maximize' (pass it in 'options': it decides the ranking)"
        raise invalid(ValueError, _SUBJECT, accepted, repr(name))
    if search == "random" and hasattr(values, "rvs"):
        return values
    accepted = f"for {name!r}, a non-empty list of values" + (
        " or a scipy.stats distribution"
        if search == "random"
        else " (a distribution needs search='random')"
        if hasattr(values, "rvs")
        else ""
    )
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = values.tolist()
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise invalid(TypeError, _SUBJECT, accepted, repr(values))
    return list(values)


def grid_points(spaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every combination of each space's values, spaces in order, the last
    name varying fastest."""
    points = []
    for space in spaces:
        names = list(space)
        for values in itertools.product(*(space[name] for name in names)):
            points.append(dict(zip(names, values, strict=True)))
    return points


def random_points(
    spaces: list[dict[str, Any]], n_points: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """``n_points`` draws: a space chosen uniformly, then per name a uniform
    pick from its list or a draw from its distribution. When every value is a
    list, the draws are distinct points of the grid, as many as it has."""
    if not any(hasattr(values, "rvs") for space in spaces for values in space.values()):
        grid = grid_points(spaces)
        if n_points > len(grid):
            accepted = (
                f"at most the {len(grid)} combinations of a space of lists "
                "(search='grid' tries them all)"
            )
            raise invalid(ValueError, argument("n_trials"), accepted, repr(n_points))
        return [grid[int(i)] for i in rng.choice(len(grid), size=n_points, replace=False)]
    points = []
    for _ in range(n_points):
        space = spaces[int(rng.integers(len(spaces)))] if len(spaces) > 1 else spaces[0]
        point = {}
        for name, values in space.items():
            if hasattr(values, "rvs"):
                point[name] = np.asarray(values.rvs(random_state=rng)).item()
            else:
                point[name] = values[int(rng.integers(len(values)))]
        points.append(point)
    return points
