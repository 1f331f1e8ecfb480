"""What the front door hands to a driver: one validated run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._method import Method
from ._native_driver import NativeObjective
from ._objective import Objective

__all__ = ["Run"]


@dataclass(frozen=True)
class Run:
    """A validated run of ``method``: the options, the objective (a C-level
    one for a `scipy.LowLevelCallable` fun), the start
    (``x`` and a ``state`` that has taken ``steps_taken`` steps), the keyword
    arguments both drivers take for a step (learning rate, clipping, box), the
    adapted callback (the displays chained in), whether something needs ``fun``
    at every iterate (``need_value``), ``allvecs`` (a list with ``return_all``, else None) and
    the native `History` recorder (or None)."""

    method: Method
    settings: dict[str, Any]
    objective: Objective | NativeObjective
    x: np.ndarray
    state: np.ndarray
    steps_taken: int
    step_arguments: dict[str, Any]
    callback: Any
    need_value: bool
    allvecs: list | None
    history: Any
