"""Ordinary fits, as a scientist meets them: the suite that `minimize`'s defaults must solve.

Each fit is a smooth objective with its analytic gradient, on a reasonably scaled problem
(standardised features, mean losses), started where a user would start it:

- regressions on data sets statsmodels ships (logistic, Poisson, linear), with a small L2
  penalty where the unpenalised optimum may be flat;
- curve fits (an exponential decay, a Gaussian peak) started from ones;
- synthetic least squares and ridge problems of 50 and 300 parameters;
- the convex problems of `rmsopt.problems`.

`FITS` maps a name to a function returning a `Fit`; ``python -m benchmarks.fits`` runs every
method with no options beside L-BFGS-B and prints the table of ``docs/defaults.md``.
``tests/test_default_convergence.py`` asserts that every method converges on every fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FITS", "Fit", "table"]


@dataclass(frozen=True)
class Fit:
    """An objective ``fun(x) -> (value, gradient)`` and where to start it."""

    name: str
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]]
    x0: np.ndarray
    # For a sum of squares, fun = mean(r**2) / 2: (r(x), its Jacobian), for least_squares.
    residuals: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def n(self) -> int:
        return self.x0.size


def _standardised(frame) -> np.ndarray:
    """Columns of ``frame`` centred and scaled to unit variance, with a column of ones first."""
    values = np.asarray(frame, dtype=float)
    values = (values - values.mean(axis=0)) / values.std(axis=0)
    return np.column_stack([np.ones(len(values)), values])


def _logistic(A: np.ndarray, y: np.ndarray, l2: float) -> Callable:
    m = A.shape[0]

    def fun(w):
        z = A @ w
        # log(1 + exp(z)) - y z, computed without overflow.
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * (w @ w)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        return value, A.T @ (p - y) / m + l2 * w

    return fun


def _poisson(A: np.ndarray, y: np.ndarray) -> Callable:
    m = A.shape[0]

    def fun(w):
        z = A @ w
        mu = np.exp(z)
        return np.mean(mu - y * z), A.T @ (mu - y) / m

    return fun


def _least_squares(A: np.ndarray, y: np.ndarray, l2: float = 0.0) -> Callable:
    m = A.shape[0]

    def fun(w):
        r = A @ w - y
        return 0.5 * (r @ r) / m + 0.5 * l2 * (w @ w), A.T @ r / m + l2 * w

    return fun


def logistic_spector() -> Fit:
    """Grade improvement on a teaching method (statsmodels ``spector``, 32 students, 4
    coefficients), logistic, L2 1e-3."""
    from statsmodels.datasets import spector

    data = spector.load_pandas()
    A = _standardised(data.exog)
    return Fit(
        "logistic, spector (n=4)",
        _logistic(A, data.endog.to_numpy(float), 1e-3),
        np.zeros(A.shape[1]),
    )


def logistic_anes96() -> Fit:
    """Vote in the 1996 US election (statsmodels ``anes96``, 944 voters, 6 coefficients),
    logistic, L2 1e-3."""
    from statsmodels.datasets import anes96

    data = anes96.load_pandas().data
    A = _standardised(data[["logpopul", "selfLR", "age", "educ", "income"]])
    return Fit(
        "logistic, anes96 (n=6)",
        _logistic(A, data["vote"].to_numpy(float), 1e-3),
        np.zeros(A.shape[1]),
    )


def logistic_fair() -> Fit:
    """Whether an affair was reported (statsmodels ``fair``, 6366 women, 9 coefficients),
    logistic, L2 1e-3."""
    from statsmodels.datasets import fair

    data = fair.load_pandas()
    A = _standardised(data.exog)
    y = (data.endog.to_numpy() > 0).astype(float)
    return Fit("logistic, fair (n=9)", _logistic(A, y, 1e-3), np.zeros(A.shape[1]))


def poisson_randhie() -> Fit:
    """Doctor visits in the RAND health insurance experiment (statsmodels ``randhie``, 20190
    people, 10 coefficients), Poisson regression."""
    from statsmodels.datasets import randhie

    data = randhie.load_pandas()
    A = _standardised(data.exog)
    return Fit(
        "Poisson, randhie (n=10)", _poisson(A, data.endog.to_numpy(float)), np.zeros(A.shape[1])
    )


def linear_statecrime() -> Fit:
    """Violent crime rate by US state (statsmodels ``statecrime``, 51 states, 5
    coefficients), least squares on the standardised response."""
    from statsmodels.datasets import statecrime

    data = statecrime.load_pandas()
    A = _standardised(data.exog)
    y = data.endog.to_numpy(float)
    y = (y - y.mean()) / y.std()
    return Fit("linear, statecrime (n=5)", _least_squares(A, y), np.zeros(A.shape[1]))


def _mean_square(residuals: Callable) -> Callable:
    """``mean(r**2) / 2`` and its gradient from residuals and their Jacobian."""

    def fun(p):
        r, J = residuals(p)
        return 0.5 * np.mean(r * r), J.T @ r / r.size

    return fun


def _decay_data() -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 4.0, 50)
    noise = np.random.default_rng(0).normal(scale=0.05, size=t.size)
    return t, 2.5 * np.exp(-1.3 * t) + 0.5 + noise


def exponential_decay() -> Fit:
    """``y = a exp(-k t) + b`` to 50 noisy points (a=2.5, k=1.3, b=0.5), from ones, mean
    squared residual."""
    t, y = _decay_data()

    def residuals(p):
        a, k, b = p
        e = np.exp(-k * t)
        return a * e + b - y, np.column_stack([e, -a * t * e, np.ones_like(t)])

    return Fit("exponential decay (n=3)", _mean_square(residuals), np.ones(3), residuals)


def gaussian_peak() -> Fit:
    """``y = h exp(-(t - c)^2 / (2 w^2))`` to 80 noisy points (h=3, c=1.5, w=0.8), from
    ones, mean squared residual."""
    t = np.linspace(-2.0, 5.0, 80)
    noise = np.random.default_rng(1).normal(scale=0.05, size=t.size)
    y = 3.0 * np.exp(-((t - 1.5) ** 2) / (2 * 0.8**2)) + noise

    def residuals(p):
        h, c, w = p
        u = (t - c) / w
        e = np.exp(-0.5 * u * u)
        return h * e - y, np.column_stack([e, h * e * u / w, h * e * u * u / w])

    return Fit("Gaussian peak (n=3)", _mean_square(residuals), np.ones(3), residuals)


def least_squares_50() -> Fit:
    """Linear least squares, 200 observations of 50 standard normal features, from zeros."""
    rng = np.random.default_rng(2)
    A = rng.standard_normal((200, 50))
    y = A @ rng.standard_normal(50) + 0.1 * rng.standard_normal(200)
    return Fit("least squares (n=50)", _least_squares(A, y), np.zeros(50))


def ridge_300() -> Fit:
    """Ridge regression, 1000 observations of 300 standard normal features, L2 1e-2."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((1000, 300))
    y = A @ (rng.standard_normal(300) / np.sqrt(300)) + 0.1 * rng.standard_normal(1000)
    return Fit("ridge (n=300)", _least_squares(A, y, 1e-2), np.zeros(300))


