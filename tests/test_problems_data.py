"""The data-fitting problems of the catalogue: linear, logistic and
sparse-feature regression, and the two-moons MLP."""

import math
import pickle
import re

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit

from rmsopt import problems

FACTORIES = {
    "linear_regression": problems.linear_regression,
    "logistic_regression": problems.logistic_regression,
    "sparse_feature_regression": problems.sparse_feature_regression,
    "mlp": problems.mlp,
}
CONVEX = ["linear_regression", "logistic_regression", "sparse_feature_regression"]
LEAST_SQUARES = ["linear_regression", "sparse_feature_regression"]


@pytest.fixture(scope="module", params=list(FACTORIES))
def name(request):
    return request.param


@pytest.fixture(scope="module")
def problem(name):
    return FACTORIES[name]()


def random_points(problem, count=3, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(problem.n) for _ in range(count)]


def central_differences(fun, x, args, step=1e-6):
    gradient = np.empty_like(x)
    for index in range(x.shape[0]):
        h = step * max(1.0, abs(x[index]))
        forward, backward = x.copy(), x.copy()
        forward[index] += h
        backward[index] -= h
        gradient[index] = (fun(forward, *args) - fun(backward, *args)) / (2 * h)
    return gradient


def batches(args, sizes):
    """``args`` cut along axis 0 into consecutive batches of the given sizes."""
    bounds = np.cumsum([0, *sizes])
    return [
        tuple(array[start:stop] for array in args)
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def mlp_logits(x, X, hidden):
    """The network's output by the documented layout, independently of the package."""
    n_inputs = X.shape[1]
    weights_in = x[: n_inputs * hidden].reshape(n_inputs, hidden)
    bias_in = x[n_inputs * hidden : (n_inputs + 1) * hidden]
    weights_out = x[(n_inputs + 1) * hidden : (n_inputs + 2) * hidden]
    return np.tanh(X @ weights_in + bias_in) @ weights_out + x[-1]


# Gradients


@pytest.mark.parametrize("where", ["x0", "random"])
@pytest.mark.parametrize("data", ["full", "minibatch"])
def test_gradient_matches_central_differences(problem, where, data):
    args = problem.args if data == "full" else tuple(array[50:67] for array in problem.args)
    points = [problem.x0] if where == "x0" else random_points(problem)
    for x in points:
        x = np.array(x)
        expected = central_differences(problem.fun, x, args)
        gradient = problem.jac(x, *args)
        assert gradient.shape == (problem.n,)
        scale = max(1.0, np.max(np.abs(expected)))
        np.testing.assert_allclose(gradient, expected, rtol=0, atol=1e-7 * scale)


# Minimisers


@pytest.mark.parametrize("name", CONVEX)
def test_gradient_vanishes_at_minimizer(name):
    problem = FACTORIES[name]()
    (minimizer,) = problem.minimizers
    assert np.max(np.abs(problem.jac(minimizer, *problem.args))) <= 1e-10
    assert problem.minimum == problem.fun(minimizer, *problem.args)
    assert problem.distance(minimizer) == 0.0
    for x in random_points(problem):
        assert problem.fun(minimizer + 1e-3 * x, *problem.args) > problem.minimum


@pytest.mark.parametrize("name", LEAST_SQUARES)
def test_least_squares_minimizer_solves_normal_equations(name):
    problem = FACTORIES[name]()
    X, y = problem.args
    expected = np.linalg.solve(X.T @ X, X.T @ y)
    np.testing.assert_allclose(problem.minimizers[0], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("l2", [1e-2, 1e-4])
def test_logistic_minimizer_agrees_with_bfgs(l2):
    problem = problems.logistic_regression(l2=l2)
    reference = minimize(
        problem.fun,
        problem.x0,
        args=problem.args,
        jac=problem.jac,
        method="BFGS",
        options={"gtol": 1e-11, "maxiter": 10_000},
    )
    assert np.max(np.abs(problem.jac(problem.minimizers[0], *problem.args))) <= 1e-10
    np.testing.assert_allclose(problem.minimizers[0], reference.x, rtol=0, atol=1e-6)
    assert problem.minimum <= reference.fun


def test_logistic_labels_overlap():
    problem = problems.logistic_regression()
    X, y = problem.args
    assert set(np.unique(y)) == {0.0, 1.0}
    # Overlapping classes: the regularised fit does not classify every sample right.
    predicted = (X @ problem.minimizers[0] > 0).astype(float)
    assert 0.6 < np.mean(predicted == y) < 1.0


def test_linear_regression_recovers_coefficients_without_noise():
    problem = problems.linear_regression(noise=0.0)
    X, y = problem.args
    np.testing.assert_allclose(X @ problem.minimizers[0], y, atol=1e-12)
    assert problem.minimum < 1e-25


# Minibatches: fun and jac are means over the samples given


def partition(kind, m):
    """Batch sizes adding up to ``m``."""
    if kind == "by 17":
        return [17] * (m // 17) + ([m % 17] if m % 17 else [])
    if kind == "singles then the rest":
        return [1] * 20 + [m - 20]
    return [m]


@pytest.mark.parametrize("kind", ["by 17", "singles then the rest", "whole"])
def test_minibatch_mean_is_full_objective(problem, kind):
    m = problem.n_samples
    sizes = partition(kind, m)
    for x in [problem.x0, *random_points(problem)]:
        parts = batches(problem.args, sizes)
        value = sum(len(part[0]) * problem.fun(x, *part) for part in parts) / m
        gradient = sum(len(part[0]) * problem.jac(x, *part) for part in parts) / m
        assert value == pytest.approx(problem.fun(x, *problem.args), rel=1e-12)
        np.testing.assert_allclose(gradient, problem.jac(x, *problem.args), rtol=1e-11, atol=1e-13)


# Determinism and data


def test_same_seed_same_problem(name):
    first, second = FACTORIES[name](seed=3), FACTORIES[name](seed=3)
    for a, b in zip(first.args, second.args, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.x0, second.x0)
    if first.minimizers is not None:
        np.testing.assert_array_equal(first.minimizers, second.minimizers)
    assert first.minimum == second.minimum


def test_different_seed_different_data(name):
    first, second = FACTORIES[name](seed=0), FACTORIES[name](seed=1)
    assert not np.array_equal(first.args[0], second.args[0])
    assert first.args[0].shape == second.args[0].shape


def test_data_are_read_only_float64(problem):
    assert len(problem.args) == 2
    X, y = problem.args
    assert X.ndim == 2 and y.shape == (X.shape[0],) == (problem.n_samples,)
    for array in problem.args:
        assert array.dtype == np.float64
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0


def test_fun_and_jac_leave_inputs_alone(problem):
    x = random_points(problem, count=1)[0]
    x.setflags(write=False)
    before = [array.copy() for array in problem.args]
    value = problem.fun(x, *problem.args)
    gradient = problem.jac(x, *problem.args)
    assert type(value) is float
    assert gradient.dtype == np.float64 and gradient.shape == (problem.n,)
    assert gradient.flags.writeable
    assert not any(np.shares_memory(gradient, array) for array in (x, *problem.args))
    assert problem.jac(x, *problem.args) is not gradient
    for array, copy in zip(problem.args, before, strict=True):
        np.testing.assert_array_equal(array, copy)


def test_float32_x_accepted(problem):
    x = random_points(problem, count=1)[0].astype(np.float32)
    value = problem.fun(x, *problem.args)
    gradient = problem.jac(x, *problem.args)
    as_float64 = x.astype(np.float64)
    assert type(value) is float
    assert value == pytest.approx(problem.fun(as_float64, *problem.args), rel=1e-12)
    assert gradient.dtype == np.float64
    np.testing.assert_allclose(gradient, problem.jac(as_float64, *problem.args), rtol=1e-12)


def test_pickle_round_trip(problem):
    copy = pickle.loads(pickle.dumps(problem))
    assert copy.name == problem.name and copy.n == problem.n
    for x in [problem.x0, *random_points(problem)]:
        assert copy.fun(x, *copy.args) == problem.fun(x, *problem.args)
        np.testing.assert_array_equal(copy.jac(x, *copy.args), problem.jac(x, *problem.args))
    for a, b in zip(copy.args, problem.args, strict=True):
        np.testing.assert_array_equal(a, b)


def test_catalogue_lists_the_data_problems(name):
    assert problems.CATALOGUE[name] is FACTORIES[name]
    assert repr(problems.get(name, seed=2)) == repr(FACTORIES[name](seed=2))


# The sparse-feature problem


def test_sparse_feature_design_and_conditioning():
    problem = problems.sparse_feature_regression()
    X, _ = problem.args
    assert X.shape == (100, 2)
    np.testing.assert_array_equal(X[:, 0], 1.0)
    assert 0.0 <= X[:, 1].min() and X[:, 1].max() <= 10.0
    eigenvalues = np.linalg.eigvalsh(X.T @ X / len(X))
    np.testing.assert_allclose(eigenvalues, [0.2296, 40.02], rtol=1e-3)
    assert eigenvalues[1] / eigenvalues[0] == pytest.approx(174.3, rel=1e-3)
    np.testing.assert_allclose(problem.minimizers[0], [2.0, 0.5], atol=0.01)


@pytest.mark.parametrize("spread", [10.0, 30.0])
def test_sparse_feature_condition_grows_with_spread(spread):
    problem = problems.sparse_feature_regression(n_samples=100_000, spread=spread)
    X, _ = problem.args
    limit = np.array([[1.0, spread / 2], [spread / 2, spread**2 / 3]])
    expected = np.linalg.cond(limit)
    assert np.linalg.cond(X.T @ X / len(X)) == pytest.approx(expected, rel=0.03)
    assert 1e2 < expected < 2e3


# The MLP


def test_mlp_layout_and_initialisation():
    hidden = 8
    problem = problems.mlp(hidden=hidden)
    assert problem.n == 4 * hidden + 1
    assert not problem.convex and problem.minimizers is None and problem.minimum is None
    x0 = problem.x0
    weights_in, bias_in = x0[: 2 * hidden], x0[2 * hidden : 3 * hidden]
    weights_out, bias_out = x0[3 * hidden : 4 * hidden], x0[4 * hidden]
    np.testing.assert_array_equal(bias_in, 0.0)
    assert bias_out == 0.0
    assert np.all(np.abs(weights_in) <= math.sqrt(6 / (2 + hidden)))
    assert np.all(np.abs(weights_out) <= math.sqrt(6 / (hidden + 1)))
    assert np.all(weights_in != 0.0) and np.all(weights_out != 0.0)


def test_mlp_data_are_two_balanced_shuffled_moons():
    X, y = problems.mlp(n_samples=201).args
    assert X.shape == (201, 2)
    assert np.sum(y == 0.0) == 101 and np.sum(y == 1.0) == 100
    assert set(np.unique(y[:17])) == {0.0, 1.0}
    # The upper moon (class 0) lies around the unit half circle.
    radius = np.hypot(X[y == 0.0, 0], X[y == 0.0, 1])
    assert abs(np.median(radius) - 1.0) < 0.05


def test_mlp_loss_matches_independent_forward_pass():
    hidden, l2 = 5, 1e-2
    problem = problems.mlp(hidden=hidden, l2=l2)
    X, y = problem.args
    for x in [problem.x0, *random_points(problem)]:
        probability = expit(mlp_logits(x, X, hidden))
        cross_entropy = -np.mean(y * np.log(probability) + (1 - y) * np.log1p(-probability))
        weights = np.concatenate([x[: 2 * hidden], x[3 * hidden : 4 * hidden]])
        expected = cross_entropy + 0.5 * l2 * weights @ weights
        assert problem.fun(x, *problem.args) == pytest.approx(expected, rel=1e-12)


def test_mlp_initial_loss_near_log_2():
    problem = problems.mlp()
    assert 0.5 <= problem.fun(problem.x0, *problem.args) <= 1.0
    # With zero output weights every prediction is 1/2.
    silent = problem.x0.copy()
    silent[3 * 8 :] = 0.0
    unregularised = problems.mlp(l2=0.0)
    assert unregularised.fun(silent, *unregularised.args) == pytest.approx(math.log(2), rel=1e-15)


def test_mlp_gradient_descent_learns_the_moons():
    problem = problems.mlp()
    X, y = problem.args
    x = problem.x0.copy()
    initial = problem.fun(x, *problem.args)
    for _ in range(2000):
        x -= 0.5 * problem.jac(x, *problem.args)
    assert problem.fun(x, *problem.args) < 0.1 * initial
    accuracy = np.mean((mlp_logits(x, X, 8) > 0) == (y == 1.0))
    # A linear classifier reaches 0.89 on these data.
    assert accuracy > 0.97


def test_mlp_gradient_with_saturated_units():
    problem = problems.mlp(hidden=3)
    x = 30.0 * random_points(problem, count=1)[0]
    value = problem.fun(x, *problem.args)
    assert math.isfinite(value)
    expected = central_differences(problem.fun, x, problem.args, step=1e-7)
    np.testing.assert_allclose(problem.jac(x, *problem.args), expected, rtol=1e-5, atol=1e-6)


# Parameters


def integer(low):
    return f"an integer in the range [{low}, 2**63 - 1]"


NON_NEGATIVE = "a float in the range [0, inf)"
POSITIVE = "a float in the range (0, inf)"
FINITE = "a float in the range (-inf, inf)"

BAD_PARAMETERS = [
    ("linear_regression", "n_samples", 0, ValueError, integer(5)),
    ("linear_regression", "n_samples", 3, ValueError, integer(5)),
    ("linear_regression", "n_features", True, TypeError, integer(1)),
    ("linear_regression", "n_features", 2.5, ValueError, integer(1)),
    ("linear_regression", "noise", -0.1, ValueError, NON_NEGATIVE),
    ("linear_regression", "noise", math.nan, ValueError, NON_NEGATIVE),
    ("linear_regression", "seed", None, TypeError, integer(0)),
    ("linear_regression", "seed", -1, ValueError, integer(0)),
    ("logistic_regression", "l2", 0.0, ValueError, POSITIVE),
    ("logistic_regression", "l2", "1e-2", TypeError, POSITIVE),
    ("logistic_regression", "n_samples", 0, ValueError, integer(1)),
    ("sparse_feature_regression", "n_samples", 1, ValueError, integer(2)),
    ("sparse_feature_regression", "spread", 0.0, ValueError, POSITIVE),
    ("sparse_feature_regression", "slope", math.inf, ValueError, FINITE),
    ("sparse_feature_regression", "intercept", None, TypeError, FINITE),
    ("mlp", "hidden", 0, ValueError, integer(1)),
    ("mlp", "hidden", np.bool_(True), TypeError, integer(1)),
    ("mlp", "l2", -1, ValueError, NON_NEGATIVE),
    ("mlp", "noise", -1.0, ValueError, NON_NEGATIVE),
    ("mlp", "seed", 1.5, ValueError, integer(0)),
]


@pytest.mark.parametrize(
    ("factory", "parameter", "value", "error", "accepted"),
    BAD_PARAMETERS,
    ids=[f"{factory}-{parameter}={value!r}" for factory, parameter, value, *_ in BAD_PARAMETERS],
)
def test_bad_parameters_are_refused(factory, parameter, value, error, accepted):
    message = (
        f"The {parameter!r} parameter of problem {factory!r} must be {accepted}. "
        f"Got {value!r} instead."
    )
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        FACTORIES[factory](**{parameter: value})


@pytest.mark.parametrize(
    ("factory", "parameters"),
    [
        ("linear_regression", {"n_samples": np.int64(5), "noise": 0}),
        ("logistic_regression", {"l2": np.float32(0.5), "seed": np.uint8(4)}),
        ("sparse_feature_regression", {"n_samples": 2, "spread": 1, "slope": -3}),
        ("mlp", {"hidden": 1, "n_samples": 1, "l2": 0}),
    ],
)
def test_numpy_and_edge_parameters_accepted(factory, parameters):
    problem = FACTORIES[factory](**parameters)
    assert np.isfinite(problem.fun(problem.x0, *problem.args))
