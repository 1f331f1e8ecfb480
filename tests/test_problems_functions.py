"""The analytic test functions: published minima, gradients against finite differences and
SciPy, the documented starts and domains, parameter errors, pickling and doctests."""

import math
import pickle
import re

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess

from rmsopt import problems

CASES = [
    ("sphere", {"n": 2}),
    ("sphere", {}),
    ("quadratic", {"n": 2, "condition": 10.0}),
    ("quadratic", {}),
    ("quadratic", {"n": 7, "condition": 1e6}),
    ("rosenbrock", {}),
    ("rosenbrock", {"n": 3}),
    ("rosenbrock", {"n": 7}),
    ("beale", {}),
    ("booth", {}),
    ("himmelblau", {}),
    ("rastrigin", {}),
    ("rastrigin", {"n": 7}),
    ("ackley", {}),
    ("ackley", {"n": 7}),
    ("styblinski_tang", {}),
    ("styblinski_tang", {"n": 7}),
    ("six_hump_camel", {}),
]
FACTORIES = sorted({name for name, _ in CASES})
CONVEX = {"sphere", "quadratic", "booth"}


def _case_id(case):
    name, parameters = case
    return name + "".join(f"-{key}={value:g}" for key, value in parameters.items())


@pytest.fixture(params=CASES, ids=[_case_id(case) for case in CASES])
def problem(request):
    name, parameters = request.param
    return getattr(problems, name)(**parameters)


def _domain(problem):
    """The problem's search box, or [-2, 2]^n where the literature has none."""
    if problem.bounds is None:
        return np.full(problem.n, -2.0), np.full(problem.n, 2.0)
    return problem.bounds.lb, problem.bounds.ub


def _random_points(problem, count, seed=0):
    low, high = _domain(problem)
    return np.random.default_rng(seed).uniform(low, high, size=(count, problem.n))


def _central_differences(fun, x, relative_step=1e-6):
    grad = np.empty_like(x)
    for i in range(x.size):
        step = relative_step * max(1.0, abs(x[i]))
        forward, backward = x.copy(), x.copy()
        forward[i] += step
        backward[i] -= step
        grad[i] = (fun(forward) - fun(backward)) / (forward[i] - backward[i])
    return grad


# Published minimum and minimisers


def test_minimum_at_every_minimizer(problem):
    tolerance = 1e-12 * max(1.0, abs(problem.minimum))
    for minimizer in problem.minimizers:
        assert abs(problem.fun(minimizer) - problem.minimum) <= tolerance


def test_gradient_vanishes_at_every_minimizer(problem):
    for minimizer in problem.minimizers:
        assert np.max(np.abs(problem.jac(minimizer))) <= 1e-12


@pytest.mark.parametrize(
    ("name", "minimizers", "minimum"),
    [
        ("rosenbrock", [[1.0, 1.0]], 0.0),
        ("beale", [[3.0, 0.5]], 0.0),
        ("booth", [[1.0, 3.0]], 0.0),
        (
            "himmelblau",
            [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]],
            0.0,
        ),
        ("six_hump_camel", [[0.0898, -0.7126], [-0.0898, 0.7126]], -1.0316),
        ("styblinski_tang", [[-2.903534, -2.903534]], -39.16599 * 2),
    ],
)
def test_minimizers_match_the_literature(name, minimizers, minimum):
    # The published values, to the digits Surjanovic & Bingham and Jamil & Yang give.
    problem = getattr(problems, name)()
    np.testing.assert_allclose(problem.minimizers, minimizers, atol=1e-4)
    assert problem.minimum == pytest.approx(minimum, abs=1e-3)