def _catalogue(name: str, label: str) -> Callable[[], Fit]:
    def make() -> Fit:
        import rmsopt

        problem = rmsopt.problems.get(name)

        def fun(x):
            return problem.fun(x, *problem.args), problem.jac(x, *problem.args)

        return Fit(label, fun, np.asarray(problem.x0, dtype=float))

    make.__doc__ = f"The catalogue's ``{name}`` problem, from its own starting point."
    return make


FITS: dict[str, Callable[[], Fit]] = {
    "logistic_spector": logistic_spector,
    "logistic_anes96": logistic_anes96,
    "logistic_fair": logistic_fair,
    "poisson_randhie": poisson_randhie,
    "linear_statecrime": linear_statecrime,
    "exponential_decay": exponential_decay,
    "gaussian_peak": gaussian_peak,
    "least_squares_50": least_squares_50,
    "ridge_300": ridge_300,
    "quadratic": _catalogue("quadratic", "catalogue: quadratic (n=10, condition 1e3)"),
    "linear_regression": _catalogue("linear_regression", "catalogue: linear regression (n=5)"),
    "logistic_regression": _catalogue(
        "logistic_regression", "catalogue: logistic regression (n=5)"
    ),
    "sparse_feature_regression": _catalogue(
        "sparse_feature_regression", "catalogue: sparse-feature regression (n=2)"
    ),
    "booth": _catalogue("booth", "catalogue: Booth (n=2)"),
}


