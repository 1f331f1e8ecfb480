"""Checkpoint and resume in minimize: res.state carries the optimizer state, and
options={"state": res.state} with x0=res.x continues the run exactly."""

import re

import numpy as np
import pytest
import scipy.optimize

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import fit_size, option_grid, shaped


def wavy(x):
    return float(np.sum(0.5 * x**2 + np.sin(3.0 * x)))


def wavy_der(x):
    return x + 3.0 * np.cos(3.0 * x)


def iterates(x0, method, maxiter, **options):
    # Maximizing runs climb the negated objective, so that every run stays bounded.
    sign = -1.0 if options.get("maximize") else 1.0
    res = rmsopt.minimize(
        lambda x: sign * wavy(x),
        x0,
        method=method,
        jac=lambda x: sign * wavy_der(x),
        options={
            "maxiter": maxiter,
            "gtol": 0.0,
            "return_all": True,
            **shaped(method, options, np.size(x0)),  # Muon reads x as a matrix
        },
    )
    assert res.nit == maxiter
    return res, np.array(res.allvecs)


@pytest.fixture(params=list(METHODS))
def method(request):
    return request.param


@pytest.mark.parametrize("which", [0, -1])
def test_two_runs_of_500_equal_one_run_of_1000_bitwise(method, which, dtype):
    options = {"learning_rate": 0.01, **option_grid(method)[which]}
    n = fit_size(method, options, 5)
    options = shaped(method, options, n)
    x0 = np.linspace(-2.0, 2.0, n).astype(dtype)
    whole, whole_path = iterates(x0, method, 1000, **options)
    first, first_path = iterates(x0, method, 500, **options)
    second, second_path = iterates(first.x, method, 500, state=first.state, **options)
    np.testing.assert_array_equal(np.concatenate([first_path, second_path[1:]]), whole_path)
    assert second.state["step"] == whole.state["step"] == 1000
    for row in METHODS[method].state:
        np.testing.assert_array_equal(second.state[row], whole.state[row])


def test_resume_continues_a_schedule_at_the_step_count():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.05 * 0.99**t

    x0 = np.array([1.5, -0.5])
    _, whole_path = iterates(
        x0, "adam", 40, learning_rate=rmsopt.schedules.exponential_decay(0.05, 0.99, 1)
    )
    first, first_path = iterates(x0, "adam", 15, learning_rate=schedule)
    _, second_path = iterates(first.x, "adam", 25, learning_rate=schedule, state=first.state)
    assert seen == list(range(40))
    np.testing.assert_array_equal(np.concatenate([first_path, second_path[1:]]), whole_path)


def test_result_state_of_a_fresh_run(method):
    res, _ = iterates(np.ones(3), method, 7, learning_rate=0.01)
    assert set(res.state) == {"method", "step", "options", *METHODS[method].state}
    assert res.state["method"] == method and res.state["step"] == 7
    # The run's step options (the ones the optimizer classes take, but nonfinite).
    step_options = {option.name for option in METHODS[method].step_options}
    assert set(res.state["options"]) == step_options
    assert res.state["options"]["learning_rate"] == 0.01
    for row in METHODS[method].state:
        assert res.state[row].shape == (3,) and res.state[row].dtype == np.float64


def test_state_moves_between_minimize_and_the_optimizer_objects(method):
    x0 = np.linspace(-1.0, 1.0, 4)
    res, _ = iterates(x0, method, 20, learning_rate=0.01)
    _, continued = iterates(res.x, method, 10, learning_rate=0.01, state=res.state)
    optimizer = getattr(rmsopt, METHODS[method].class_name)(
        res.x.copy(), learning_rate=0.01, **shaped(method, {}, 4)
    )
    optimizer.load_state_dict(res.state)
    for expected in continued[1:]:
        np.testing.assert_array_equal(optimizer.step(wavy_der(optimizer.x)), expected)


def test_resume_through_scipy_minimize():
    x0 = np.array([-1.2, 1.0])
    kwargs = {"jac": scipy.optimize.rosen_der, "method": rmsopt.rmsprop}
    whole = scipy.optimize.minimize(
        scipy.optimize.rosen, x0, options={"maxiter": 200, "gtol": 0.0}, **kwargs
    )
    first = scipy.optimize.minimize(
        scipy.optimize.rosen, x0, options={"maxiter": 120, "gtol": 0.0}, **kwargs
    )
    second = scipy.optimize.minimize(
        scipy.optimize.rosen,
        first.x,
        options={"maxiter": 80, "gtol": 0.0, "state": first.state},
        **kwargs,
    )
    np.testing.assert_array_equal(second.x, whole.x)


def test_non_finite_stop_returns_the_state_of_the_last_good_iterate(method):
    # The gradient turns NaN once x[0] passes 0.5; the run must stop with the iterate
    # before, and with the state that produced it.
    def jac(x):
        return np.full_like(x, np.nan) if x[0] > 0.5 else np.full_like(x, -1.0)

    options = {"learning_rate": 0.05, "maxiter": 10_000, "gtol": 0.0, **shaped(method, {}, 2)}
    if method == "adagrad":
        options["learning_rate"] = 0.2
    res = rmsopt.minimize(lambda x: 0.0, np.zeros(2), method=method, jac=jac, options=options)
    assert res.status == rmsopt.Status.NONFINITE and 0 < res.nit
    assert res.x[0] <= 0.5 and np.all(np.isfinite(res.jac))
    replay = rmsopt.minimize(
        lambda x: 0.0, np.zeros(2), method=method, jac=jac, options={**options, "maxiter": res.nit}
    )
    np.testing.assert_array_equal(replay.x, res.x)
    assert replay.state["step"] == res.state["step"] == res.nit
    for row in METHODS[method].state:
        np.testing.assert_array_equal(replay.state[row], res.state[row])


def message(accepted, got):
    return re.escape(f"The 'state' option of method 'adam' must be {accepted}. Got {got} instead.")


def adam_state():
    return iterates(np.ones(3), "adam", 2)[0].state


def test_state_that_is_not_a_mapping_is_refused():
    with pytest.raises(
        TypeError,
        match=message("a dict returned as `res.state` or by `state_dict()`, or None", "3"),
    ):
        rmsopt.minimize(wavy, np.ones(3), method="adam", jac=wavy_der, options={"state": 3})


def test_state_of_another_method_is_refused():
    state = iterates(np.ones(3), "rmsprop", 2)[0].state
    with pytest.raises(
        ValueError, match=message("a state of method 'adam'", "a state of 'rmsprop'")
    ):
        rmsopt.minimize(wavy, np.ones(3), method="adam", jac=wavy_der, options={"state": state})


@pytest.mark.parametrize(
    "x0, got",
    [
        (np.ones(3, np.float32), "a float64 array of shape (3,)"),
        (np.ones(4), "a float64 array of shape (3,)"),
    ],
    ids=["other dtype", "other size"],
)
def test_state_of_another_dtype_or_size_is_refused(x0, got):
    state = adam_state()
    accepted = f"a {x0.dtype.name} array of shape ({x0.size},)"
    subject = "The 'state' option of method 'adam': its 'exp_avg'"
    with pytest.raises(
        ValueError, match=re.escape(f"{subject} must be {accepted}. Got {got} instead.")
    ):
        rmsopt.minimize(wavy, x0, method="adam", jac=wavy_der, options={"state": state})