def test_no_point_is_below_the_minimum(problem):
    """Local searches from random starts never go below the stated global minimum, and in two
    dimensions (outside the lattice-like Rastrigin and Ackley) one of them reaches it."""
    tolerance = 1e-9 * max(1.0, abs(problem.minimum))
    values = [problem.fun(x) for x in _random_points(problem, 500)]
    assert min(values) >= problem.minimum - tolerance
    low, high = _domain(problem)
    ends = [
        minimize(
            problem.fun,
            start,
            jac=problem.jac,
            method="L-BFGS-B",
            bounds=list(zip(low, high, strict=True)),
        ).fun
        for start in _random_points(problem, 20, seed=1)
    ]
    assert min(ends) >= problem.minimum - tolerance
    if problem.n == 2 and not problem.name.startswith(("Rastrigin", "Ackley")):
        assert min(ends) == pytest.approx(problem.minimum, abs=1e-7)


@pytest.mark.parametrize("n", range(2, 13))
def test_rosenbrock_second_local_minimum_from_four_variables(n):
    """Newton's method from (-1, 1, ..., 1) stops at a strict local minimum, which is the
    global one only for n < 4, as the character says."""
    problem = problems.rosenbrock(n=n)
    start = np.ones(n)
    start[0] = -1.0
    result = minimize(
        problem.fun, start, jac=problem.jac, hess=rosen_hess, method="trust-exact", tol=1e-14
    )
    assert np.max(np.abs(problem.jac(result.x))) <= 1e-6
    assert np.linalg.eigvalsh(rosen_hess(result.x)).min() > 0.1
    has_second_minimum = n >= 4
    assert (3.7 <= result.fun <= 3.99) == has_second_minimum
    assert ("local minimum" in problem.character) == has_second_minimum


def test_ackley_at_its_minimizer():
    problem = problems.ackley(n=5)
    assert problem.fun(np.zeros(5)) == 0.0
    np.testing.assert_array_equal(problem.jac(np.zeros(5)), np.zeros(5))
    tiny = np.array([1e-160, 0.0, -1e-200, 0.0, 0.0])
    assert np.all(np.isfinite(problem.jac(tiny)))
    assert 0.0 <= problem.fun(tiny) <= 1e-150


# Gradients


def test_gradient_matches_central_differences(problem):
    offsets = np.random.default_rng(3).normal(scale=0.05, size=problem.minimizers.shape)
    near_minimizers = problem.minimizers + offsets
    for x in [problem.x0, *_random_points(problem, 4), *near_minimizers]:
        x = np.array(x)
        analytic = problem.jac(x)
        numeric = _central_differences(problem.fun, x)
        assert np.linalg.norm(analytic - numeric) <= 1e-6 * max(1.0, np.linalg.norm(analytic))


@pytest.mark.parametrize("n", [2, 3, 7])
def test_rosenbrock_equals_scipy(n):
    problem = problems.rosenbrock(n=n)
    for x in [problem.x0, *_random_points(problem, 5)]:
        assert problem.fun(x) == pytest.approx(rosen(x), rel=1e-14)
        np.testing.assert_allclose(problem.jac(x), rosen_der(x), rtol=1e-13, atol=1e-12)


def test_quadratic_hessian_has_the_requested_condition_number():
    for n, condition in [(2, 1.0), (2, 10.0), (5, 1e3), (30, 1e8)]:
        problem = problems.quadratic(n=n, condition=condition)
        hessian = np.column_stack([problem.jac(column) for column in np.eye(n)])
        np.testing.assert_allclose(hessian, np.diag(np.diag(hessian)))
        eigenvalues = np.diag(hessian)
        assert eigenvalues.min() == pytest.approx(1.0)
        assert eigenvalues.max() / eigenvalues.min() == pytest.approx(condition)


# Values at hand-computed points


