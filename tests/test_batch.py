"""minimize_batch: m problems in one loop, each problem's run bit for bit the one minimize
makes of it alone, for every method and the options that change a run (schedules, clipping,
bounds, weight decay, averaging, termination tests), float32 and float64."""

import re

import numpy as np
import pytest

import rmsopt
from rmsopt import schedules
from rmsopt._core import thread_pool as _thread_pool
from rmsopt._methods.registry import METHODS

from conftest import shaped

M, N = 5, 4


def wavy(X, C):
    """Vectorised: one value per row; every operation is row by row, so that row i's value
    and gradient are those of the 1-D objective on X[i] bit for bit."""
    D = X - C
    return (0.5 * D**2 + np.sin(3.0 * D)).sum(axis=-1)


def wavy_grad(X, C):
    D = X - C
    return D + 3.0 * np.cos(3.0 * D)


def wavy_both(X, C):
    return wavy(X, C), wavy_grad(X, C)


def problems(dtype=np.float64, m=M, n=N, seed=0):
    rng = np.random.default_rng(seed)
    X0 = rng.uniform(-2.0, 2.0, (m, n)).astype(dtype)
    C = rng.uniform(-1.0, 1.0, (m, n))
    return X0, C


def assert_row_is_minimize(batch_row, single):
    for key in ("x", "jac", "x_average"):
        if key in single:
            np.testing.assert_array_equal(batch_row[key], single[key], err_msg=key)
    for key in ("nit", "nfev", "njev", "status", "success", "message"):
        assert batch_row[key] == single[key], key
    if np.isnan(single.fun):
        assert np.isnan(batch_row.fun)
    else:
        assert batch_row.fun == single.fun
    for key, value in single.state.items():
        if key == "options":
            continue
        np.testing.assert_array_equal(batch_row.state[key], value, err_msg=key)
    assert set(batch_row.state["options"]) == set(single.state["options"])


def check_every_row(method, options, dtype=np.float64, jac_mode="both", bounds=None, m=M):
    X0, C = problems(dtype, m=m)
    options = shaped(method, options, N)
    if jac_mode == "both":
        res = rmsopt.minimize_batch(wavy_both, X0, (C,), method, jac=True, bounds=bounds,
                                    options=options)  # fmt: skip
    else:
        res = rmsopt.minimize_batch(wavy, X0, (C,), method, jac=wavy_grad, bounds=bounds,
                                    options=options)  # fmt: skip
    assert res.x.shape == (m, N) and res.x.dtype == dtype
    for i in range(m):
        single = rmsopt.minimize(
            lambda x, c: wavy(x, c) if jac_mode != "both" else wavy_both(x, c),
            X0[i],
            args=(C[i],),
            method=method,
            jac=True if jac_mode == "both" else wavy_grad,
            bounds=bounds,
            options=options,
        )
        assert_row_is_minimize(res[i], single)
        assert res.status[i] == single.status and res.nit[i] == single.nit
        np.testing.assert_array_equal(res.x[i], single.x)
    return res


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_with_its_defaults_is_minimize_row_by_row(method, dtype):
    # The default rate is a reduce_on_plateau per problem, observing its own values.
    check_every_row(method, {"maxiter": 300}, dtype)


@pytest.mark.parametrize("method", ["rmsprop", "adam", "sgd", "adafactor", "muon"])
@pytest.mark.parametrize(
    "options",
    [
        {"learning_rate": 0.05, "maxiter": 200, "ftol": 1e-9},
        {"learning_rate": schedules.exponential_decay(0.1, 0.5, 20), "maxiter": 150},
        {"learning_rate": lambda t: 0.05 / (1 + t), "maxiter": 80, "xtol": 1e-7},
        {"learning_rate": 0.05, "clipnorm": 0.5, "maxiter": 120},
        {"learning_rate": 0.05, "clipvalue": 0.2, "maxiter": 120, "maximize": False},
        {"learning_rate": 0.05, "weight_decay": 0.01, "maxiter": 150},
        {"learning_rate": 0.05, "averaging": "ema", "averaging_decay": 0.9, "maxiter": 100},
        {"learning_rate": 0.05, "maxfev": 37, "gtol": 1e-3},
    ],
    ids=[
        "ftol",
        "exponential",
        "callable-xtol",
        "clipnorm",
        "clipvalue",
        "decay",
        "ema",
        "maxfev",
    ],  # fmt: skip
)
def test_options_that_change_a_run_keep_every_row_minimize(method, options, dtype):
    if method in ("adafactor", "muon") and "weight_decay" in options:
        options = {**options, "weight_decay": 0.0}
    check_every_row(method, options, dtype, jac_mode="separate")


