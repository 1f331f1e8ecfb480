"""Learning-rate schedules and gradient clipping through minimize, for every method."""

import re

import numpy as np
import pytest

import rmsopt
from rmsopt import schedules
from rmsopt._methods.registry import METHODS

from conftest import assert_same_iterates, shaped
from reference import REFERENCES, clip_gradient, reference_iterates


def wavy_der(x):
    return x + 3.0 * np.cos(3.0 * x)


def run(method, x0, maxiter, **options):
    return rmsopt.minimize(
        lambda x: float(np.sum(0.5 * x**2 + np.sin(3.0 * x))),
        x0,
        method=method,
        jac=wavy_der,
        options={
            "maxiter": maxiter,
            "gtol": 0.0,
            "return_all": True,
            **shaped(method, options, np.size(x0)),  # Muon reads x as one row
        },
    )


SCHEDULES = [
    schedules.constant(0.02),
    schedules.exponential_decay(0.05, 0.5, 10, staircase=True),
    schedules.step_decay(0.05, 7),
    schedules.inverse_time_decay(0.05, 1.0, 5),
    schedules.cosine_decay(0.05, 30, alpha=0.1),
    schedules.linear_warmup(schedules.cosine_decay(0.05, 20), 10),
    lambda t: 0.01 + 0.001 * (t % 3),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("method", list(METHODS))
def test_scheduled_iterates_equal_the_twin_bitwise(method, schedule, dtype):
    x0 = np.linspace(-1.0, 1.0, 5).astype(dtype)
    res = run(method, x0, 40, learning_rate=schedule)
    twin = reference_iterates(wavy_der, x0, 40, schedule, method=method, **shaped(method, {}, 5))
    assert_same_iterates(method, np.array(res.allvecs), twin)


def test_a_float_and_a_constant_schedule_give_the_same_run():
    x0 = np.array([0.3, -1.2])
    plain = run("rmsprop", x0, 50, learning_rate=0.02)
    scheduled = run("rmsprop", x0, 50, learning_rate=schedules.constant(0.02))
    np.testing.assert_array_equal(plain.x, scheduled.x)


def test_schedule_is_called_once_per_iteration_with_steps_taken():
    seen = []
    run("adam", np.ones(3), 12, learning_rate=lambda t: seen.append(t) or 0.01)
    assert seen == list(range(12))


@pytest.mark.parametrize("option", ["xtol", "ftol"])
def test_a_warmup_that_starts_at_zero_does_not_trip_xtol_or_ftol(option):
    res = run(
        "adam", np.ones(3), 50, learning_rate=schedules.linear_warmup(0.01, 5), **{option: 1e-12}
    )
    assert res.nit == 50 and res.status == rmsopt.Status.MAXITER


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, "fast", None])
def test_a_schedule_returning_a_bad_rate_is_an_error(bad):
    with pytest.raises((TypeError, ValueError), match=re.escape(f"returned {bad!r} at step 3")):
        run("rmsprop", np.ones(2), 10, learning_rate=lambda t: 0.01 if t < 3 else bad)


# ---- clipping --------------------------------------------------------------------------------


@pytest.mark.parametrize("clipping", [{"clipnorm": 0.5}, {"clipvalue": 0.2}])
@pytest.mark.parametrize("method", list(METHODS))
def test_clipped_runs_follow_the_twin_on_clipped_gradients(method, clipping):
    x0 = np.linspace(-2.0, 2.0, 6)
    res = run(method, x0, 30, learning_rate=0.05, **clipping)
    twin = REFERENCES[method](x0, learning_rate=0.05, **shaped(method, {}, 6))
    expected = [x0]
    for _ in range(30):
        expected.append(twin.step(clip_gradient(wavy_der(twin.x), **clipping)).copy())
    # Clipping by norm rounds its scale factor once in rmsopt, twice in Keras's expression;
    # Muon's matrix products sum in BLAS's order, and the differences grow along the run.
    rtol = 1e-10 if method == "muon" else 1e-12
    np.testing.assert_allclose(np.array(res.allvecs), np.array(expected), rtol=rtol, atol=1e-14)


def test_clipping_changes_the_step_but_not_the_reported_gradient():
    x0 = np.array([3.0, -3.0])
    clipped = run("sgd", x0, 1, learning_rate=0.1, clipvalue=0.5)
    np.testing.assert_allclose(clipped.x, x0 - 0.1 * np.clip(wavy_der(x0), -0.5, 0.5))
    np.testing.assert_array_equal(clipped.jac, wavy_der(clipped.x))


def test_clipnorm_rescales_only_gradients_longer_than_the_threshold():
    x0 = np.array([0.1, 0.2])
    short = run("sgd", x0, 1, learning_rate=0.1, clipnorm=100.0)
    plain = run("sgd", x0, 1, learning_rate=0.1)
    np.testing.assert_array_equal(short.x, plain.x)
    long = run("sgd", np.array([30.0, 40.0]), 1, learning_rate=1.0, clipnorm=1.0)
    step = np.array([30.0, 40.0]) - long.x
    assert np.linalg.norm(step) == pytest.approx(1.0, rel=1e-15)


def test_clipnorm_survives_gradients_whose_squares_overflow():
    huge = np.array([1e200, -1e200, 0.0])
    optimizer = rmsopt.SGD(np.zeros(3), learning_rate=1.0, clipnorm=2.0)
    optimizer.step(huge)
    np.testing.assert_allclose(optimizer.x, [-np.sqrt(2.0), np.sqrt(2.0), 0.0], rtol=1e-15)


def test_clipnorm_and_clipvalue_together_are_refused():
    message = (
        "The 'clipvalue' option of method 'adam' must be None when 'clipnorm' is set (Keras "
        "allows one kind of clipping). Got 0.1 with clipnorm=1.0 instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        run("adam", np.ones(2), 5, clipnorm=1.0, clipvalue=0.1)


@pytest.mark.parametrize("name", ["clipnorm", "clipvalue"])
@pytest.mark.parametrize("bad, error", [(0.0, ValueError), (-1.0, ValueError), ("1", TypeError)])
def test_bad_clipping_thresholds_are_refused(name, bad, error):
    message = (
        f"The {name!r} option of method 'sgd' must be a float in the range (0, inf) or None. "
        f"Got {bad!r} instead."
    )
    with pytest.raises(error, match=re.escape(message)):
        run("sgd", np.ones(2), 5, **{name: bad})
