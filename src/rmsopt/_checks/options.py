"""Options as data: an `Option` is a name, a default, a constraint (``constraints``) and a
meaning; `validate_options` checks what a run was given against the options declared, and
warns of unknown names as SciPy's methods do."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scipy.optimize import OptimizeWarning

from .constraints import Constraint
from .warn import warn

__all__ = ["Option", "suggest", "validate_options"]


@dataclass(frozen=True)
class Option:
    """One option of a method: its name, default, constraint and meaning."""

    name: str
    default: Any
    constraint: Constraint
    doc: str

    def docstring_entry(self) -> str:
        kind = self.constraint.describe().removeprefix("a ").removeprefix("an ")
        return f"{self.name} : {kind}, default {self.default!r}\n    {self.doc}"


# Other frameworks' names for rmsopt's options, for "did you mean" hints.
_FRAMEWORK_NAMES = {
    "lr": "learning_rate",
    "eps": "epsilon",
    "alpha": "rho",
    "decay": "rho",
    "betas": "beta1",
    "beta_1": "beta1",
    "beta_2": "beta2",
    "max_iter": "maxiter",
}


def suggest(name: Any, known: Any) -> str | None:
    """The known option a misspelt or foreign ``name`` most likely means."""
    alias = _FRAMEWORK_NAMES.get(str(name))
    if alias in known:
        return alias
    close = difflib.get_close_matches(str(name), known, n=1)
    return close[0] if close else None


def validate_options(
    method: str, declared: tuple[Option, ...], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Return every declared option, validated, with defaults filled in.

    Unknown names warn `scipy.optimize.OptimizeWarning`, as SciPy's methods do,
    with the closest known name as a hint.
    """
    known = {option.name: option for option in declared}
    unknown = [name for name in given if name not in known]
    if unknown:
        hints = []
        for name in unknown:
            close = suggest(name, known)
            hints.append(f"{name} (did you mean {close!r}?)" if close else str(name))
        warn(f"Unknown solver options for method {method!r}: {', '.join(hints)}", OptimizeWarning)
    return {
        name: option.constraint.check(given[name], f"The {name!r} option of method {method!r}")
        if name in given
        else option.default
        for name, option in known.items()
    }
