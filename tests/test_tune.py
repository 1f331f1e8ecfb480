"""rmsopt.tune: grid and random searches over options, scored on the training objective or
by k-fold cross-validation, every trial in a table."""

import itertools
import re

import numpy as np
import pytest
from scipy import stats

import rmsopt
from rmsopt import problems

QUADRATIC = problems.quadratic(n=4)
REGRESSION = problems.linear_regression(n_samples=60, n_features=3)
GRID = {"learning_rate": [1e-3, 1e-2, 1e-1], "rho": [0.9, 0.99]}
BUDGET = {"maxiter": 200}


def search(space=GRID, problem=QUADRATIC, **kwargs):
    kwargs.setdefault("options", BUDGET)
    kwargs.setdefault("as_frame", False)
    if problem.args:
        kwargs.setdefault("args", problem.args)
    return rmsopt.tune(problem.fun, problem.x0, space, jac=problem.jac, **kwargs)


def test_a_grid_tries_every_combination_in_order_and_each_trial_is_a_minimize_run():
    res = search()
    combinations = list(itertools.product(GRID["learning_rate"], GRID["rho"]))
    assert [(row["learning_rate"], row["rho"]) for row in res.table] == combinations
    assert [row["trial"] for row in res.table] == list(range(6))
    for row, result, (rate, rho) in zip(res.table, res.results, combinations, strict=True):
        options = {**BUDGET, "learning_rate": rate, "rho": rho}
        alone = rmsopt.minimize(QUADRATIC.fun, QUADRATIC.x0, jac=QUADRATIC.jac, options=options)
        np.testing.assert_array_equal(result.x, alone.x)
        assert row["score"] == row["fun"] == alone.fun
        assert (row["nit"], row["status"], row["success"]) == (
            alone.nit,
            alone.status,
            alone.success,
        )
        assert row["error"] is None and row["time"] > 0
    scores = [row["score"] for row in res.table]
    assert res.best_trial == int(np.argmin(scores))
    assert res.best_score == min(scores)
    best_rate, best_rho = combinations[res.best_trial]
    assert res.best_options == {**BUDGET, "learning_rate": best_rate, "rho": best_rho}
    assert res.best_method == "rmsprop"
    assert res.interrupted is False and res.folds is None
    assert list(res.table[0]) == [
        "trial", "learning_rate", "rho", "score", "fun", "nit", "status", "success", "error",
        "time",
    ]  # fmt: skip


def test_maximize_ranks_the_largest_score_first():
    def negated(x):
        return -QUADRATIC.fun(x)

    def negated_gradient(x):
        return -QUADRATIC.jac(x)

    res = rmsopt.tune(
        negated,
        QUADRATIC.x0,
        GRID,
        jac=negated_gradient,
        options={**BUDGET, "maximize": True},
        as_frame=False,
    )
    plain = search()
    assert res.best_trial == plain.best_trial
    assert res.best_score == -plain.best_score


def test_methods_with_their_own_options_in_a_list_of_spaces():
    space = [
        {"method": ["rmsprop"], "rho": [0.9, 0.99]},
        {"method": ["adam"], "beta2": [0.99, 0.999]},
    ]
    res = search(space, options={**BUDGET, "learning_rate": 0.05})
    assert [(row["method"], row["rho"], row["beta2"]) for row in res.table] == [
        ("rmsprop", 0.9, None),
        ("rmsprop", 0.99, None),
        ("adam", None, 0.99),
        ("adam", None, 0.999),
    ]
    adam = rmsopt.minimize(
        QUADRATIC.fun,
        QUADRATIC.x0,
        jac=QUADRATIC.jac,
        method="adam",
        options={**BUDGET, "learning_rate": 0.05, "beta2": 0.999},
    )
    assert res.table[3]["score"] == adam.fun
    assert res.best_method == res.table[res.best_trial]["method"]


def test_shared_options_unknown_to_one_method_warn_once_and_are_left_out_for_it():
    space = {"method": ["rmsprop", "adam"], "learning_rate": [0.01, 0.02]}
    with pytest.warns(Warning, match="Unknown solver options for method 'adam': rho") as seen:
        res = search(space, options={**BUDGET, "rho": 0.5})
    assert len(seen) == 1
    assert [result.status for result in res.results] == [3, 3, 3, 3]


