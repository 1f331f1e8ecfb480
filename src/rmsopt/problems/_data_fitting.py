"""Data-fitting problems: least squares and logistic regression on generated
data.

Each objective is the mean loss over the samples it is given plus a
regulariser that does not depend on them, so that ``fun(x, *batch)`` on a
minibatch (``args`` sliced along axis 0) is an unbiased estimate of the
full-data objective.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy.special import expit

from ._parameters import check_int, check_real
from ._problem import Problem

__all__ = ["linear_regression", "logistic_regression", "sparse_feature_regression"]

_NEWTON_GTOL = 1e-14
_NEWTON_MAXITER = 100
# Below this Newton decrement the full step is safe and the line search would
# only see rounding noise in the objective.
_NEWTON_FULL_STEP_DECREMENT = 1e-12


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array


def _squared_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """``0.5 * mean((X w - y)**2)``."""
    residual = X @ np.asarray(w, dtype=np.float64) - y
    return float(0.5 * np.mean(residual**2))


def _squared_loss_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``X^T (X w - y) / m``."""
    residual = X @ np.asarray(w, dtype=np.float64) - y
    return X.T @ residual / len(y)


def _logistic_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float) -> float:
    """``mean(log(1 + exp(-s * X w))) + 0.5 * l2 * ||w||^2`` with ``s = 2 y - 1``."""
    w = np.asarray(w, dtype=np.float64)
    margin = (2.0 * y - 1.0) * (X @ w)
    return float(np.mean(np.logaddexp(0.0, -margin)) + 0.5 * l2 * (w @ w))


def _logistic_loss_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """``X^T (expit(X w) - y) / m + l2 * w``."""
    w = np.asarray(w, dtype=np.float64)
    return X.T @ (expit(X @ w) - y) / len(y) + l2 * w


