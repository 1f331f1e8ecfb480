"""What a test problem is: an objective with its analytic gradient, a
recommended start, and what is known about its minima."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy import LowLevelCallable
from scipy.optimize import Bounds

__all__ = ["Problem"]


def _frozen(array: Any, dtype: type = np.float64) -> np.ndarray:
    """A read-only float copy, so that no run can change a problem's data."""
    copy = np.array(array, dtype=dtype, copy=True)
    copy.setflags(write=False)
    return copy


def _read_only(item: Any) -> Any:
    """A read-only view of an array in ``args`` (other items as they are)."""
    if not isinstance(item, np.ndarray):
        return item
    view = item.view()
    view.setflags(write=False)
    return view


@dataclass(frozen=True, eq=False, repr=False)
class Problem:
    """A test problem for first-order methods.

    Call it as ``rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac)``.

    Parameters
    ----------
    name : str
        Short title, e.g. ``"Rosenbrock (n=2)"``.
    fun : callable
        ``fun(x, *args) -> float``.
    jac : callable
        ``jac(x, *args) -> ndarray`` of shape ``(n,)``, the analytic gradient.
    x0 : array_like
        The recommended starting point (the one the literature uses, where it
        has one).
    convex : bool
        Whether ``fun`` is convex.
    character : str
        One sentence on what makes the problem easy or hard.
    minimizers : array_like, optional
        Known global minimisers, shape ``(k, n)``; None when unknown.
    minimum : float, optional
        The known global minimum; None when unknown.
    bounds : `scipy.optimize.Bounds`, optional
        The standard search domain, where the literature has one.
    args : tuple, optional
        Data for data-fitting problems: arrays whose first axis indexes the
        samples, so that ``fun(x, *batch)`` with the arrays sliced along axis 0
        is the same loss on a minibatch (the mean over its samples).
    native_name : str, optional
        The name of the problem's C-level version among rmsopt's compiled
        objectives, for problems that have one (see ``native``).

    Attributes
    ----------
    n : int
        Number of variables.
    n_samples : int or None
        Number of samples in ``args``; None for problems without data.
    native : scipy.LowLevelCallable or None
        The objective as a C function that returns the value and writes the
        gradient (``rmsopt.minimize(p.native, p.x0)`` runs without the GIL),
        with the gradient computed as ``jac`` computes it; None for problems
        without one.

    Examples
    --------
    >>> import rmsopt
    >>> p = rmsopt.problems.booth()
    >>> res = rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac,
    ...                       options={"learning_rate": rmsopt.schedules.reduce_on_plateau(0.1)})
    >>> bool(res.success), bool(abs(res.fun - p.minimum) < 1e-8)
    (True, True)
    """

    name: str
    fun: Callable[..., float]
    jac: Callable[..., np.ndarray]
    x0: np.ndarray
    convex: bool
    character: str
    minimizers: np.ndarray | None = None
    minimum: float | None = None
    bounds: Bounds | None = None
    args: tuple = field(default=())
    native_name: str | None = None

    def __post_init__(self) -> None:
        x0 = _frozen(self.x0)
        object.__setattr__(self, "x0", x0)
        if self.minimizers is not None:
            minimizers = _frozen(self.minimizers).reshape(-1, x0.shape[0])
            object.__setattr__(self, "minimizers", minimizers)
        object.__setattr__(self, "args", tuple(_read_only(item) for item in self.args))

    def __reduce__(self) -> tuple:
        # Through __init__, so that an unpickled problem's arrays are read-only again.
        return (Problem, tuple(getattr(self, f.name) for f in fields(self)))

    @property
    def native(self) -> LowLevelCallable | None:
        if self.native_name is None:
            return None
        from . import _native

        return LowLevelCallable.from_cython(_native, self.native_name)

    @property
    def n(self) -> int:
        return self.x0.shape[0]

    @property
    def n_samples(self) -> int | None:
        return self.args[0].shape[0] if self.args else None

    def distance(self, x: Any) -> float:
        """Euclidean distance from ``x`` to the nearest known minimiser (NaN
        when none is known)."""
        if self.minimizers is None:
            return float("nan")
        differences = self.minimizers - np.asarray(x, dtype=np.float64)
        return float(np.min(np.linalg.norm(differences, axis=1)))

    def __repr__(self) -> str:
        kind = "convex" if self.convex else "non-convex"
        return f"<Problem {self.name!r}: {kind}, n={self.n}>"