def test_a_random_search_is_reproducible_and_draws_distinct_grid_points():
    res = search(search="random", n_trials=4, seed=7)
    again = search(search="random", n_trials=4, seed=7)
    points = [(row["learning_rate"], row["rho"]) for row in res.table]
    assert points == [(row["learning_rate"], row["rho"]) for row in again.table]
    assert len(set(points)) == 4
    assert set(points) <= set(itertools.product(GRID["learning_rate"], GRID["rho"]))
    others = [search(search="random", n_trials=4, seed=seed).table for seed in range(5)]
    assert any([(r["learning_rate"], r["rho"]) for r in table] != points for table in others)


def test_a_random_search_draws_from_distributions():
    space = {"learning_rate": stats.loguniform(1e-4, 1e-1), "rho": [0.9, 0.99]}
    res = search(space, search="random", n_trials=12, seed=0)
    rates = np.array([row["learning_rate"] for row in res.table])
    assert np.all((rates >= 1e-4) & (rates <= 1e-1))
    assert len(set(rates)) == 12
    assert {row["rho"] for row in res.table} == {0.9, 0.99}
    again = search(space, search="random", n_trials=12, seed=0)
    assert [row["learning_rate"] for row in again.table] == list(rates)


def reference_folds(n_samples, folds):
    """Check that the folds partition the samples in near-equal parts."""
    held_out = np.concatenate([rows for _, rows in folds])
    np.testing.assert_array_equal(np.sort(held_out), np.arange(n_samples))
    sizes = [len(rows) for _, rows in folds]
    assert max(sizes) - min(sizes) <= 1
    for training, rows in folds:
        np.testing.assert_array_equal(
            np.sort(np.concatenate([training, rows])), np.arange(n_samples)
        )


def test_cross_validation_trains_on_all_folds_but_one_and_scores_the_held_out_one():
    res = search({"learning_rate": [1e-2, 1e-1]}, problem=REGRESSION, cv=3, seed=2)
    assert len(res.folds) == 3
    reference_folds(60, res.folds)
    X, y = REGRESSION.args
    for row, fold_results in zip(res.table, res.results, strict=True):
        held_out_values = []
        for (training, held_out), result in zip(res.folds, fold_results, strict=True):
            alone = rmsopt.minimize(
                REGRESSION.fun,
                REGRESSION.x0,
                args=(X[training], y[training]),
                jac=REGRESSION.jac,
                options={**BUDGET, "learning_rate": row["learning_rate"]},
            )
            np.testing.assert_array_equal(result.x, alone.x)
            held_out_values.append(REGRESSION.fun(alone.x, X[held_out], y[held_out]))
        assert row["score"] == pytest.approx(np.mean(held_out_values), rel=1e-15)
        assert row["score_std"] == pytest.approx(np.std(held_out_values), rel=1e-12)
        assert row["fun"] == pytest.approx(np.mean([r.fun for r in fold_results]), rel=1e-15)
        assert row["nit"] == sum(r.nit for r in fold_results)
    other_seed = search({"learning_rate": [1e-2]}, problem=REGRESSION, cv=3, seed=3)
    assert not np.array_equal(other_seed.folds[0][1], res.folds[0][1])


def test_cross_validation_with_a_sparse_design_matrix():
    import scipy.sparse

    X, y = REGRESSION.args
    sparse = (scipy.sparse.csr_matrix(X), y)

    def fun(w, X, y):
        residual = X @ w - y
        return 0.5 * float(residual @ residual) / y.shape[0]

    def jac(w, X, y):
        return X.T @ (X @ w - y) / y.shape[0]

    res = rmsopt.tune(fun, np.zeros(3), {"learning_rate": [0.05]}, args=sparse, jac=jac,
                      cv=2, seed=0, options=BUDGET, as_frame=False)  # fmt: skip
    dense = search({"learning_rate": [0.05]}, problem=REGRESSION, cv=2, seed=0)
    assert res.table[0]["score"] == pytest.approx(dense.table[0]["score"], rel=1e-6)


