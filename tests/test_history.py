"""options={"history": ...}: the recorded table against values recomputed in NumPy from the
iterates and the optimizer states."""

import re

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

import rmsopt

X0 = np.array([-1.2, 1.0, 0.5, -0.3, 2.0])  # odd n; an even n is tested below


def run(method="rmsprop", x0=X0, **options):
    return rmsopt.minimize(
        rosen,
        x0,
        jac=rosen_der,
        method=method,
        options={"learning_rate": 1e-2, "gtol": 0.0, "history": True, **options},
    )


@pytest.mark.parametrize("method", ["rmsprop", "adagrad", "adadelta", "adam", "sgd"])
@pytest.mark.parametrize("n", [5, 6])
def test_every_column_equals_a_numpy_recomputation(method, n):
    x0 = np.resize(X0, n)
    rate = 1e-4 if method == "sgd" else 1e-2  # plain steps of 1e-2 diverge on Rosenbrock
    res = run(method, x0, maxiter=40, return_all=True, learning_rate=rate)
    history = res.history
    np.testing.assert_array_equal(history["nit"], np.arange(41))
    iterates = np.array(res.allvecs)
    for k in (0, 1, 17, 40):
        assert history["fun"][k] == rosen(iterates[k])
        assert history["grad_norm"][k] == pytest.approx(np.linalg.norm(rosen_der(iterates[k])))
    steps = np.linalg.norm(np.diff(iterates, axis=0), axis=1)
    np.testing.assert_allclose(history["step_norm"][1:], steps, rtol=1e-12)
    assert np.isnan(history["step_norm"][0]) and np.isnan(history["step_size_median"][0])
    np.testing.assert_array_equal(history["learning_rate"][1:], rate)
    # The last row's step sizes and v, from the state the run returns.
    sizes = rmsopt.effective_step_size(res.state, learning_rate=rate)
    last = {name: values[-1] for name, values in history.items()}
    assert last["step_size_min"] == sizes.min() and last["step_size_max"] == sizes.max()
    assert last["step_size_median"] == np.median(sizes)
    second_moment = {
        "rmsprop": "square_avg",
        "adagrad": "square_sum",
        "adadelta": "square_avg",
        "adam": "exp_avg_sq",
    }.get(method)
    if second_moment is None:
        assert np.all(np.isnan(history["v_median"]))
    else:
        v = res.state[second_moment]
        assert (last["v_min"], last["v_median"], last["v_max"]) == (v.min(), np.median(v), v.max())


def test_medians_with_ties_and_constant_vectors():
    for x0 in (np.zeros(4), np.array([1.0, 1.0, 1.0, 1.2, 1.2, 0.9, 1.0])):
        res = run("sgd", x0, maxiter=3, learning_rate=1e-4)
        assert res.nit == 3
        np.testing.assert_array_equal(res.history["step_size_median"][1:], 1e-4)
    rng = np.random.default_rng(0)
    for n in (2, 3, 8, 33, 100, 101):
        # Integer starts repeat Rosenbrock's gradient elements: medians among ties.
        for x0 in (rng.normal(size=n), rng.integers(-1, 2, size=n).astype(float)):
            res = run("adagrad", x0, maxiter=1, history=["v"])
            v = res.state["square_sum"]
            assert res.history["v_median"][-1] == np.median(v)
            assert (res.history["v_min"][-1], res.history["v_max"][-1]) == (v.min(), v.max())


def test_an_interval_records_every_kth_iteration_and_the_last():
    res = run(maxiter=100, history_interval=7)
    np.testing.assert_array_equal(res.history["nit"], [*range(0, 99, 7), 100])
    assert res.history["fun"][-1] == res.fun


def test_a_full_table_is_thinned_and_the_interval_doubles():
    res = run(maxiter=5003, history_size=64)
    nits = res.history["nit"]
    assert len(nits) <= 64
    step = nits[1] - nits[0]
    np.testing.assert_array_equal(nits[:-1], np.arange(0, 5001, step))
    assert step == 128 and nits[-1] == 5003  # spread over the whole run, to its end


def test_groups_pick_the_columns_and_fun_costs_calls_only_when_asked():
    res = run(maxiter=20, history=["grad_norm", "step_size"])
    assert list(res.history) == [
        "nit",
        "grad_norm",
        "step_size_min",
        "step_size_median",
        "step_size_max",
    ]
    assert res.nfev == 1
    res = run(maxiter=20, history=["fun"])
    assert res.nfev == 21 and np.all(np.isfinite(res.history["fun"]))


def test_history_changes_no_iterate():
    plain = rmsopt.minimize(rosen, X0, jac=rosen_der, options={"maxiter": 200, "gtol": 0.0})
    recorded = rmsopt.minimize(
        rosen, X0, jac=rosen_der, options={"maxiter": 200, "gtol": 0.0, "history": True}
    )
    np.testing.assert_array_equal(plain.x, recorded.x)