@pytest.mark.parametrize("method", ["rmsprop", "adam", "adagrad"])
def test_bounds_keep_every_row_minimize(method, dtype):
    check_every_row(method, {"maxiter": 200}, dtype, bounds=[(-0.5, 0.7)] * N)


def test_a_problem_that_stopped_is_no_longer_evaluated():
    # Problems converge at different iterations; fun sees only the running ones, and each
    # problem is evaluated exactly as often as its own nfev says.
    X0, C = problems(m=8)
    seen = np.zeros(8, dtype=int)
    sizes = []

    def fun(X, C, index):
        seen[index] += 1
        sizes.append(len(index))
        return wavy_both(X, C)

    res = rmsopt.minimize_batch(fun, X0, jac=True, args=(C, np.arange(8)),
                                options={"learning_rate": 0.05, "maxiter": 2000})  # fmt: skip
    assert len(set(res.nit.tolist())) > 1  # they stopped at different iterations
    np.testing.assert_array_equal(seen, res.nfev)
    assert sizes[0] == 8 and sizes[-1] < 8 and sizes == sorted(sizes, reverse=True)


def test_one_by_one_calls_the_single_objective_and_gives_the_same_runs():
    X0, C = problems()
    calls = []

    def fun(x, c):
        assert x.shape == (N,) and c.shape == (N,)
        calls.append(1)
        v, g = wavy_both(x, c)
        return float(v), g

    res = rmsopt.minimize_batch(fun, X0, jac=True, args=(C,), vectorized=False,
                                options={"maxiter": 100})  # fmt: skip
    vectorised = rmsopt.minimize_batch(wavy_both, X0, jac=True, args=(C,),
                                       options={"maxiter": 100})  # fmt: skip
    np.testing.assert_array_equal(res.x, vectorised.x)
    np.testing.assert_array_equal(res.nfev, vectorised.nfev)
    assert len(calls) == res.nfev.sum()


def test_a_non_finite_problem_stops_alone_at_its_last_good_iterate():
    X0, C = problems()

    def fun(X, C, index):
        values, grads = wavy_both(X, C)
        grads = grads.copy()
        grads[index == 2] = np.nan  # problem 2's gradient is NaN from the start
        return values, grads

    res = rmsopt.minimize_batch(fun, X0, jac=True, args=(C, np.arange(M)),
                                options={"maxiter": 50})  # fmt: skip
    assert res.status[2] == 5 and res.nit[2] == 0 and "gradient" in res.message[2]
    np.testing.assert_array_equal(res.x[2], X0[2])
    assert all(res.nit[i] == 50 for i in range(M) if i != 2)


@pytest.mark.parametrize("method", ["rmsprop", "sgd"])
def test_a_step_that_overflows_stops_its_problem_alone_as_minimize_does(method, dtype):
    # Problem 1's gradient is huge: its first step leaves the dtype's range (RMSprop's
    # square average overflows, SGD's iterate does). The batch steps the problems together;
    # the failed step is found in problem 1's own measures, and it ends there alone.
    X0, C = problems(dtype)
    scale = np.ones((M, 1))
    scale[1] = 1e300 if dtype == np.float64 else 1e30

    def fun(X, C, scale):
        return wavy(X, C), scale * wavy_grad(X, C)

    options = {"learning_rate": 1e10, "maxiter": 3} if method == "sgd" else {"maxiter": 20}
    res = rmsopt.minimize_batch(fun, X0, (C, scale), method, jac=True, options=options)
    assert res.status[1] == 5 and "step" in res.message[1]
    for i in range(M):
        single = rmsopt.minimize(fun, X0[i], (C[i], scale[i]), method, jac=True,
                                 options=options)  # fmt: skip
        assert_row_is_minimize(res[i], single)


