"""A catalogue of test problems for first-order methods.

Every entry is a function that builds a `Problem`: the objective, its analytic
gradient, a recommended start, and the known minimisers and minimum where
they are known.

>>> from rmsopt import problems
>>> p = problems.rosenbrock(n=2)
>>> p
<Problem 'Rosenbrock (n=2)': non-convex, n=2>
>>> float(p.fun(p.minimizers[0], *p.args)), p.minimum
(0.0, 0.0)

Convex: `sphere`, `quadratic`, `booth`, `linear_regression`,
`logistic_regression`, `sparse_feature_regression`. Non-convex: `rosenbrock`,
`beale`, `himmelblau`, `rastrigin`, `ackley`, `styblinski_tang`,
`six_hump_camel`, `mlp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._checks.errors import invalid
from ._data_fitting import linear_regression, logistic_regression, sparse_feature_regression
from ._functions import (
    ackley,
    beale,
    booth,
    himmelblau,
    quadratic,
    rastrigin,
    rosenbrock,
    six_hump_camel,
    sphere,
    styblinski_tang,
)
from ._mlp import mlp
from ._problem import Problem

CATALOGUE: dict[str, Callable[..., Problem]] = {
    factory.__name__: factory
    for factory in (
        sphere,
        quadratic,
        booth,
        linear_regression,
        logistic_regression,
        sparse_feature_regression,
        rosenbrock,
        beale,
        himmelblau,
        rastrigin,
        ackley,
        styblinski_tang,
        six_hump_camel,
        mlp,
    )
}


def get(name: str, **parameters: Any) -> Problem:
    """The catalogue's problem ``name`` built with ``parameters`` (e.g.
    ``get("rosenbrock", n=10)``).

    Examples
    --------
    >>> from rmsopt import problems
    >>> p = problems.get("rosenbrock", n=4)
    >>> p.name, p.n
    ('Rosenbrock (n=4)', 4)
    """
    if not isinstance(name, str) or name not in CATALOGUE:
        accepted = "the name of a problem in the catalogue: " + ", ".join(CATALOGUE)
        raise invalid(ValueError, "The problem name", accepted, repr(name))
    return CATALOGUE[name](**parameters)


__all__ = ["CATALOGUE", "Problem", "get", *CATALOGUE]