def test_minibatch_trials_share_one_shuffle_from_the_seed():
    space = {"learning_rate": [0.01, 0.01, 0.02]}
    options = {"batch_size": 20, "epochs": 3}
    res = search(space, problem=REGRESSION, options=options, seed=5)
    first, repeat, other = res.results
    np.testing.assert_array_equal(first.x, repeat.x)
    assert not np.array_equal(first.x, other.x)
    assert isinstance(res.best_options["seed"], int)
    again = search(space, problem=REGRESSION, options=options, seed=5)
    np.testing.assert_array_equal(again.results[0].x, first.x)
    # The best options reproduce the best trial with minimize.
    alone = rmsopt.minimize(
        REGRESSION.fun, REGRESSION.x0, args=REGRESSION.args, jac=REGRESSION.jac,
        options=res.best_options,
    )  # fmt: skip
    np.testing.assert_array_equal(alone.x, res.results[res.best_trial].x)


def raises_for_large_steps(x):
    if np.any(np.abs(x) > 5):
        raise ArithmeticError("left the trust region")
    return QUADRATIC.fun(x), QUADRATIC.jac(x)


def test_trials_that_raise_or_diverge_score_nan_and_the_search_goes_on():
    res = rmsopt.tune(
        raises_for_large_steps, QUADRATIC.x0, {"learning_rate": [1e-2, 10.0]}, jac=True,
        options={"maxiter": 50, "rho": 0.0}, as_frame=False,
    )  # fmt: skip
    good, bad = res.table
    assert np.isfinite(good["score"]) and good["error"] is None
    assert np.isnan(bad["score"]) and bad["status"] == 9 and bad["success"] is False
    assert bad["error"] == "ArithmeticError: left the trust region"
    assert "raises_for_large_steps" in res.results[1].traceback
    assert res.best_trial == 0

    def exploding(x):
        return float(np.exp(np.sum(x**2))), 2 * x * np.exp(np.sum(x**2))

    res = rmsopt.tune(exploding, np.full(2, 0.1), {"learning_rate": [1e-3, 30.0]}, jac=True,
                      options={"maxiter": 50}, as_frame=False)  # fmt: skip
    assert res.table[1]["status"] == rmsopt.Status.NONFINITE
    assert np.isnan(res.table[1]["score"])
    assert res.best_trial == 0


def test_a_search_where_nothing_scores_warns_and_has_no_best():
    def always_raises(x):
        raise ZeroDivisionError("no")

    with pytest.warns(RuntimeWarning, match="None of the 2 trials gave a finite score"):
        res = rmsopt.tune(always_raises, np.ones(2), {"learning_rate": [0.1, 0.2]}, jac=True,
                          as_frame=False)  # fmt: skip
    assert res.best_trial is None and res.best_options is None and np.isnan(res.best_score)


def test_interrupting_returns_the_completed_trials():
    def fun(x):
        if fun.calls == 2:
            raise KeyboardInterrupt
        fun.calls += 1
        return QUADRATIC.fun(x), QUADRATIC.jac(x)

    fun.calls = 0
    res = rmsopt.tune(fun, QUADRATIC.x0, GRID, jac=True, options={"maxiter": 0}, as_frame=False)
    assert res.interrupted is True
    assert [row["trial"] for row in res.table] == [0, 1]


def test_the_table_is_a_data_frame_when_pandas_is_there():
    pandas = pytest.importorskip("pandas")
    res = search(as_frame=None)
    assert isinstance(res.table, pandas.DataFrame)
    assert res.table["score"].tolist() == [row["score"] for row in search().table]


def test_a_progress_bar_counts_the_trials(capsys):
    pytest.importorskip("tqdm")
    search(progress=True)
    err = capsys.readouterr().err
    assert "tune" in err and "6/6" in err


