"""rmsopt.multistart: minimize from many starts, given or sampled, every result kept."""

import numpy as np
import pytest
from scipy.optimize import Bounds, OptimizeResult
from scipy.stats import qmc

import rmsopt
from rmsopt import problems

CAMEL = problems.six_hump_camel()
RATE = {"learning_rate": 0.01, "maxiter": 4000}


def refuses_negative_first(x):
    """A quadratic and its gradient that raise where x[0] < 0, so that some starts fail."""
    if x[0] < 0:
        raise ValueError("x[0] must be non-negative here")
    return float(np.sum((x - 0.5) ** 2)), 2.0 * (x - 0.5)


def test_every_start_is_a_minimize_run_and_results_are_sorted():
    starts = np.array([[1.5, 0.5], [-1.0, 0.8], [0.1, -0.7], [2.0, -1.0]])
    res = rmsopt.multistart(CAMEL.fun, starts, jac=CAMEL.jac, options=RATE)
    assert sorted(result.start for result in res.results) == [0, 1, 2, 3]
    for result in res.results:
        alone = rmsopt.minimize(CAMEL.fun, starts[result.start], jac=CAMEL.jac, options=RATE)
        np.testing.assert_array_equal(result.x, alone.x)
        assert (result.fun, result.nit, result.status) == (alone.fun, alone.nit, alone.status)
    values = [result.fun for result in res.results]
    assert values == sorted(values)
    best = res.results[0]
    np.testing.assert_array_equal(res.x, best.x)
    assert (res.fun, res.status, res.message) == (best.fun, best.status, best.message)
    assert res.start == best.start
    np.testing.assert_array_equal(res.starts, starts)
    assert res.interrupted is False
    # The global minimum of the six-hump camel is reached from the start next to it.
    assert res.fun == pytest.approx(CAMEL.minimum, abs=1e-3)


def test_ties_keep_start_order_and_maximize_sorts_largest_first():
    starts = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    res = rmsopt.multistart(
        lambda x: float(np.sum(x)), starts, jac=lambda x: np.ones(2), options={"maxiter": 0}
    )
    assert [result.start for result in res.results] == [1, 3, 0, 2]
    res = rmsopt.multistart(
        lambda x: float(np.sum(x)),
        starts,
        jac=lambda x: np.ones(2),
        options={"maxiter": 0, "maximize": True},
    )
    assert [result.start for result in res.results] == [0, 2, 3, 1]


@pytest.mark.parametrize("sampler", ["lhs", "sobol", "halton", "uniform"])
def test_sampled_starts_lie_in_the_box_and_follow_the_seed(sampler):
    box = [(-3.0, 3.0), (-2.0, 2.0)]
    kwargs = {"jac": CAMEL.jac, "bounds": box, "n_starts": 8, "options": {"maxiter": 5}}
    res = rmsopt.multistart(CAMEL.fun, sampler, seed=4, **kwargs)
    assert res.starts.shape == (8, 2)
    assert np.all(res.starts >= [-3.0, -2.0]) and np.all(res.starts <= [3.0, 2.0])
    again = rmsopt.multistart(CAMEL.fun, sampler, seed=4, **kwargs)
    np.testing.assert_array_equal(res.starts, again.starts)
    other = rmsopt.multistart(CAMEL.fun, sampler, seed=5, **kwargs)
    assert not np.array_equal(res.starts, other.starts)


def test_latin_hypercube_puts_one_start_in_every_stratum():
    res = rmsopt.multistart(
        CAMEL.fun,
        "lhs",
        jac=CAMEL.jac,
        bounds=Bounds([0, 0], [10, 20]),
        n_starts=10,
        seed=0,
        options={"maxiter": 0},
    )
    for column, width in ((0, 1.0), (1, 2.0)):
        strata = np.floor(res.starts[:, column] / width)
        assert sorted(strata) == list(range(10))


def test_a_qmc_engine_of_your_own():
    engine = qmc.Halton(d=2, scramble=False)
    res = rmsopt.multistart(
        CAMEL.fun,
        engine,
        jac=CAMEL.jac,
        bounds=CAMEL.bounds,
        n_starts=4,
        options={"maxiter": 0},
    )
    lower, upper = CAMEL.bounds.lb, CAMEL.bounds.ub
    expected = qmc.scale(qmc.Halton(d=2, scramble=False).random(4), lower, upper)
    np.testing.assert_array_equal(res.starts, expected)