@pytest.mark.parametrize(
    ("name", "parameters", "x", "expected"),
    [
        ("sphere", {"n": 3}, [1.0, 2.0, 3.0], 14.0),
        ("quadratic", {"n": 3, "condition": 100.0}, [1.0, 1.0, 1.0], 0.5 * (1 + 10 + 100)),
        ("quadratic", {"n": 3, "condition": 100.0}, [2.0, 0.0, -1.0], 0.5 * (4 + 100)),
        ("beale", {}, [0.0, 0.0], 1.5**2 + 2.25**2 + 2.625**2),
        ("beale", {}, [1.0, 2.0], 2.5**2 + 5.25**2 + 9.625**2),
        ("booth", {}, [0.0, 0.0], 7**2 + 5**2),
        ("booth", {}, [1.0, 1.0], 4**2 + 2**2),
        ("himmelblau", {}, [0.0, 0.0], 11**2 + 7**2),
        ("himmelblau", {}, [1.0, 1.0], 9**2 + 5**2),
        # cos(2 pi x) is 1 at integers and -1 at half-integers.
        ("rastrigin", {}, [1.0, 2.0], 1 + 4),
        ("rastrigin", {"n": 1}, [0.5], 10 + 0.25 + 10),
        ("ackley", {}, [1.0, -1.0], 20 * (1 - math.exp(-0.2))),
        ("ackley", {}, [0.5, 0.5], 20 * (1 - math.exp(-0.1)) - math.exp(-1) + math.e),
        ("styblinski_tang", {"n": 3}, [1.0, 2.0, 0.0], 0.5 * (1 - 16 + 5) + 0.5 * (16 - 64 + 10)),
        ("six_hump_camel", {}, [1.0, 0.0], 4 - 2.1 + 1 / 3),
        ("six_hump_camel", {}, [0.0, 0.5], (-4 + 1) * 0.25),
        ("six_hump_camel", {}, [1.0, 1.0], 4 - 2.1 + 1 / 3 + 1),
    ],
)
def test_value_at_hand_computed_point(name, parameters, x, expected):
    assert getattr(problems, name)(**parameters).fun(np.array(x)) == pytest.approx(
        expected, rel=1e-14, abs=1e-14
    )


# Documented start, domain and flags


def test_start_is_not_stationary(problem):
    assert np.linalg.norm(problem.jac(problem.x0)) > 1.0
    assert problem.fun(problem.x0) > problem.minimum + 1.0


def test_start_and_minimizers_lie_in_the_domain(problem):
    if problem.bounds is None:
        assert problem.name.startswith("Quadratic")
        return
    low, high = problem.bounds.lb, problem.bounds.ub
    assert low.shape == high.shape == (problem.n,)
    for point in [problem.x0, *problem.minimizers]:
        assert np.all(low <= point) and np.all(point <= high)


@pytest.mark.parametrize(
    ("name", "parameters", "x0"),
    [
        ("sphere", {"n": 3}, [1.0, 1.0, 1.0]),
        ("quadratic", {"n": 2}, [1.0, 1.0]),
        ("rosenbrock", {"n": 5}, [-1.2, 1.0, -1.2, 1.0, -1.2]),
        ("beale", {}, [1.0, 1.0]),
        ("booth", {}, [0.0, 0.0]),
        ("himmelblau", {}, [0.0, 0.0]),
        ("rastrigin", {"n": 3}, [2.2, 2.2, 2.2]),
        ("ackley", {"n": 3}, [2.2, 2.2, 2.2]),
        ("styblinski_tang", {"n": 3}, [0.0, 0.0, 0.0]),
        ("six_hump_camel", {}, [1.0, 1.0]),
    ],
)
def test_documented_start(name, parameters, x0):
    np.testing.assert_array_equal(getattr(problems, name)(**parameters).x0, x0)


def test_convex_flag_agrees_with_midpoint_convexity(problem):
    rng = np.random.default_rng(2)
    low, high = _domain(problem)
    a = rng.uniform(low, high, size=(2000, problem.n))
    b = rng.uniform(low, high, size=(2000, problem.n))
    gaps = [
        (problem.fun(x) + problem.fun(y)) / 2 - problem.fun((x + y) / 2)
        for x, y in zip(a, b, strict=True)
    ]
    slack = 1e-9 * max(abs(min(gaps)), 1.0)
    assert (min(gaps) >= -slack) == problem.convex
    assert problem.convex == (problem.name.split(" ")[0].lower() in CONVEX)