def table(methods=("rmsprop", "adam", "adamw", "adagrad", "adadelta", "sgd")) -> str:
    """The markdown table of docs/defaults.md: every fit, every method with no options, and
    L-BFGS-B beside them."""
    import scipy.optimize

    import rmsopt

    rows = [
        "| fit | method | status | iterations | f - f(L-BFGS-B) | time [ms] |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for make in FITS.values():
        fit = make()
        start = time.perf_counter()
        reference = scipy.optimize.minimize(fit.fun, fit.x0, jac=True, method="L-BFGS-B")
        elapsed = time.perf_counter() - start
        rows.append(
            f"| {fit.name} | L-BFGS-B | {reference.status} | {reference.nit} | 0 | "
            f"{1e3 * elapsed:.1f} |"
        )
        for method in methods:
            start = time.perf_counter()
            res = rmsopt.minimize(fit.fun, fit.x0, jac=True, method=method)
            elapsed = time.perf_counter() - start
            rows.append(
                f"| | {method} | {res.status} | {res.nit} | {res.fun - reference.fun:.1e} | "
                f"{1e3 * elapsed:.1f} |"
            )
    return "\n".join(rows)


def side_by_side(names=("exponential_decay", "gaussian_peak", "logistic_anes96")) -> str:
    """The table of docs/fitting.md: RMSprop and Adam with minimize's defaults beside
    L-BFGS-B and, for sums of squares, least_squares (SciPy's defaults), on the same fits."""

    def timed(run):
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            res = run()
            best = min(best, time.perf_counter() - start)
        return res, best

    rows = [
        "| fit | solver | status | iterations | evaluations | f | time [ms] |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        fit = FITS[name]()
        for label, run in _solvers(fit).items():
            res, seconds = timed(run)
            value = fit.fun(res.x)[0]
            nit = getattr(res, "nit", "-")
            rows.append(
                f"| {fit.name if label == 'rmsopt rmsprop' else ''} | {label} | {res.status} | "
                f"{nit} | {res.nfev} | {value:.6g} | {1e3 * seconds:.1f} |"
            )
    return "\n".join(rows)


def _solvers(fit: Fit) -> dict[str, Callable]:
    """The runs side_by_side times on ``fit``: label -> a call returning the result."""
    import scipy.optimize

    import rmsopt

    def rmsopt_run(method):
        return lambda: rmsopt.minimize(fit.fun, fit.x0, jac=True, method=method)

    runs = {f"rmsopt {method}": rmsopt_run(method) for method in ("rmsprop", "adam")}
    runs["L-BFGS-B"] = lambda: scipy.optimize.minimize(fit.fun, fit.x0, jac=True, method="L-BFGS-B")
    if fit.residuals is not None:
        runs["least_squares"] = lambda: scipy.optimize.least_squares(
            lambda p: fit.residuals(p)[0], fit.x0, jac=lambda p: fit.residuals(p)[1]
        )
    return runs


if __name__ == "__main__":
    import sys

    print(side_by_side() if "--side-by-side" in sys.argv else table())