def test_a_start_that_raises_is_recorded_and_the_others_go_on():
    starts = np.array([[1.0, 2.0], [-1.0, 0.0], [2.0, 2.0]])
    res = rmsopt.multistart(refuses_negative_first, starts, jac=True, options=RATE)
    assert [result.start for result in res.results][-1] == 1
    failed = res.results[-1]
    assert failed.status == rmsopt.Status.ERROR == 9
    assert failed.success is False
    assert failed.error == "ValueError: x[0] must be non-negative here"
    assert "refuses_negative_first" in failed.traceback
    np.testing.assert_array_equal(failed.x, starts[1])
    assert np.isnan(failed.fun)
    assert all(result.status != 9 for result in res.results[:-1])
    assert res.success or res.status == rmsopt.Status.MAXITER


def test_a_start_that_diverges_stops_with_status_5_and_is_kept():
    starts = np.array([[0.2, 0.1], [40.0, 40.0]])
    res = rmsopt.multistart(
        lambda x: float(np.exp(np.sum(x**2))),
        starts,
        jac=lambda x: 2 * x * np.exp(np.sum(x**2)),
        options={"learning_rate": 0.1, "maxiter": 50},
    )
    by_start = {result.start: result for result in res.results}
    assert by_start[1].status == rmsopt.Status.NONFINITE
    np.testing.assert_array_equal(by_start[1].x, starts[1])
    assert res.results[0].start == 0


def test_interrupting_keeps_the_completed_runs():
    calls = []

    def fun(x):
        calls.append(x[0])
        if x[0] == 3.0:
            raise KeyboardInterrupt
        return float(np.sum(x**2)), 2 * x

    starts = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    res = rmsopt.multistart(fun, starts, jac=True, options={"maxiter": 3})
    assert res.interrupted is True
    assert sorted(result.start for result in res.results) == [0, 1]
    assert 4.0 not in calls


def test_nothing_completed_before_an_interrupt():
    def fun(x):
        raise KeyboardInterrupt

    res = rmsopt.multistart(fun, np.ones((2, 2)), jac=lambda x: x)
    assert res.interrupted is True and res.results == [] and res.success is False
    assert res.message == "Interrupted before any run completed."


def test_float32_starts_run_in_float32():
    res = rmsopt.multistart(
        CAMEL.fun, np.ones((2, 2), dtype=np.float32), jac=CAMEL.jac, options={"maxiter": 3}
    )
    assert res.starts.dtype == np.float32
    assert all(result.x.dtype == np.float32 for result in res.results)


def test_minibatch_runs_share_one_derived_shuffle():
    data = problems.linear_regression(n_samples=64, n_features=3)
    options = {"batch_size": 16, "epochs": 2}
    starts = np.zeros((2, 3))
    res = rmsopt.multistart(data.fun, starts, args=data.args, jac=data.jac, options=options, seed=1)
    first, second = sorted(res.results, key=lambda result: result.start)
    # Identical starts with the same shuffle give identical runs.
    np.testing.assert_array_equal(first.x, second.x)
    again = rmsopt.multistart(
        data.fun, starts, args=data.args, jac=data.jac, options=options, seed=1
    )
    np.testing.assert_array_equal(again.x, res.x)


def test_a_result_is_an_optimize_result():
    res = rmsopt.multistart(CAMEL.fun, np.ones((1, 2)), jac=CAMEL.jac, options={"maxiter": 2})
    assert isinstance(res, OptimizeResult)
    assert all(isinstance(result, OptimizeResult) for result in res.results)


BAD = [
    ({"starts": "grid"}, ValueError, "The 'starts' argument must be an array of starting points"),
    ({"starts": [1.0, 2.0]}, ValueError, "an array of shape (2,) and dtype float64"),
    ({"starts": [[1.0, np.nan]]}, ValueError, "must be finite. Got nan at index (0, 1)"),
    ({"starts": [["a", "b"]]}, ValueError, "and dtype <U1"),
    (
        {"starts": np.ones((2, 2)), "n_starts": 2},
        ValueError,
        "The 'n_starts' argument must be None",
    ),
    ({"starts": "lhs"}, TypeError, "'n_starts' argument must be a positive int when 'starts'"),
    ({"starts": "lhs", "n_starts": 0}, ValueError, "The 'n_starts' argument must be"),
    ({"starts": "lhs", "n_starts": 4, "bounds": None}, ValueError, "finite on every side"),
    (
        {"starts": "lhs", "n_starts": 4, "bounds": [(0, 1), (0, None)]},
        ValueError,
        "The 'bounds' argument must be finite on every side",
    ),
    ({"starts": np.ones((2, 2)), "seed": -1}, ValueError, "The 'seed' argument must be"),
    ({"starts": np.ones((2, 2)), "method": "bfgs"}, ValueError, "bfgs"),
    ({"starts": np.ones((2, 2)), "workers": 0}, ValueError, "The 'workers' argument must be 1"),
    ({"starts": np.ones((2, 2)), "progress": "yes"}, TypeError, "The 'progress' argument"),
    (
        {"starts": np.ones((2, 2)), "options": {"rho": 2.0}},
        ValueError,
        "The 'rho' option of method 'rmsprop' must be",
    ),
    ({"starts": np.ones((2, 2)), "jac": "5-point"}, ValueError, "The 'jac' argument must be"),
    (
        {
            "starts": np.ones((2, 2)),
            "args": (np.ones((4, 2)),),
            "options": {"batch_size": 2, "seed": np.random.default_rng()},
        },
        TypeError,
        "The 'seed' option of method 'rmsprop' must be None, an int or a SeedSequence in a search",
    ),
    (
        {"starts": np.ones((2, 2)), "options": {"batches": iter([((np.ones(2),),)])}},
        TypeError,
        "must be a re-iterable collection of batches",
    ),
]