def _logistic_minimizer(X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """The unique minimiser of the regularised logistic loss, by Newton's
    method from zero: damped by backtracking while far from it, then full
    steps until the gradient's max-norm reaches 1e-14 or stops decreasing."""
    m, n = X.shape
    w = np.zeros(n)
    gradient = _logistic_loss_gradient(w, X, y, l2)
    for _ in range(_NEWTON_MAXITER):
        largest = np.max(np.abs(gradient))
        if largest <= _NEWTON_GTOL:
            break
        p = expit(X @ w)
        hessian = (X.T * (p * (1.0 - p))) @ X / m + l2 * np.eye(n)
        direction = np.linalg.solve(hessian, gradient)
        decrement = gradient @ direction
        step = 1.0
        if decrement > _NEWTON_FULL_STEP_DECREMENT:
            value = _logistic_loss(w, X, y, l2)
            while _logistic_loss(w - step * direction, X, y, l2) > value - 0.25 * step * decrement:
                step *= 0.5
        candidate = w - step * direction
        candidate_gradient = _logistic_loss_gradient(candidate, X, y, l2)
        if decrement <= _NEWTON_FULL_STEP_DECREMENT and (
            np.max(np.abs(candidate_gradient)) >= largest
        ):
            break  # rounding error dominates: the previous iterate is the best
        w, gradient = candidate, candidate_gradient
    return w


def _least_squares_problem(name: str, X: np.ndarray, y: np.ndarray, character: str) -> Problem:
    """The problem ``0.5 * mean((X w - y)**2)`` with its least-squares minimiser."""
    X, y = _read_only(X), _read_only(y)
    minimizer = np.linalg.lstsq(X, y, rcond=None)[0]
    return Problem(
        name=name,
        fun=_squared_loss,
        jac=_squared_loss_gradient,
        x0=np.zeros(X.shape[1]),
        convex=True,
        character=character,
        minimizers=minimizer,
        minimum=_squared_loss(minimizer, X, y),
        args=(X, y),
    )


def linear_regression(
    n_samples: int = 200, n_features: int = 5, noise: float = 0.1, seed: int = 0
) -> Problem:
    r"""Least-squares linear regression on Gaussian data.

    .. math::

        f(w; X, y) = \frac{1}{2m} \sum_{i=1}^{m} (x_i^\top w - y_i)^2

    with ``X`` standard normal of shape ``(n_samples, n_features)``, true
    coefficients ``w*`` standard normal, and ``y = X w* + noise * N(0, 1)``,
    all drawn from ``np.random.default_rng(seed)``.

    Parameters
    ----------
    n_samples : int, optional
        Number of samples ``m``; at least ``n_features``, so that the
        minimiser is unique.
    n_features : int, optional
        Number of features, the dimension ``n`` of ``w``.
    noise : float, optional
        Standard deviation of the Gaussian noise added to the targets.
    seed : int, optional
        Seed of the data.

    Returns
    -------
    Problem
        ``args = (X, y)``; ``x0`` zeros; the minimiser is the least-squares
        fit of the full data (`numpy.linalg.lstsq`), ``minimum`` the loss there.

    Examples
    --------
    >>> from rmsopt import problems
    >>> p = problems.linear_regression(n_samples=50, n_features=3)
    >>> p
    <Problem 'Linear regression (m=50, n=3)': convex, n=3>
    >>> X, y = p.args
    >>> X.shape, y.shape
    ((50, 3), (50,))
    >>> bool(abs(p.jac(p.minimizers[0], *p.args)).max() < 1e-12)
    True
    """
    name = "linear_regression"
    n_features = check_int(name, "n_features", n_features, 1)
    n_samples = check_int(name, "n_samples", n_samples, n_features)
    noise = check_real(name, "noise", noise, 0.0)
    seed = check_int(name, "seed", seed, 0)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    true_coefficients = rng.standard_normal(n_features)
    y = X @ true_coefficients + noise * rng.standard_normal(n_samples)
    return _least_squares_problem(
        f"Linear regression (m={n_samples}, n={n_features})",
        X,
        y,
        "A well-conditioned convex quadratic (Gaussian features), the baseline every method "
        "should solve.",
    )


def logistic_regression(
    n_samples: int = 200, n_features: int = 5, l2: float = 1e-2, seed: int = 0
) -> Problem:
    r"""L2-regularised logistic regression on overlapping classes.

    .. math::

        f(w; X, y) = \frac{1}{m} \sum_{i=1}^{m} \log\left(1 + e^{-s_i x_i^\top w}\right)
                     + \frac{\lambda}{2} \|w\|^2,
        \qquad s_i = 2 y_i - 1,

    with ``X`` standard normal of shape ``(n_samples, n_features)`` and labels
    ``y_i in {0, 1}`` drawn with probability ``expit(x_i^T w*)`` for standard
    normal true coefficients ``w*``, so that the classes overlap. The loss is
    computed stably with `numpy.logaddexp`; the regulariser is not scaled by
    the number of samples, so on a minibatch ``fun`` is an unbiased estimate of
    the full objective.

    Parameters
    ----------
    n_samples : int, optional
        Number of samples ``m``.
    n_features : int, optional
        Number of features, the dimension of ``w``.
    l2 : float, optional
        Regularisation strength ``lambda > 0``; it makes the minimiser unique
        and finite even on separable data.
    seed : int, optional
        Seed of the data.

    Returns
    -------
    Problem
        ``args = (X, y)`` with ``y`` as floats 0.0 and 1.0; ``x0`` zeros. The
        minimiser has no closed form: it is computed at construction by Newton's
        method (exact Hessian) to a gradient max-norm of about 1e-14, and
        ``minimum`` is the loss there.

    Examples
    --------
    >>> from rmsopt import problems
    >>> p = problems.logistic_regression()
    >>> p
    <Problem 'Logistic regression (m=200, n=5)': convex, n=5>
    >>> round(p.fun(p.x0, *p.args), 6)   # log(2) at w = 0
    0.693147
    >>> bool(p.minimum < p.fun(p.x0, *p.args))
    True
    """
    name = "logistic_regression"
    n_samples = check_int(name, "n_samples", n_samples, 1)
    n_features = check_int(name, "n_features", n_features, 1)
    l2 = check_real(name, "l2", l2, 0.0, low_closed=False)
    seed = check_int(name, "seed", seed, 0)
    rng = np.random.default_rng(seed)
    X = _read_only(rng.standard_normal((n_samples, n_features)))
    true_coefficients = rng.standard_normal(n_features)
    y = _read_only(rng.random(n_samples) < expit(X @ true_coefficients))
    minimizer = _logistic_minimizer(X, y, l2)
    return Problem(
        name=f"Logistic regression (m={n_samples}, n={n_features})",
        fun=partial(_logistic_loss, l2=l2),
        jac=partial(_logistic_loss_gradient, l2=l2),
        x0=np.zeros(n_features),
        convex=True,
        character="Smooth and strongly convex (through the L2 term) but not quadratic: the "
        "curvature flattens where the samples are classified with confidence.",
        minimizers=minimizer,
        minimum=_logistic_loss(minimizer, X, y, l2),
        args=(X, y),
    )


def sparse_feature_regression(
    n_samples: int = 100,
    spread: float = 10.0,
    intercept: float = 2.0,
    slope: float = 0.5,
    noise: float = 0.1,
    seed: int = 0,
) -> Problem:
    r"""Least squares with an intercept column and one feature of diverse values.

    The classic setting for AdaGrad against RMSprop: the design matrix
    ``X = [1, t]`` has a column of ones (the intercept) and a column ``t``
    uniform on ``[0, spread]``, and

    .. math::

        f(w; X, y) = \frac{1}{2m} \sum_{i=1}^{m} (w_0 + w_1 t_i - y_i)^2,
        \qquad y_i = a + b\, t_i + \text{noise} \cdot N(0, 1).

    The Hessian ``X^T X / m`` tends to ``[[1, s/2], [s/2, s^2/3]]`` with
    ``s = spread``, whose condition number grows like ``4 s^2 / 3``: about 140
    for ``spread=10`` (eigenvalues 0.24 and 34), about 1200 for ``spread=30``.
    The default data (seed 0) have eigenvalues 0.23 and 40.0, condition number
    174. The slope direction is steep, the intercept direction shallow.

    Parameters
    ----------
    n_samples : int, optional
        Number of samples ``m`` (at least 2).
    spread : float, optional
        Width ``s > 0`` of the interval the feature is drawn from; it sets the
        conditioning.
    intercept : float, optional
        True intercept ``a``.
    slope : float, optional
        True slope ``b``.
    noise : float, optional
        Standard deviation of the Gaussian noise added to the targets.
    seed : int, optional
        Seed of the data.

    Returns
    -------
    Problem
        ``args = (X, y)`` with ``X`` of shape ``(n_samples, 2)``, first column
        ones; ``x = (intercept, slope)``; ``x0`` zeros; the minimiser is the
        least-squares fit of the full data, ``minimum`` the loss there.

    Examples
    --------
    >>> import numpy as np
    >>> from rmsopt import problems
    >>> p = problems.sparse_feature_regression()
    >>> X, y = p.args
    >>> bool(np.all(X[:, 0] == 1.0))
    True
    >>> print(np.round(p.minimizers[0], 1))
    [2.  0.5]
    """
    name = "sparse_feature_regression"
    n_samples = check_int(name, "n_samples", n_samples, 2)
    spread = check_real(name, "spread", spread, 0.0, low_closed=False)
    intercept = check_real(name, "intercept", intercept)
    slope = check_real(name, "slope", slope)
    noise = check_real(name, "noise", noise, 0.0)
    seed = check_int(name, "seed", seed, 0)
    rng = np.random.default_rng(seed)
    feature = rng.uniform(0.0, spread, n_samples)
    X = np.column_stack([np.ones(n_samples), feature])
    y = intercept + slope * feature + noise * rng.standard_normal(n_samples)
    return _least_squares_problem(
        f"Sparse-feature regression (m={n_samples}, spread={spread:g})",
        X,
        y,
        "Badly scaled least squares (a constant intercept column beside a feature of large, "
        "diverse values): AdaGrad's accumulated squared gradients make its step size decay "
        "before the shallow intercept direction converges, while RMSprop's moving average "
        "keeps the step size up.",
    )
