"""The history option on the Python side: the native recorder a run gets, and
the columns of ``res.history``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks.constraints import HISTORY_GROUPS
from .._core.history import History
from .._methods.method import Method

__all__ = ["COLUMN_NAMES", "history_columns", "new_history"]

# The columns each group of the 'history' option records, in the order of the native table's
# columns (the enum in _history.pxd).
_COLUMNS = {
    "fun": ("fun",),
    "grad_norm": ("grad_norm",),
    "step_norm": ("step_norm",),
    "learning_rate": ("learning_rate",),
    "step_size": ("step_size_min", "step_size_median", "step_size_max"),
    "v": ("v_min", "v_median", "v_max"),
}


def new_history(method: Method, settings: Mapping[str, Any], n: int) -> History | None:
    """The recorder for a run over ``n`` variables, or None without ``history``."""
    groups = settings["history"]
    if not groups:
        return None
    v_row = (
        method.state.index(method.second_moment)
        if "v" in groups and method.second_moment is not None
        else -1
    )
    return History(
        settings["history_size"],
        settings["history_interval"],
        n,
        v_row,
        "step_size" in groups,
        "grad_norm" in groups or "step_norm" in groups,
    )


assert tuple(_COLUMNS) == HISTORY_GROUPS

COLUMN_NAMES = ("nit", *sum(_COLUMNS.values(), ()))

_INDEX = {name: index for index, name in enumerate(sum(_COLUMNS.values(), ()))}


def history_columns(history: History, groups: tuple[str, ...]) -> dict[str, np.ndarray]:
    """``res.history``: ``nit`` and the columns of the recorded groups."""
    nits, table = history.rows()
    columns = {"nit": nits}
    for group in groups:
        for name in _COLUMNS[group]:
            columns[name] = table[:, _INDEX[name]]
    return columns