BAD = [
    ({"space": [1e-3, 1e-2]}, TypeError, "The 'space' argument must be a mapping"),
    ({"space": []}, TypeError, "The 'space' argument must be a mapping"),
    ({"space": {"learning_rate": 0.1}}, TypeError, "for 'learning_rate', a non-empty list"),
    ({"space": {"learning_rate": []}}, TypeError, "a non-empty list of values. Got []"),
    ({"space": {"method": "adam"}}, TypeError, "for 'method', a non-empty list"),
    ({"space": {"rh0": [0.9]}}, ValueError, "Got 'rh0' (did you mean 'rho'?) instead."),
    ({"space": {"beta1": [0.9]}}, ValueError, "names of options of method 'rmsprop'"),
    ({"space": {"maximize": [True]}}, ValueError, "options other than 'maximize'"),
    ({"space": {1: [0.9]}}, TypeError, "option names (str) as keys"),
    ({"space": {"rho": [0.9, 1.5]}}, ValueError, "The 'rho' option of method 'rmsprop' must be"),
    ({"space": {"method": ["rmsprop", "bfgs"]}}, ValueError, "bfgs"),
    ({"search": "bayes"}, ValueError, "The 'search' argument must be one of"),
    ({"n_trials": 3}, ValueError, "The 'n_trials' argument must be None for a grid search"),
    ({"search": "random"}, TypeError, "The 'n_trials' argument must be a positive int"),
    ({"search": "random", "n_trials": 7}, ValueError, "at most the 6 combinations"),
    ({"cv": 1, "args": REGRESSION.args}, ValueError, "The 'cv' argument must be"),
    (
        {"cv": 61, "args": REGRESSION.args},
        ValueError,
        "at most the number of samples in 'args' (60)",
    ),
    ({"cv": 3}, ValueError, "The 'args' argument must be the per-sample data when 'cv' is set"),
    ({"workers": "all"}, TypeError, "The 'workers' argument must be"),
    ({"as_frame": "yes"}, TypeError, "The 'as_frame' argument"),
    ({"seed": "x"}, TypeError, "The 'seed' argument must be"),
    ({"options": {"gtol": -1.0}}, ValueError, "The 'gtol' option of method 'rmsprop' must be"),
    ({"options": [1]}, TypeError, "The 'options' argument must be a mapping"),
]


@pytest.mark.parametrize(("given", "error", "message"), BAD)
def test_bad_arguments_are_refused_before_any_trial_runs(given, error, message):
    ran = []

    def fun(x, *args):
        ran.append(x)
        return float(np.sum(x**2))

    given = {"space": GRID, **given}
    space = given.pop("space")
    with pytest.raises(error) as caught:
        rmsopt.tune(fun, np.ones(3), space, **given)
    assert message in str(caught.value)
    assert ran == []


def test_cross_validation_refuses_user_batches_that_would_bypass_the_folds():
    X, y = REGRESSION.args
    batches = [(X[:30], y[:30]), (X[30:], y[30:])]
    with pytest.raises(ValueError) as caught:
        search(problem=REGRESSION, cv=2, options={"batches": batches, "epochs": 2})
    assert str(caught.value) == (
        "The 'options' argument must be None with 'cv' (the folds cut 'args'; use "
        "'batch_size' for minibatches). Got a 'batches' option instead."
    )


def test_cross_validation_checks_the_batch_size_against_the_training_folds():
    # 60 samples in 4 folds: 45 training samples per trial, fewer than the 50 asked for.
    with pytest.raises(ValueError, match=re.escape("must be an integer in the range [1, 45]")):
        search(problem=REGRESSION, cv=4, options={"batch_size": 50})


def test_a_seed_sequence_is_not_used_up():
    seed = np.random.SeedSequence(5)
    kwargs = {"search": "random", "n_trials": 3, "seed": seed}
    first, second = search(**kwargs), search(**kwargs)
    assert [row["learning_rate"] for row in first.table] == [
        row["learning_rate"] for row in second.table
    ]
    assert seed.n_children_spawned == 0


def test_a_non_finite_held_out_value_is_explained():
    def fun(w, X, y):
        value = REGRESSION.fun(w, X, y)
        return np.inf if X.shape[0] < 30 else value  # only held-out folds are this small

    with pytest.warns(RuntimeWarning, match="None of the 1 trials gave a finite score"):
        res = rmsopt.tune(
            fun, REGRESSION.x0, {"learning_rate": [0.01]}, args=REGRESSION.args,
            jac=REGRESSION.jac, cv=3, seed=0, options=BUDGET, as_frame=False,
        )  # fmt: skip
    (row,) = res.table
    assert np.isnan(row["score"])
    assert row["error"] == "fun on the held-out samples of fold 0 was inf"


def test_a_distribution_in_a_grid_says_what_it_needs():
    with pytest.raises(TypeError, match=re.escape("(a distribution needs search='random')")):
        search({"learning_rate": stats.loguniform(1e-4, 1e-1)})


def test_callback_and_tol_reach_every_trial():
    seen = []
    res = search(callback=lambda x: seen.append(x.copy()), tol=1e-300, options={"maxiter": 3})
    assert len(seen) == 6 * 3
    assert all(row["nit"] == 3 for row in res.table)
    res = search(tol=1e3)  # gtol met at once
    assert all(row["status"] == rmsopt.Status.GTOL for row in res.table)
