"""rmsopt.compare: one table of every method on every problem, and the behaviour users
read about, reproduced with the library (AdaGrad's step size decays, RMSprop's does not)."""

import re

import numpy as np
import pytest

import rmsopt
from rmsopt import problems
from rmsopt._search.compare import COLUMNS

# Both methods at the same learning rate, so that only the accumulator differs.
SAME_RATE = {"rmsprop": {"learning_rate": 1e-2}, "adagrad": {"learning_rate": 1e-2}}


def by_method(table):
    return {row["method"]: row for row in table}


def test_records_follow_problems_then_methods():
    table = rmsopt.compare(
        ["sphere", problems.booth()], ["rmsprop", "adam"], maxiter=50, as_frame=False
    )
    assert [(row["problem"], row["method"]) for row in table] == [
        ("Sphere (n=10)", "rmsprop"),
        ("Sphere (n=10)", "adam"),
        ("Booth", "rmsprop"),
        ("Booth", "adam"),
    ]
    for row in table:
        assert tuple(row) == COLUMNS


def test_a_record_is_the_result_of_minimize():
    problem = problems.rosenbrock()
    (row,) = rmsopt.compare(problem, "adam", maxiter=300, as_frame=False)
    res = rmsopt.minimize(
        problem.fun, problem.x0, jac=problem.jac, method="adam", options={"maxiter": 300}
    )
    assert row["fun"] == res.fun
    assert row["distance"] == np.linalg.norm(res.x - 1.0)
    assert row["minimum"] == 0.0
    assert (row["nit"], row["nfev"], row["njev"]) == (res.nit, res.nfev, res.njev)
    assert (row["status"], row["success"]) == (res.status, res.success)
    assert row["step_size"] == np.median(rmsopt.effective_step_size(res.state))
    assert row["time"] > 0


def test_labels_options_and_shared_options():
    runs = {
        "slow": {"method": "rmsprop", "learning_rate": 1e-4},
        "fast": {"method": "rmsprop", "learning_rate": 1e-1},
        "sgd": {"momentum": 0.9, "learning_rate": 0.05},
    }
    table = rmsopt.compare("sphere", runs, maxiter=20, options={"gtol": 0.0}, as_frame=False)
    rows = by_method(table)
    assert list(rows) == ["slow", "fast", "sgd"]
    assert rows["fast"]["fun"] < rows["slow"]["fun"]
    # The step size reported uses each run's own options: SGD's is its learning rate.
    assert rows["sgd"]["step_size"] == 0.05  # lr: the scale before momentum
    assert all(row["nit"] == 20 for row in table)


def test_unknown_minimum_gives_nan():
    (row,) = rmsopt.compare(problems.mlp(), "adam", maxiter=5, as_frame=False)
    assert np.isnan(row["minimum"]) and np.isnan(row["distance"])
    assert np.isfinite(row["fun"])


def test_data_problems_run_on_minibatches():
    problem = problems.linear_regression(n_samples=1500)
    (row,) = rmsopt.compare(
        problem, "rmsprop", options={"batch_size": 1, "epochs": 1, "seed": 0}, as_frame=False
    )
    # Without a maxiter argument, minibatch runs are not cut at the default 1000 iterations.
    assert row["nit"] == 1500 and row["status"] == rmsopt.Status.EPOCHS


def test_the_budget_is_the_same_for_every_run():
    message = (
        "The 'options' argument must be options without 'maxiter' (the 'maxiter' argument sets "
        "every run's budget). Got {'maxiter': 10} instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.compare("sphere", ["rmsprop"], options={"maxiter": 10})
    message = "The options of run 'rmsprop' must be options without 'maxiter'"
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.compare("sphere", {"rmsprop": {"maxiter": 10}})


def test_a_data_frame_when_pandas_is_installed():
    pandas = pytest.importorskip("pandas")
    frame = rmsopt.compare(["sphere", "booth"], ["rmsprop", "adagrad"], maxiter=10)
    assert isinstance(frame, pandas.DataFrame)
    assert tuple(frame.columns) == COLUMNS and len(frame) == 4
    records = rmsopt.compare(
        ["sphere", "booth"], ["rmsprop", "adagrad"], maxiter=10, as_frame=False
    )
    assert frame["fun"].tolist() == [row["fun"] for row in records]


@pytest.mark.parametrize(
    ("problems_arg", "methods", "error", "message"),
    [
        (
            "nope",
            ["rmsprop"],
            ValueError,
            "The problem name must be the name of a problem in the catalogue: sphere,",
        ),
        (
            [],
            ["rmsprop"],
            ValueError,
            "The 'problems' argument must be a Problem, a name from rmsopt.problems.CATALOGUE, "
            "or a sequence of them. Got an empty sequence instead.",
        ),
        (
            [3],
            ["rmsprop"],
            TypeError,
            "The 'problems' argument must be a Problem, a name from rmsopt.problems.CATALOGUE, "
            "or a sequence of them. Got an item 3 instead.",
        ),
        (
            "sphere",
            ["rmsprop", "lbfgs"],
            ValueError,
            "The 'method' argument must be one of 'rmsprop', 'adagrad'",
        ),
        (
            "sphere",
            [],
            ValueError,
            "The 'methods' argument must be a sequence of method names or a mapping from labels "
            "to option dicts. Got an empty sequence instead.",
        ),
        (
            "sphere",
            {"a": 3},
            TypeError,
            "The 'methods' argument must be a sequence of method names or a mapping from labels "
            "to option dicts. Got an item 'a': 3 instead.",
        ),
    ],
)
def test_bad_arguments(problems_arg, methods, error, message):
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.compare(problems_arg, methods, maxiter=5, as_frame=False)


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        (
            {"options": [1]},
            TypeError,
            "The 'options' argument must be a mapping (e.g. a dict) of option names to values, "
            "or None. Got [1] instead.",
        ),
        (
            {"as_frame": "no"},
            TypeError,
            "The 'as_frame' argument must be a bool (True or False, or 0 or 1) or None. "
            "Got 'no' instead.",
        ),
        (
            {"maxiter": -1},
            ValueError,
            "The 'maxiter' argument must be an integer in the range [0, 2**63 - 1]. Got -1 "
            "instead.",
        ),
    ],
)
def test_bad_keywords(keywords, error, message):
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.compare("sphere", ["rmsprop"], **keywords)


