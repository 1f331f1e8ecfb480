"""Generated cases: any method, dtype, length and option combination, non-finite values in any
gradient. The invariants: a step is the plain-NumPy twin's (tests/reference.py) or a clear
exception that changes nothing; a state survives numpy.savez; nothing leaks."""

import io
import resource
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rmsopt
from rmsopt._methods.registry import METHODS

from reference import DEFAULTS, REFERENCES, clip_gradient

CLASSES = {name: getattr(rmsopt, method.class_name) for name, method in METHODS.items()}
# What each option of the twins may take in a generated case.
CHOICES = {
    "rho": [0.5, 0.9, 0.99],
    "epsilon": [1e-8, 1e-3, 0.0],
    "momentum": [0.0, 0.5, 0.9],
    "weight_decay": [0.0, 1e-3, 0.1],
    "initial_accumulator_value": [0.0, 0.1],
    "lr_decay": [0.0, 0.01],
    "beta1": [0.0, 0.5, 0.9],
    "beta2": [0.9, 0.999],
    "dampening": [0.0, 0.3],
}


@st.composite
def cases(draw):
    method = draw(st.sampled_from(sorted(CLASSES)))
    options = {}
    for name, default in DEFAULTS[method].items():
        if draw(st.booleans()):
            choices = [False, True] if isinstance(default, bool) else CHOICES[name]
            options[name] = draw(st.sampled_from(choices))
    clip = draw(st.sampled_from([{}, {"clipnorm": 0.5}, {"clipvalue": 0.3}]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 70))
    steps = draw(st.integers(1, 6))
    bad = draw(st.sampled_from([None, np.nan, np.inf, -np.inf]))
    bad_step = draw(st.integers(0, steps - 1))
    seed = draw(st.integers(0, 2**32 - 1))
    rate = draw(st.sampled_from([1e-3, 0.1]))
    return method, options, clip, dtype, n, steps, bad, bad_step, seed, rate


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_step_is_the_twins_or_a_clear_error_that_changes_nothing(case):
    method, options, clip, dtype, n, steps, bad, bad_step, seed, rate = case
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(n).astype(dtype)
    x = x0.copy()
    try:
        opt = CLASSES[method](x, learning_rate=rate, **options, **clip)
    except (TypeError, ValueError) as error:  # options valid alone but not together
        assert str(error).startswith("The '") and len(str(error)) < 400
        return
    twin = REFERENCES[method](x0.copy(), learning_rate=rate, **options)
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10}
    for k in range(steps):
        grad = rng.standard_normal(n).astype(dtype)
        if k == bad_step and bad is not None:
            grad[rng.integers(n)] = bad
        before_x, before_state = x.copy(), opt.state_dict()
        try:
            opt.step(grad)
        except FloatingPointError as error:
            assert "unchanged" in str(error)
            np.testing.assert_array_equal(x, before_x)
            after = opt.state_dict()
            assert after["step"] == before_state["step"]
            for row in twin.state_rows:
                np.testing.assert_array_equal(after[row], before_state[row])
            continue
        assert np.all(np.isfinite(x))
        twin.step(clip_gradient(grad, clip.get("clipnorm"), clip.get("clipvalue")))
        np.testing.assert_allclose(x, twin.x, **tolerance)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_a_state_survives_numpy_savez_and_continues_bit_for_bit(case):
    method, options, clip, dtype, n, steps, _, _, seed, rate = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    try:
        opt = CLASSES[method](x, learning_rate=rate, nonfinite="skip", **options, **clip)
    except (TypeError, ValueError):
        return
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(steps + 1)]
    for grad in grads[:-1]:
        opt.step(grad)
    buffer = io.BytesIO()
    np.savez(buffer, **opt.state_dict())
    buffer.seek(0)
    restored = CLASSES[method](x.copy(), learning_rate=1.0)
    restored.load_state_dict(dict(np.load(buffer, allow_pickle=True)))
    opt.step(grads[-1])
    restored.step(grads[-1])
    np.testing.assert_array_equal(restored.x, opt.x)


def resident_kib():
    """The process's resident memory now (not its peak), from /proc."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_million_small_steps_hold_no_more_memory():
    x = np.zeros(8)
    grad = np.ones(8)
    opt = rmsopt.Adam(x, learning_rate=1e-6)
    for _ in range(100_000):  # warm up: caches, the interpreter's free lists
        opt.step(grad)
    before = resident_kib()
    for _ in range(1_000_000):
        opt.step(grad)
    grown_kib = resident_kib() - before
    # 1e6 steps leaking even 16 bytes each would grow it by 15,000 KiB.
    assert grown_kib < 2_000, grown_kib


OPTION_VALUES = {
    "learning_rate": st.sampled_from(
        [
            None,
            1e-3,
            0.5,
            rmsopt.schedules.exponential_decay(0.1, 0.5, 10),
            rmsopt.schedules.reduce_on_plateau(0.1, patience=2),
            rmsopt.schedules.cosine_decay(0.1, 20),
        ]
    ),  # fmt: skip
    "maximize": st.booleans(),
    "clipnorm": st.sampled_from([None, 0.5]),
    "xtol": st.sampled_from([0.0, 1e-12]),
    "ftol": st.sampled_from([0.0, 1e-9]),
    "history": st.sampled_from([False, True, ["fun", "grad_norm"]]),
    "return_all": st.booleans(),
}
STATUSES = {0, 1, 2, 3, 5}


@st.composite
def runs(draw):
    method = draw(st.sampled_from(sorted(CLASSES)))
    options = {name: draw(values) for name, values in OPTION_VALUES.items() if draw(st.booleans())}
    options["maxiter"] = draw(st.integers(0, 60))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 12))
    bounded = draw(st.booleans())
    poison = draw(st.sampled_from([None, np.nan, np.inf]))
    poison_at = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    return method, options, dtype, n, bounded, poison, poison_at, seed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_minimize_returns_a_result_at_a_finite_iterate_or_a_clear_error(case):
    method, options, dtype, n, bounded, poison, poison_at, seed = case
    rng = np.random.default_rng(seed)
    center = rng.standard_normal(n)
    calls = [0]
    sign = -1.0 if options.get("maximize") else 1.0

    def fun(x):
        calls[0] += 1
        value = sign * 0.5 * float(np.sum((x - center) ** 2))
        gradient = sign * (x - center)
        if poison is not None and calls[0] == poison_at:
            gradient = gradient.copy()
            gradient[0] = poison
        return value, gradient

    bounds = [(-1.0, 1.0)] * n if bounded else None
    x0 = rng.standard_normal(n).astype(dtype)
    res = rmsopt.minimize(fun, x0, jac=True, method=method, bounds=bounds, options=options)
    assert res.status in STATUSES, res.message
    assert res.x.dtype == dtype and res.x.shape == (n,)
    assert np.all(np.isfinite(res.x))
    assert np.all(np.isfinite(res.state[METHODS[method].state[0]]))
    if bounded:
        assert np.all(np.abs(res.x) <= 1.0)
    if res.status == 5:
        assert poison is not None and "non-finite" in res.message
    else:
        assert np.isfinite(res.fun)