@pytest.fixture
def two_cpus():
    # Split the batch as on a machine of two CPUs or more, even on one with a single CPU.
    previous = _thread_pool.set_cpus(64)
    yield
    _thread_pool.set_cpus(previous)


@pytest.mark.parametrize("method", ["rmsprop", "nadam", "adamw"])
def test_threads_advance_shares_of_a_large_batch_and_change_no_bit(method, two_cpus):
    # 3000 problems: two shares of the problems advance at once, and the steps of 12,000
    # elements, then of 3,000 x 8 (above 16,384), split too. Each problem's own rate (the
    # default reduce_on_plateau) splits the kernel's calls where the rates part.
    for n in (4, 8):
        X0, C = problems(m=3000, n=n, seed=n)
        options = shaped(method, {"maxiter": 60}, n)
        alone = rmsopt.minimize_batch(wavy_both, X0, (C,), method, jac=True, options=options)
        split = rmsopt.minimize_batch(wavy_both, X0, (C,), method, jac=True,
                                      options={**options, "threads": 2})  # fmt: skip
        for key in ("x", "jac", "fun", "nit", "nfev", "status"):
            np.testing.assert_array_equal(split[key], alone[key], err_msg=key)
        assert len(set(split.nit.tolist())) > 1 or len(set(split.fun.tolist())) > 1
        for i in (0, 1499, 1500, 2999):
            single = rmsopt.minimize(wavy_both, X0[i], (C[i],), method, jac=True,
                                     options=options)  # fmt: skip
            assert_row_is_minimize(split[i], single)


def test_an_exception_carries_what_the_batch_completed():
    X0, C = problems()
    calls = [0]

    def fun(X, C):
        calls[0] += 1
        if calls[0] == 7:
            raise ArithmeticError("the objective failed")
        return wavy_both(X, C)

    with pytest.raises(ArithmeticError, match="the objective failed") as caught:
        rmsopt.minimize_batch(fun, X0, jac=True, args=(C,), options={"learning_rate": 0.01})
    result = caught.value.result
    assert isinstance(result, rmsopt.BatchResult)
    assert result.status.tolist() == [9] * M and result.nit.tolist() == [5] * M