def test_bad_methods_are_refused_before_anything_runs():
    calls = []

    def fun(x):
        calls.append(x)
        return float(x @ x)

    problem = problems.Problem("counted", fun, lambda x: 2 * x, np.ones(2), True, "test")
    with pytest.raises(ValueError):
        rmsopt.compare(problem, ["rmsprop", "nope"], maxiter=5, as_frame=False)
    assert calls == []


# --- the behaviour users read about ------------------------------------------------------------


def test_on_the_convex_regression_both_reach_the_minimum():
    table = rmsopt.compare(
        problems.linear_regression(),
        SAME_RATE,
        maxiter=20000,
        options={"gtol": 0.0},
        as_frame=False,
    )
    for row in table:
        assert row["distance"] < 0.05, row["method"]
        assert row["fun"] - row["minimum"] < 1e-3, row["method"]


@pytest.mark.parametrize(
    "problem",
    [problems.sparse_feature_regression(), problems.rosenbrock(), problems.beale()],
    ids=["sparse-feature regression", "Rosenbrock", "Beale"],
)
def test_adagrads_step_size_decays_rmsprops_does_not(problem):
    short, long = (
        by_method(
            rmsopt.compare(problem, SAME_RATE, maxiter=n, options={"gtol": 0.0}, as_frame=False)
        )
        for n in (100, 10000)
    )
    adagrad_early, adagrad_late = short["adagrad"]["step_size"], long["adagrad"]["step_size"]
    rmsprop_early, rmsprop_late = short["rmsprop"]["step_size"], long["rmsprop"]["step_size"]
    # AdaGrad's accumulated squares only grow: its step size ends far below the learning rate
    # and below where it was, while RMSprop's moving average lets its step size recover.
    assert adagrad_late < adagrad_early
    assert adagrad_late < 1e-2 * 1e-2  # under 1% of the learning rate
    assert rmsprop_late > 100 * adagrad_late
    assert rmsprop_late > 0.1 * rmsprop_early
    # In the same budget, RMSprop gets much closer to the minimiser.
    assert long["rmsprop"]["distance"] < 0.1
    assert long["adagrad"]["distance"] > 5 * long["rmsprop"]["distance"]


def test_results_come_back_on_request():
    table, results = rmsopt.compare(
        ["sphere", "booth"],
        ["rmsprop", "adam"],
        maxiter=30,
        as_frame=False,
        options={"history": ["fun"]},
        return_results=True,
    )
    assert list(results) == [(row["problem"], row["method"]) for row in table]
    for row in table:
        res = results[row["problem"], row["method"]]
        assert res.fun == row["fun"] and res.history["fun"][-1] == res.fun


def test_a_run_that_takes_no_step_has_no_step_size():
    (row,) = rmsopt.compare("sphere", ["sgd"], options={"gtol": 1e6}, as_frame=False)
    assert row["nit"] == 0 and row["status"] == rmsopt.Status.GTOL
    assert np.isnan(row["step_size"])


def test_a_run_that_raises_is_recorded_and_the_others_go_on():
    def fun(x):
        return float(x @ x)

    def jac(x):
        if x[0] < 0.5:
            raise FloatingPointError("the gradient failed here")
        return 2 * x

    problem = problems.Problem("fragile", fun, jac, np.ones(2), True, "test", minimum=0.0)
    table, results = rmsopt.compare(
        [problem, "booth"],
        {"slow": {"method": "sgd", "learning_rate": 1e-3}, "fast": {"method": "sgd"}},
        options={"learning_rate": 0.3},
        maxiter=20,
        as_frame=False,
        return_results=True,
    )
    rows = {(row["problem"], row["method"]): row for row in table}
    failed = rows["fragile", "fast"]
    assert failed["status"] == rmsopt.Status.ERROR and failed["success"] is False
    assert failed["error"] == "FloatingPointError: the gradient failed here"
    assert np.isnan(failed["fun"]) and np.isnan(failed["distance"])
    assert np.isnan(failed["step_size"])
    assert "jac" in results["fragile", "fast"].traceback
    assert rows["fragile", "slow"]["error"] is None and rows["fragile", "slow"]["nit"] == 20
    assert all(rows["Booth", label]["error"] is None for label in ("slow", "fast"))


def test_interrupting_returns_the_completed_runs_with_a_warning():
    def fun(x):
        raise KeyboardInterrupt

    interrupted = problems.Problem("interrupted", fun, lambda x: 2 * x, np.ones(2), True, "test")
    with pytest.warns(RuntimeWarning, match="the table holds the 2 of 4 runs that completed"):
        table = rmsopt.compare(
            ["booth", interrupted], ["rmsprop", "adam"], maxiter=5, as_frame=False
        )
    assert [row["problem"] for row in table] == ["Booth", "Booth"]


def test_minibatch_runs_follow_the_seed():
    data = problems.linear_regression(n_samples=64, n_features=3)
    options = {"batch_size": 16, "epochs": 2}

    def run(seed):
        return rmsopt.compare(data, ["rmsprop"], options=options, seed=seed, as_frame=False)[0]

    assert run(3)["fun"] == run(3)["fun"]
    assert run(3)["fun"] != run(4)["fun"]
