"""Classic analytic test functions, each with its analytic gradient.

Objectives and gradients are module-level functions (parameterised ones through
`functools.partial`), so that problems pickle and can be sent to worker processes. Objectives
accept float32 or float64 arrays, compute in float64, return a Python float and never modify
``x``; gradients return a new float64 array.

References: Jamil, M. and Yang, X.-S. (2013), A literature survey of benchmark functions for
global optimization problems, Int. J. Math. Model. Numer. Optim. 4(2), 150-194; Surjanovic, S.
and Bingham, D., Virtual Library of Simulation Experiments, https://www.sfu.ca/~ssurjano/.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from scipy.optimize import Bounds

from ._parameters import check_int, check_real
from ._problem import Problem

__all__ = [
    "ackley",
    "beale",
    "booth",
    "himmelblau",
    "quadratic",
    "rastrigin",
    "rosenbrock",
    "six_hump_camel",
    "sphere",
    "styblinski_tang",
]

# Minimisers refined to float64 by Newton's method at 50 digits (mpmath):
# the analytic gradient is below 1e-13 at each of them.
_HIMMELBLAU_MINIMIZERS = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)
_CAMEL_MINIMIZER = (0.08984201310031806, -0.7126564030207396)
_CAMEL_MINIMUM = -1.0316284534898774
# The negative root of 4 t^3 - 32 t + 5 and the 1-D minimum 0.5 (t^4 - 16 t^2 + 5 t).
_STYBLINSKI_TANG_ROOT = -2.903534027771177
_STYBLINSKI_TANG_MINIMUM_1D = -39.16616570377141

_BEALE_CONSTANTS = np.array([1.5, 2.25, 2.625])
_BEALE_POWERS = np.array([1.0, 2.0, 3.0])
_BOOTH_MATRIX = np.array([[1.0, 2.0], [2.0, 1.0]])
_BOOTH_TARGET = np.array([7.0, 5.0])
_ACKLEY_A, _ACKLEY_B, _ACKLEY_C = 20.0, 0.2, 2.0 * math.pi


def _vector(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _box(low: float, high: float, n: int) -> Bounds:
    return Bounds(np.full(n, low), np.full(n, high))


def _sphere(x: Any) -> float:
    x = _vector(x)
    return float(x @ x)


def _sphere_grad(x: Any) -> np.ndarray:
    return 2.0 * _vector(x)


def sphere(n: int = 10) -> Problem:
    """The sphere function, ``f(x) = sum_i x_i^2``.

    Minimiser ``x* = 0``, ``f(x*) = 0``, domain ``[-5.12, 5.12]^n`` (Jamil & Yang 2013; Surjanovic
    & Bingham). Start ``x0 = (1, ..., 1)``.

    Parameters
    ----------
    n : int, default 10
        Number of variables, at least 1.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import sphere
    >>> p = sphere(n=3)
    >>> p.fun(p.x0), p.jac(p.x0)
    (3.0, array([2., 2., 2.]))
    """
    n = check_int("sphere", "n", n, 1)
    return Problem(
        name=f"Sphere (n={n})",
        fun=_sphere,
        jac=_sphere_grad,
        x0=np.ones(n),
        convex=True,
        character="An isotropic bowl, the easiest problem there is: a sanity check.",
        minimizers=np.zeros((1, n)),
        minimum=0.0,
        bounds=_box(-5.12, 5.12, n),
        native_name="sphere",
    )


def _quadratic(x: Any, curvatures: np.ndarray) -> float:
    x = _vector(x)
    return float(0.5 * (curvatures @ (x * x)))


def _quadratic_grad(x: Any, curvatures: np.ndarray) -> np.ndarray:
    return curvatures * _vector(x)


def quadratic(n: int = 10, condition: float = 1e3) -> Problem:
    """An ill-conditioned convex quadratic, ``f(x) = 0.5 * sum_i h_i x_i^2``.

    The curvatures are ``h = numpy.logspace(0, log10(condition), n)``, from 1 to ``condition``,
    the condition number of the Hessian ``diag(h)`` that sets the speed of fixed-step gradient
    descent (Nocedal & Wright 2006, Numerical Optimization, section 3.3). Minimiser ``x* = 0``,
    ``f(x*) = 0``, no standard domain. Start ``x0 = (1, ..., 1)``.

    Parameters
    ----------
    n : int, default 10
        Number of variables, at least 2 (one variable has no condition number: use `sphere`).
    condition : float, default 1e3
        Condition number of the Hessian, finite and at least 1.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import quadratic
    >>> p = quadratic(n=3, condition=100.0)
    >>> p.name, p.jac(p.x0)
    ('Quadratic (n=3, condition 100)', array([  1.,  10., 100.]))
    """
    n = check_int("quadratic", "n", n, 2)
    condition = check_real("quadratic", "condition", condition, 1.0)
    curvatures = np.logspace(0.0, math.log10(condition), n)
    curvatures.setflags(write=False)
    return Problem(
        name=f"Quadratic (n={n}, condition {condition:.3g})",
        fun=functools.partial(_quadratic, curvatures=curvatures),
        jac=functools.partial(_quadratic_grad, curvatures=curvatures),
        x0=np.ones(n),
        convex=True,
        character="Ill-conditioned along the axes: a fixed step must suit the largest curvature, "
        "while per-coordinate scaling can undo it.",
        minimizers=np.zeros((1, n)),
        minimum=0.0,
    )


def _rosenbrock(x: Any) -> float:
    x = _vector(x)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def _rosenbrock_grad(x: Any) -> np.ndarray:
    x = _vector(x)
    valley = x[1:] - x[:-1] ** 2
    grad = np.zeros_like(x)
    grad[:-1] = -400.0 * x[:-1] * valley - 2.0 * (1.0 - x[:-1])
    grad[1:] += 200.0 * valley
    return grad


def rosenbrock(n: int = 2) -> Problem:
    """The Rosenbrock function, ``f(x) = sum_{i=1}^{n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2``.

    The chained form of `scipy.optimize.rosen`. Minimiser ``x* = (1, ..., 1)``, ``f(x*) = 0``,
    domain ``[-5, 10]^n`` (Surjanovic & Bingham). For ``n >= 4`` there is a second local minimum
    near ``(-1, 1, ..., 1)``, with ``f`` between 3.70 and 3.99 (Shang & Qiu 2006, Evol. Comput.
    14(1), for ``4 <= n <= 30``). Start ``x0 = (-1.2, 1, -1.2, 1, ...)`` cut to ``n`` entries,
    the classic start (Moré, Garbow & Hillstrom 1981, ACM TOMS 7(1)).

    Parameters
    ----------
    n : int, default 2
        Number of variables, at least 2.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import rosenbrock
    >>> p = rosenbrock(n=3)
    >>> p.x0, p.fun(p.minimizers[0])
    (array([-1.2,  1. , -1.2]), 0.0)
    """
    n = check_int("rosenbrock", "n", n, 2)
    character = "A narrow curved valley: reaching it is easy, following it to the minimum is slow"
    if n >= 4:
        character += ", and a second local minimum near (-1, 1, ..., 1)"
    return Problem(
        name=f"Rosenbrock (n={n})",
        fun=_rosenbrock,
        jac=_rosenbrock_grad,
        x0=np.where(np.arange(n) % 2 == 0, -1.2, 1.0),
        convex=False,
        character=character + ".",
        minimizers=np.ones((1, n)),
        minimum=0.0,
        bounds=_box(-5.0, 10.0, n),
        native_name="rosenbrock",
    )


def _beale_residuals(x: float, y: float) -> np.ndarray:
    return _BEALE_CONSTANTS - x * (1.0 - y**_BEALE_POWERS)


def _beale(x: Any) -> float:
    residuals = _beale_residuals(*_vector(x))
    return float(residuals @ residuals)


def _beale_grad(x: Any) -> np.ndarray:
    x, y = _vector(x)
    residuals = _beale_residuals(x, y)
    d_dx = 2.0 * residuals @ (y**_BEALE_POWERS - 1.0)
    d_dy = 2.0 * residuals @ (x * _BEALE_POWERS * y ** (_BEALE_POWERS - 1.0))
    return np.array([d_dx, d_dy])


def beale() -> Problem:
    """The Beale function,
    ``f(x, y) = (1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2``.

    Minimiser ``(3, 0.5)``, ``f = 0``, domain ``[-4.5, 4.5]^2`` (Jamil & Yang 2013; Surjanovic &
    Bingham). Start ``x0 = (1, 1)``, where the gradient points along ``y`` only.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import beale
    >>> p = beale()
    >>> p.fun(p.x0), p.jac(p.x0)
    (14.203125, array([ 0.  , 27.75]))
    """
    return Problem(
        name="Beale",
        fun=_beale,
        jac=_beale_grad,
        x0=[1.0, 1.0],
        convex=False,
        character="Flat plateaus and steep ridges towards the corners: the gradient's size varies "
        "over orders of magnitude.",
        minimizers=[[3.0, 0.5]],
        minimum=0.0,
        bounds=_box(-4.5, 4.5, 2),
    )


def _booth(x: Any) -> float:
    residuals = _BOOTH_MATRIX @ _vector(x) - _BOOTH_TARGET
    return float(residuals @ residuals)


def _booth_grad(x: Any) -> np.ndarray:
    return 2.0 * _BOOTH_MATRIX.T @ (_BOOTH_MATRIX @ _vector(x) - _BOOTH_TARGET)


def booth() -> Problem:
    """The Booth function, ``f(x, y) = (x + 2 y - 7)^2 + (2 x + y - 5)^2``.

    Minimiser ``(1, 3)``, ``f = 0``, domain ``[-10, 10]^2`` (Jamil & Yang 2013; Surjanovic &
    Bingham). Start ``x0 = (0, 0)``.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import booth
    >>> p = booth()
    >>> p.fun(p.x0), p.jac(p.x0)
    (74.0, array([-34., -38.]))
    """
    return Problem(
        name="Booth",
        fun=_booth,
        jac=_booth_grad,
        x0=[0.0, 0.0],
        convex=True,
        character="A convex valley at 45 degrees to the axes (Hessian eigenvalues 2 and 18).",
        minimizers=[[1.0, 3.0]],
        minimum=0.0,
        bounds=_box(-10.0, 10.0, 2),
    )


def _himmelblau(x: Any) -> float:
    x, y = _vector(x)
    return float((x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2)


def _himmelblau_grad(x: Any) -> np.ndarray:
    x, y = _vector(x)
    first, second = x**2 + y - 11.0, x + y**2 - 7.0
    return np.array([4.0 * x * first + 2.0 * second, 2.0 * first + 4.0 * y * second])


def himmelblau() -> Problem:
    """Himmelblau's function, ``f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2``.

    Four global minimisers, ``f = 0``: ``(3, 2)`` and about ``(-2.805118, 3.131312)``,
    ``(-3.779310, -3.283186)``, ``(3.584428, -1.848126)`` (here to float64 precision); domain
    ``[-5, 5]^2`` (Jamil & Yang 2013). Start ``x0 = (0, 0)``.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import himmelblau
    >>> p = himmelblau()
    >>> p.fun(p.x0), p.jac(p.x0), p.minimizers.shape
    (170.0, array([-14., -22.]), (4, 2))
    """
    return Problem(
        name="Himmelblau",
        fun=_himmelblau,
        jac=_himmelblau_grad,
        x0=[0.0, 0.0],
        convex=False,
        character="Four global minima between ridges: which one is reached depends on the path.",
        minimizers=_HIMMELBLAU_MINIMIZERS,
        minimum=0.0,
        bounds=_box(-5.0, 5.0, 2),
    )


def _rastrigin(x: Any) -> float:
    x = _vector(x)
    return float(10.0 * x.size + np.sum(x**2 - 10.0 * np.cos(2.0 * np.pi * x)))


def _rastrigin_grad(x: Any) -> np.ndarray:
    x = _vector(x)
    return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)


def rastrigin(n: int = 2) -> Problem:
    """The Rastrigin function, ``f(x) = 10 n + sum_i (x_i^2 - 10 cos(2 pi x_i))``.

    Minimiser ``x* = 0``, ``f(x*) = 0``, domain ``[-5.12, 5.12]^n`` (Surjanovic & Bingham).
    Start ``x0 = (2.2, ..., 2.2)``, on the slope of the local minimum near ``(2, ..., 2)``, two
    ridges away from ``x*`` in each coordinate.

    Parameters
    ----------
    n : int, default 2
        Number of variables, at least 1.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import rastrigin
    >>> p = rastrigin(n=5)
    >>> p.fun(p.minimizers[0]), p.minimum
    (0.0, 0.0)
    """
    n = check_int("rastrigin", "n", n, 1)
    return Problem(
        name=f"Rastrigin (n={n})",
        fun=_rastrigin,
        jac=_rastrigin_grad,
        x0=np.full(n, 2.2),
        convex=False,
        character="A bowl under a lattice of local minima near the integer points, 11^n of them "
        "in the domain.",
        minimizers=np.zeros((1, n)),
        minimum=0.0,
        bounds=_box(-5.12, 5.12, n),
    )


def _ackley_parts(x: np.ndarray) -> tuple[float, float]:
    """The root mean square of ``x`` and the mean of ``cos(c x)``."""
    return math.sqrt(np.mean(x * x)), float(np.mean(np.cos(_ACKLEY_C * x)))


def _ackley(x: Any) -> float:
    radius, mean_cos = _ackley_parts(_vector(x))
    # expm1 makes the value exactly 0.0 at the minimiser, where the textbook
    # order of operations leaves a rounding error of about 4e-16.
    return -_ACKLEY_A * math.expm1(-_ACKLEY_B * radius) - math.e * math.expm1(mean_cos - 1.0)


def _ackley_grad(x: Any) -> np.ndarray:
    x = _vector(x)
    radius, mean_cos = _ackley_parts(x)
    grad = _ACKLEY_C * math.exp(mean_cos) / x.size * np.sin(_ACKLEY_C * x)
    if radius > 0.0:
        grad += _ACKLEY_A * _ACKLEY_B * math.exp(-_ACKLEY_B * radius) / (x.size * radius) * x
    return grad


def ackley(n: int = 2) -> Problem:
    """The Ackley function, with ``a = 20``, ``b = 0.2`` and ``c = 2 pi``,
    ``f(x) = -a exp(-b sqrt(mean_i x_i^2)) - exp(mean_i cos(c x_i)) + a + e``.

    Minimiser ``x* = 0``, ``f(x*) = 0``, domain ``[-32.768, 32.768]^n`` (Surjanovic & Bingham).
    The square root makes ``f`` a cone at ``x*``, where it has no gradient: `jac` returns the
    zero vector there, a subgradient. Start ``x0 = (2.2, ..., 2.2)``, on the slope of the local
    minimum near ``(2, ..., 2)``.

    Parameters
    ----------
    n : int, default 2
        Number of variables, at least 1.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import ackley
    >>> p = ackley(n=3)
    >>> p.fun(p.minimizers[0]), p.jac(p.minimizers[0])
    (0.0, array([0., 0., 0.]))
    """
    n = check_int("ackley", "n", n, 1)
    return Problem(
        name=f"Ackley (n={n})",
        fun=_ackley,
        jac=_ackley_grad,
        x0=np.full(n, 2.2),
        convex=False,
        character="A nearly flat outer region dotted with local minima around a steep, "
        "non-differentiable funnel at the minimum.",
        minimizers=np.zeros((1, n)),
        minimum=0.0,
        bounds=_box(-32.768, 32.768, n),
    )


def _styblinski_tang(x: Any) -> float:
    x = _vector(x)
    return float(0.5 * np.sum(x**4 - 16.0 * x**2 + 5.0 * x))


def _styblinski_tang_grad(x: Any) -> np.ndarray:
    x = _vector(x)
    return 2.0 * x**3 - 16.0 * x + 2.5


def styblinski_tang(n: int = 2) -> Problem:
    """The Styblinski-Tang function, ``f(x) = 0.5 * sum_i (x_i^4 - 16 x_i^2 + 5 x_i)``.

    Minimiser ``x*_i = t ~ -2.903534`` for every ``i``, the negative root of ``4 t^3 - 32 t + 5``,
    ``f(x*) ~ -39.166166 n``, domain ``[-5, 5]^n`` (Styblinski & Tang 1990, Neural Networks 3(4);
    Surjanovic & Bingham). Start ``x0 = 0``, the centre of the domain, where the gradient is 2.5
    in every coordinate.

    Parameters
    ----------
    n : int, default 2
        Number of variables, at least 1.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import styblinski_tang
    >>> p = styblinski_tang(n=2)
    >>> p.minimizers, round(p.minimum, 6)
    (array([[-2.90353403, -2.90353403]]), -78.332331)
    """
    n = check_int("styblinski_tang", "n", n, 1)
    return Problem(
        name=f"Styblinski-Tang (n={n})",
        fun=_styblinski_tang,
        jac=_styblinski_tang_grad,
        x0=np.zeros(n),
        convex=False,
        character="Separable with 2^n local minima, each coordinate near -2.90 or 2.75; only the "
        "one with every coordinate negative is global.",
        minimizers=np.full((1, n), _STYBLINSKI_TANG_ROOT),
        minimum=n * _STYBLINSKI_TANG_MINIMUM_1D,
        bounds=_box(-5.0, 5.0, n),
    )


def _six_hump_camel(x: Any) -> float:
    x, y = _vector(x)
    return float((4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2)


def _six_hump_camel_grad(x: Any) -> np.ndarray:
    x, y = _vector(x)
    return np.array([8.0 * x - 8.4 * x**3 + 2.0 * x**5 + y, x - 8.0 * y + 16.0 * y**3])


def six_hump_camel() -> Problem:
    """The six-hump camel function,
    ``f(x, y) = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (-4 + 4 y^2) y^2``.

    Two global minimisers, about ``+-(0.0898420, -0.7126564)`` (here to float64 precision),
    ``f ~ -1.0316285``, domain ``[-3, 3] x [-2, 2]`` (Dixon & Szegő 1978, Towards Global
    Optimisation 2; Surjanovic & Bingham). Start ``x0 = (1, 1)``.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from rmsopt.problems import six_hump_camel
    >>> p = six_hump_camel()
    >>> [round(p.fun(x), 10) for x in p.minimizers]
    [-1.0316284535, -1.0316284535]
    """
    return Problem(
        name="Six-hump camel",
        fun=_six_hump_camel,
        jac=_six_hump_camel_grad,
        x0=[1.0, 1.0],
        convex=False,
        character="Six local minima, two of them global and symmetric about the origin.",
        minimizers=[_CAMEL_MINIMIZER, [-coordinate for coordinate in _CAMEL_MINIMIZER]],
        minimum=_CAMEL_MINIMUM,
        bounds=Bounds([-3.0, -2.0], [3.0, 2.0]),
    )