def test_results_index_like_a_sequence_of_minimize_results():
    X0, C = problems()
    res = rmsopt.minimize_batch(wavy_both, X0, jac=True, args=(C,), options={"maxiter": 10})
    assert len(res) == M
    np.testing.assert_array_equal(res[-1].x, res.x[M - 1])
    assert res["x"] is res.x
    with pytest.raises(IndexError):
        res[M]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: rmsopt.minimize_batch(wavy_both, np.zeros(3), jac=True), ValueError,
         "The 'X0' argument must be a 2-D array"),
        (lambda: rmsopt.minimize_batch(wavy, np.zeros((2, 3))), ValueError,
         "The 'jac' argument must be a callable or True"),
        (lambda: rmsopt.minimize_batch(wavy_both, np.zeros((2, 3)), jac=True,
                                       options={"history": True}),
         TypeError, "The 'history' option of minimize_batch must be one of"),
        (lambda: rmsopt.minimize_batch(lambda X: (np.zeros(3), np.zeros((2, 3))),
                                       np.zeros((2, 3)), jac=True),
         ValueError, "The values returned by 'fun' must be an array of 2 real numbers"),
        (lambda: rmsopt.minimize_batch(lambda X: np.zeros(2), np.zeros((2, 3)),
                                       jac=lambda X: np.zeros(3)),
         ValueError, r"The gradients returned by 'jac' must be an array of shape \(2, 3\)"),
        (lambda: rmsopt.minimize_batch(wavy_both, np.zeros((2, 3)), jac=True,
                                       options={"learning_rate": -1.0}),
         ValueError, "The 'learning_rate' option of method 'rmsprop'"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_float32_problems_stay_float32_and_integral_starts_become_float64():
    X0, C = problems(np.float32)
    res = rmsopt.minimize_batch(wavy_both, X0, jac=True, args=(C,), options={"maxiter": 5})
    assert res.x.dtype == np.float32 and res.jac.dtype == np.float32
    res = rmsopt.minimize_batch(wavy_both, np.zeros((2, 3), dtype=int), jac=True,
                                args=(np.ones(3),), options={"maxiter": 5})  # fmt: skip
    assert res.x.dtype == np.float64


def test_the_docstring_claims_hold_for_the_default_run():
    # The values of a separate jac's run are asked for only when something reads them (the
    # default rate's plateau does), and counted as minimize counts them.
    X0, C = problems()
    res = rmsopt.minimize_batch(wavy, X0, jac=wavy_grad, args=(C,), options={"maxiter": 30})
    assert re.match("Maximum number of iterations", res.message[0])
    np.testing.assert_array_equal(res.nfev, res.njev)


def test_a_batched_multistart_keeps_every_run_as_the_unbatched_one():
    camel = rmsopt.problems.six_hump_camel()

    def vectorised(X):
        return np.array([camel.fun(x) for x in X]), np.array([camel.jac(x) for x in X])

    options = {"learning_rate": 0.01, "maxiter": 400}
    common = {"bounds": camel.bounds, "n_starts": 8, "seed": 0, "options": options}
    batched = rmsopt.multistart(vectorised, "lhs", jac=True, batched=True, **common)
    one_by_one = rmsopt.multistart(camel.fun, "lhs", jac=camel.jac, **common)
    assert [r.start for r in batched.results] == [r.start for r in one_by_one.results]
    for ours, theirs in zip(batched.results, one_by_one.results, strict=True):
        np.testing.assert_array_equal(ours.x, theirs.x)
        assert (ours.nit, ours.status, ours.fun) == (theirs.nit, theirs.status, theirs.fun)
    assert batched.fun == one_by_one.fun


def test_a_batched_multistart_records_a_raising_objective_and_refuses_workers():
    calls = [0]

    def fun(X):
        calls[0] += 1
        if calls[0] == 4:
            raise ArithmeticError("failed")
        return (X**2).sum(1), 2 * X

    with pytest.warns(RuntimeWarning, match="All 3 runs raised"):
        res = rmsopt.multistart(fun, np.ones((3, 2)), jac=True, batched=True)
    assert [r.status for r in res.results] == [9, 9, 9]
    assert res.results[0].error == "ArithmeticError: failed" and res.results[0].nit == 2
    with pytest.raises(ValueError, match="The 'workers' argument must be 1 with batched=True"):
        rmsopt.multistart(fun, np.ones((3, 2)), jac=True, batched=True, workers=2)


def test_a_batch_result_pickles_with_its_problems_results():
    import pickle

    X0, C = problems()
    res = rmsopt.minimize_batch(wavy_both, X0, jac=True, args=(C,), options={"maxiter": 20})
    copied = pickle.loads(pickle.dumps(res))
    assert isinstance(copied, rmsopt.BatchResult)
    np.testing.assert_array_equal(copied.x, res.x)
    assert_row_is_minimize(copied[2], res[2])


def test_the_signature_is_minimizes_with_a_batch():
    import inspect

    names = list(inspect.signature(rmsopt.minimize_batch).parameters)
    assert names[:4] == ["fun", "X0", "args", "method"]
    X0, C = problems()
    positional = rmsopt.minimize_batch(wavy_both, X0, (C,), "adam", True, None, None,
                                       {"maxiter": 5})  # fmt: skip
    keywords = rmsopt.minimize_batch(wavy_both, X0, args=(C,), method="adam", jac=True,
                                     options={"maxiter": 5})  # fmt: skip
    np.testing.assert_array_equal(positional.x, keywords.x)