@pytest.mark.parametrize(
    ("name", "parameters", "title"),
    [
        ("sphere", {}, "Sphere (n=10)"),
        ("quadratic", {}, "Quadratic (n=10, condition 1e+03)"),
        ("quadratic", {"n": 4, "condition": 2.5}, "Quadratic (n=4, condition 2.5)"),
        ("rosenbrock", {"n": np.int64(3)}, "Rosenbrock (n=3)"),
        ("rastrigin", {"n": 5}, "Rastrigin (n=5)"),
        ("beale", {}, "Beale"),
        ("six_hump_camel", {}, "Six-hump camel"),
    ],
)
def test_name(name, parameters, title):
    problem = getattr(problems, name)(**parameters)
    assert problem.name == title
    assert problem.args == ()


# Calling conventions


def test_float32_input_read_only_and_not_modified(problem):
    x32 = _random_points(problem, 1)[0].astype(np.float32)
    x32.setflags(write=False)
    value = problem.fun(x32)
    grad = problem.jac(x32)
    assert type(value) is float
    assert grad.dtype == np.float64 and grad.shape == (problem.n,)
    assert value == problem.fun(x32.astype(np.float64))
    np.testing.assert_array_equal(grad, problem.jac(x32.astype(np.float64)))


def test_gradient_is_a_new_array(problem):
    x = np.array(problem.x0)
    before = x.copy()
    grad = problem.jac(x)
    assert not np.shares_memory(grad, x)
    grad[:] = np.nan
    np.testing.assert_array_equal(x, before)
    assert np.all(np.isfinite(problem.jac(x)))


def test_pickle_round_trip(problem):
    copy = pickle.loads(pickle.dumps(problem))
    x = _random_points(problem, 1)[0]
    assert copy.name == problem.name
    assert copy.fun(x) == problem.fun(x)
    np.testing.assert_array_equal(copy.jac(x), problem.jac(x))
    np.testing.assert_array_equal(copy.x0, problem.x0)
    np.testing.assert_array_equal(copy.minimizers, problem.minimizers)
    assert copy.minimum == problem.minimum


# Parameter errors


def _n_message(problem, minimum, got):
    accepted = f"an integer in the range [{minimum}, 2**63 - 1]"
    return f"The 'n' parameter of problem '{problem}' must be {accepted}. Got {got} instead."


def _condition_message(got):
    return (
        "The 'condition' parameter of problem 'quadratic' must be a float in the range "
        f"[1, inf). Got {got} instead."
    )


@pytest.mark.parametrize(
    ("name", "parameters", "error", "message"),
    [
        ("rosenbrock", {"n": 1}, ValueError, _n_message("rosenbrock", 2, "1")),
        ("quadratic", {"n": 1}, ValueError, _n_message("quadratic", 2, "1")),
        ("sphere", {"n": 0}, ValueError, _n_message("sphere", 1, "0")),
        ("styblinski_tang", {"n": -3}, ValueError, _n_message("styblinski_tang", 1, "-3")),
        ("sphere", {"n": True}, TypeError, _n_message("sphere", 1, "True")),
        ("rastrigin", {"n": 2.5}, ValueError, _n_message("rastrigin", 1, "2.5")),
        ("ackley", {"n": "3"}, TypeError, _n_message("ackley", 1, "'3'")),
        ("quadratic", {"condition": 0.5}, ValueError, _condition_message("0.5")),
        ("quadratic", {"condition": math.inf}, ValueError, _condition_message("inf")),
        ("quadratic", {"condition": math.nan}, ValueError, _condition_message("nan")),
        ("quadratic", {"condition": "big"}, TypeError, _condition_message("'big'")),
        ("quadratic", {"condition": True}, TypeError, _condition_message("True")),
    ],
)
def test_bad_parameter(name, parameters, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        getattr(problems, name)(**parameters)