def test_a_nonfinite_stop_records_only_good_iterates():
    def jac(x):
        return np.full_like(x, np.nan) if x[0] > -1.1 else rosen_der(x)

    res = rmsopt.minimize(
        rosen,
        X0,
        jac=jac,
        method="sgd",
        options={"learning_rate": 1e-4, "history": True, "gtol": 0.0},
    )
    assert res.status == 5
    assert res.history["nit"][-1] == res.nit
    assert np.all(np.isfinite(res.history["grad_norm"]))


def test_float32_runs_record_in_float64():
    res = run(x0=X0.astype(np.float32), maxiter=10)
    assert res.history["grad_norm"].dtype == np.float64
    assert res.history["v_max"][-1] == np.float64(res.state["square_avg"].max())


def test_minibatch_runs_record_the_minibatch_that_made_each_step():
    rng = np.random.default_rng(0)
    features, targets = rng.normal(size=(20, 3)), rng.normal(size=20)

    def loss(w, f, t):
        return 0.5 * float(np.mean((f @ w - t) ** 2))

    def grad(w, f, t):
        return f.T @ (f @ w - t) / t.shape[0]

    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=(features, targets),
        jac=grad,
        options={
            "batch_size": 5,
            "epochs": 2,
            "shuffle": False,
            "history": True,
            "return_all": True,
        },
    )
    np.testing.assert_array_equal(res.history["nit"], np.arange(1, 9))
    # Step 1 used samples 0..4 at x0.
    assert res.history["fun"][0] == loss(np.zeros(3), features[:5], targets[:5])
    assert res.history["grad_norm"][0] == np.linalg.norm(
        grad(np.zeros(3), features[:5], targets[:5])
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"history": "yes"},
            TypeError,
            "The 'history' option of method 'rmsprop' must be a bool, "
            "or a list of names among 'fun', 'grad_norm', 'step_norm', 'learning_rate', "
            "'step_size', 'v'. Got 'yes' instead.",
        ),
        (
            {"history": ["loss"]},
            ValueError,
            "The 'history' option of method 'rmsprop' must be a bool, or a list of names among",
        ),
        ({"history": []}, ValueError, "Got [] instead."),
        (
            {"history_interval": 0},
            ValueError,
            "The 'history_interval' option of method "
            "'rmsprop' must be an integer in the range [1, 2**63 - 1]. Got 0 instead.",
        ),
        (
            {"history_size": 1},
            ValueError,
            "The 'history_size' option of method 'rmsprop' must "
            "be an integer in the range [2, 2**63 - 1]. Got 1 instead.",
        ),
    ],
)
def test_bad_history_options(options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.minimize(rosen, X0, jac=rosen_der, options=options)


@pytest.mark.parametrize(
    ("options", "maxiter"),
    [
        ({"history_size": 8}, 1000),
        ({"history_interval": 7}, 100),
        ({"history_size": 8, "history_interval": 3}, 997),
    ],
)
def test_the_last_row_is_the_result(options, maxiter):
    res = run("adagrad", maxiter=maxiter, **options)
    assert res.history["nit"][-1] == res.nit
    assert res.history["fun"][-1] == res.fun
    assert len(res.history["nit"]) <= options.get("history_size", 10_000)


def test_thinning_happens_only_when_a_row_is_due():
    res = run(maxiter=5, history_size=3)
    # 0, 1, 2 fill the table; 3 doubles the interval to 2 (rows 0, 2) but is not due then;
    # 4 is; the final 5 thins again (interval 4: rows 0, 4) and is kept.
    np.testing.assert_array_equal(res.history["nit"], [0, 4, 5])


def test_a_resumed_run_counts_its_own_iterations():
    first = run(maxiter=30)
    second = rmsopt.minimize(
        rosen,
        first.x,
        jac=rosen_der,
        options={
            "learning_rate": 1e-2,
            "gtol": 0.0,
            "history": True,
            "maxiter": 20,
            "state": first.state,
        },
    )
    np.testing.assert_array_equal(second.history["nit"], np.arange(21))
    assert second.history["grad_norm"][0] == first.history["grad_norm"][-1]
    assert np.isnan(second.history["step_size_median"][0])  # no step of this run yet


def test_a_minibatch_interval_ends_on_the_last_step():
    rng = np.random.default_rng(1)
    features, targets = rng.normal(size=(20, 3)), rng.normal(size=20)

    def grad(w, f, t):
        return f.T @ (f @ w - t) / t.shape[0]

    res = rmsopt.minimize(
        lambda w, f, t: 0.0,
        np.zeros(3),
        args=(features, targets),
        jac=grad,
        options={"batch_size": 5, "epochs": 3, "history": ["grad_norm"], "history_interval": 5},
    )
    np.testing.assert_array_equal(res.history["nit"], [5, 10, 12])
