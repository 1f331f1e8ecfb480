"""The front door checks every argument before anything runs: a search refuses a bad option
before its first trial, whatever the option and wherever it is checked."""

import numpy as np
import pytest

import rmsopt
from rmsopt._search import compare as compare_module
from rmsopt._search import multistart as multistart_module
from rmsopt._search import tune as tune_module

X = np.arange(40.0).reshape(20, 2)
Y = np.arange(20.0)

# Minibatch options that are valid alone but not for this data or configuration.
BAD_MINIBATCH_OPTIONS = [
    # held-out data with a different number of arrays than args
    {"batch_size": 4, "validation": (X[:5],)},
    # held-out arrays of different lengths
    {"batch_size": 4, "validation": (X[:5], Y[:3])},
    # patience without validation
    {"batch_size": 4, "patience": 3},
    # a batch larger than the data
    {"batch_size": 21},
    # validation without minibatches
    {"validation": (X[:5], Y[:5])},
]


class CountingObjective:
    """A least-squares objective on (X, y) that counts its calls."""

    def __init__(self):
        self.calls = 0

    def fun(self, w, X, y):
        self.calls += 1
        return 0.5 * np.mean((X @ w - y) ** 2)

    def jac(self, w, X, y):
        self.calls += 1
        return X.T @ (X @ w - y) / len(y)


@pytest.fixture
def no_trials(monkeypatch):
    """Fail the test if any search reaches its trials."""

    def refuse(*args, **kwargs):
        raise AssertionError("a trial started before the arguments were refused")

    for module in (tune_module, multistart_module, compare_module):
        monkeypatch.setattr(module, "run_search", refuse)


@pytest.mark.parametrize("options", BAD_MINIBATCH_OPTIONS)
def test_minimize_refuses_bad_minibatch_options_before_calling_fun(options):
    objective = CountingObjective()
    with pytest.raises(ValueError, match="option"):
        rmsopt.minimize(objective.fun, np.zeros(2), args=(X, Y), jac=objective.jac, options=options)
    assert objective.calls == 0


@pytest.mark.parametrize("options", BAD_MINIBATCH_OPTIONS)
def test_tune_refuses_bad_minibatch_options_before_any_trial(options, no_trials):
    objective = CountingObjective()
    with pytest.raises(ValueError, match="option"):
        rmsopt.tune(
            objective.fun,
            np.zeros(2),
            {"learning_rate": [1e-3, 1e-2]},
            args=(X, Y),
            jac=objective.jac,
            options=options,
        )
    assert objective.calls == 0


@pytest.mark.parametrize("options", BAD_MINIBATCH_OPTIONS)
def test_multistart_refuses_bad_minibatch_options_before_any_trial(options, no_trials):
    objective = CountingObjective()
    with pytest.raises(ValueError, match="option"):
        rmsopt.multistart(
            objective.fun, np.zeros((3, 2)), args=(X, Y), jac=objective.jac, options=options
        )
    assert objective.calls == 0


def test_compare_refuses_a_bad_option_before_any_trial(no_trials):
    # Catalogue problems take no per-sample args: validation data has nothing to match.
    with pytest.raises(ValueError, match="'validation' option"):
        rmsopt.compare("rosenbrock", ["rmsprop"], options={"validation": (X, Y)})


def test_a_schedule_that_returns_a_bad_rate_stops_the_run_with_its_error():
    # The schedule runs inside the native loop; its error reaches the caller unchanged.
    with pytest.raises(ValueError, match="schedule returned -1"):
        rmsopt.minimize(
            lambda x: x @ x,
            np.ones(3),
            jac=lambda x: 2 * x,
            options={"learning_rate": lambda t: 0.1 if t < 5 else -1},
        )


def test_a_constant_schedule_runs_as_the_float_it_holds():
    runs = [
        rmsopt.minimize(
            lambda x: x @ x,
            np.ones(3),
            jac=lambda x: 2 * x,
            options={"learning_rate": rate, "maxiter": 50, "history": ["learning_rate"]},
        )
        for rate in (0.01, rmsopt.schedules.constant(0.01))
    ]
    np.testing.assert_array_equal(runs[0].x, runs[1].x)
    np.testing.assert_array_equal(
        runs[0].history["learning_rate"], runs[1].history["learning_rate"]
    )