@pytest.mark.parametrize(("given", "error", "message"), BAD)
def test_bad_arguments_are_refused_before_anything_runs(given, error, message):
    ran = []

    def fun(x, *args):
        ran.append(x)
        return float(np.sum(x**2))

    given = {"bounds": CAMEL.bounds, **given}
    starts = given.pop("starts")
    with pytest.raises(error) as caught:
        rmsopt.multistart(fun, starts, **given)
    assert message in str(caught.value)
    assert ran == []


def test_unknown_options_warn_once():
    with pytest.warns(Warning, match="Unknown solver options for method 'rmsprop': rh0") as seen:
        rmsopt.multistart(CAMEL.fun, np.ones((3, 2)), jac=CAMEL.jac, options={"rh0": 0.9})
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("fun", "gradient", "starts", "options"),
    [
        # From -1e100, x**3 overflows RMSprop's square average at once: its last good value,
        # -1e300, would sort first.
        (lambda x: float(np.sum(x**3)), lambda x: 3 * x**2, [[0.5], [-1e100]], {}),
        # Maximizing x**2 from a huge start overflows to +inf.
        (
            lambda x: float(np.sum(x**2)),
            lambda x: 2 * x,
            [[1e200], [1.0]],
            {"maximize": True, "learning_rate": 10.0},
        ),
    ],
)
def test_runs_that_went_non_finite_are_never_best(fun, gradient, starts, options):
    res = rmsopt.multistart(
        fun, np.array(starts), jac=gradient, method="sgd" if options else "rmsprop",
        options={"maxiter": 100, **options},
    )  # fmt: skip
    assert res.results[-1].status == rmsopt.Status.NONFINITE
    assert res.status != rmsopt.Status.NONFINITE and np.isfinite(res.fun)
    assert res.start == res.results[0].start


def test_a_seed_sequence_gives_the_same_starts_every_time():
    seed = np.random.SeedSequence(2024)
    kwargs = {"jac": CAMEL.jac, "bounds": CAMEL.bounds, "n_starts": 4, "options": {"maxiter": 0}}
    first = rmsopt.multistart(CAMEL.fun, "lhs", seed=seed, **kwargs)
    second = rmsopt.multistart(CAMEL.fun, "lhs", seed=seed, **kwargs)
    np.testing.assert_array_equal(first.starts, second.starts)
    assert seed.n_children_spawned == 0


def test_an_engine_of_another_dimension_than_the_bounds_is_refused():
    with pytest.raises(ValueError) as caught:
        rmsopt.multistart(CAMEL.fun, qmc.Sobol(d=3), bounds=CAMEL.bounds, n_starts=4)
    assert str(caught.value) == (
        "The 'starts' argument must be a qmc engine of the dimension of 'bounds' (2). "
        "Got an engine with d=3 instead."
    )
    # Scalar bounds take the engine's dimension.
    res = rmsopt.multistart(
        CAMEL.fun, qmc.Halton(d=2, seed=0), jac=CAMEL.jac, bounds=Bounds(-1.0, 1.0), n_starts=3,
        options={"maxiter": 0},
    )  # fmt: skip
    assert res.starts.shape == (3, 2)


def test_a_search_where_every_run_failed_warns():
    with pytest.warns(RuntimeWarning, match="All 2 runs raised or went non-finite"):
        res = rmsopt.multistart(refuses_negative_first, -np.ones((2, 2)), jac=True)
    assert res.status == rmsopt.Status.ERROR and res.success is False
