"""Generated cases: any method, dtype, length and option combination, non-finite values in any
gradient. The invariants: a step is the plain-NumPy twin's (tests/reference.py) or a clear
exception that changes nothing; a state survives numpy.savez; nothing leaks; minimize, minibatch
runs, multistart and tune give a result (the twin's, or minimize's own run by run) or a clear
exception."""

import io
import resource
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import MATRIX, assert_same_iterates, fit_size, shaped
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
    "momentum_decay": [4e-3, 0.1],
    "lambd": [0.0, 1e-4, 0.1],
    "alpha": [0.5, 0.75],
    "t0": [0.0, 2.0, 1e6],
    "etaminus": [0.3, 0.5],
    "etaplus": [1.2, 2.0],
    "step_size_min": [0.0, 1e-6],
    "step_size_max": [1e-3, 50.0],
    "eps_root": [0.0, 1e-8],
    "beta2_decay": [-0.8, -0.5],
    "epsilon1": [None, 1e-6],
    "epsilon2": [1e-3, 0.1],
    "d": [1.0, 2.0],
    "ns_coefficients": [(3.4445, -4.7750, 2.0315), (2.0, -1.5, 0.5)],
    "ns_steps": [0, 1, 5],
    "adjust_lr_fn": [None, "match_rms_adamw"],
    "shape": [None, MATRIX],  # made a shape of the case's size by conftest.shaped
}


def draw_options(draw, method):
    """A subset of the method's options, each drawn from its choices."""
    options = {}
    for name, default in DEFAULTS[method].items():
        if draw(st.booleans()):
            choices = [False, True] if isinstance(default, bool) else CHOICES[name]
            options[name] = draw(st.sampled_from(choices))
    return options


@st.composite
def cases(draw):
    method = draw(st.sampled_from(sorted(CLASSES)))
    options = draw_options(draw, method)
    clip = draw(st.sampled_from([{}, {"clipnorm": 0.5}, {"clipvalue": 0.3}]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n = draw(st.integers(1, 70))
    steps = draw(st.integers(1, 6))
    bad = draw(st.sampled_from([None, np.nan, np.inf, -np.inf]))
    bad_step = draw(st.integers(0, steps - 1))
    seed = draw(st.integers(0, 2**32 - 1))
    rate = draw(st.sampled_from([1e-3, 0.1]))
    n = fit_size(method, options, n)
    options = shaped(method, options, n)
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
        if method == "muon":  # an orthogonalised update: its small elements cancel
            tolerance["atol"] = tolerance["rtol"] * float(np.max(np.abs(twin.x)))
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
    shape = {"shape": options["shape"]} if "shape" in options else {}  # Muon needs one
    restored = CLASSES[method](x.copy(), learning_rate=1.0, **shape)
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
    "averaging": st.sampled_from([None, "ema", "uniform"]),
    "averaging_start": st.integers(0, 30),
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
    options = shaped(method, options, n)  # Muon's matrix
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
    if options.get("averaging") is not None:
        assert res.x_average.dtype == dtype and np.all(np.isfinite(res.x_average))
        if bounded:  # an average of points in the box is in the box
            assert np.all(np.abs(res.x_average) <= 1.0)
        assert res.state["n_averaged"] == max(0, res.nit - options.get("averaging_start", 0))


# Minibatch runs: generated data sizes, batch sizes, epochs, shuffling, seeds, options and a
# non-finite minibatch gradient; the iterates are the twin's on the same batches.
@st.composite
def minibatch_runs(draw):
    method = draw(st.sampled_from(sorted(CLASSES)))
    options = draw_options(draw, method)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_samples = draw(st.integers(1, 30))
    batch_size = draw(st.integers(1, 35))
    epochs = draw(st.integers(1, 4))
    shuffle = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    poison = draw(st.sampled_from([None, np.nan, np.inf]))
    poison_at = draw(st.integers(1, 20))
    if method == "adafactor":
        options.pop("shape", None)  # x has 3 elements: no matrix of Adafactor's
    options = shaped(method, options, 3)
    return method, options, dtype, n_samples, batch_size, epochs, shuffle, seed, poison, poison_at


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(minibatch_runs())
def test_a_minibatch_run_is_the_twins_on_the_same_batches(case):
    method, options, dtype, n_samples, batch_size, epochs, shuffle, seed, poison, poison_at = case
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n_samples, 3))
    targets = features @ np.array([1.0, -2.0, 0.5])
    calls = [0]

    def gradient(w, rows_x, rows_y):
        return rows_x.T @ (rows_x @ w - rows_y) / rows_y.shape[0]

    def jac(w, rows_x, rows_y):
        calls[0] += 1
        g = gradient(w, rows_x, rows_y)
        if poison is not None and calls[0] == poison_at:
            g[-1] = poison
        return g

    def fun(w, rows_x, rows_y):
        return 0.5 * float(np.mean((rows_x @ w - rows_y) ** 2))

    run_options = {"batch_size": batch_size, "epochs": epochs, "shuffle": shuffle, "seed": seed,
                   "learning_rate": 1e-2, "return_all": True}  # fmt: skip
    x0 = np.full(3, 0.25, dtype=dtype)
    try:
        res = rmsopt.minimize(fun, x0, args=(features, targets), jac=jac, method=method,
                              options={**run_options, **options})  # fmt: skip
    except (TypeError, ValueError) as error:  # options valid alone but not together
        assert str(error).startswith("The '") and len(str(error)) < 400
        return
    twin = REFERENCES[method](x0.copy(), learning_rate=1e-2, **options)
    order_rng = np.random.default_rng(seed)
    expected = [twin.x.copy()]
    stopped = False
    for _ in range(epochs):
        order = order_rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        for start in range(0, n_samples, batch_size):
            if len(expected) == poison_at and poison is not None:
                stopped = True
                break
            rows = order[start : start + batch_size]
            grad = gradient(twin.x, features[rows], targets[rows]).astype(dtype)
            expected.append(twin.step(grad, 1e-2).copy())
        if stopped:
            break
    # The call after the last step is the whole data's gradient at the result (res.jac).
    stopped = stopped or (poison is not None and poison_at == len(expected))
    # A run stops at the poisoned gradient with the last good iterate; else it runs its epochs.
    assert res.status == (5 if stopped else 6), res.message
    assert_same_iterates(method, np.array(res.allvecs), np.array(expected))
    assert_same_iterates(method, res.x, expected[-1])
    assert res.x.dtype == dtype and np.all(np.isfinite(res.x))


# multistart and tune: each run is minimize's own, the best is the best, a failing run is
# recorded and the others go on.
@st.composite
def searches(draw):
    method = draw(st.sampled_from(sorted(CLASSES)))
    n_starts = draw(st.integers(1, 5))
    n = draw(st.integers(1, 4))
    failing = draw(st.sampled_from([None, "raise", "nan"]))
    failing_start = draw(st.integers(0, n_starts - 1))
    maxiter = draw(st.integers(0, 30))
    seed = draw(st.integers(0, 2**32 - 1))
    return method, n_starts, n, failing, failing_start, maxiter, seed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(searches())
def test_multistart_keeps_every_run_as_minimize_gives_it(case):
    method, n_starts, n, failing, failing_start, maxiter, seed = case
    rng = np.random.default_rng(seed)
    starts = rng.uniform(-2, 2, (n_starts, n))
    bad_start = starts[failing_start].copy()

    def fun(x):
        if failing is not None and np.array_equal(x, bad_start):
            if failing == "raise":
                raise ArithmeticError("a failing start")
            return float("nan"), np.full_like(x, np.nan)
        return float(np.sum((x - 0.5) ** 2)), 2 * (x - 0.5)

    options = shaped(method, {"maxiter": maxiter, "learning_rate": 0.05}, n)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = rmsopt.multistart(fun, starts, jac=True, method=method, options=options)
    all_failed = failing is not None and n_starts == 1
    assert [str(w.message).startswith("All 1 runs") for w in caught] == [all_failed] * all_failed
    assert len(res.results) == n_starts
    assert sorted(r.start for r in res.results) == list(range(n_starts))
    finite = [r for r in res.results if r.status not in (5, 9)]
    assert [r.fun for r in finite] == sorted(r.fun for r in finite)
    for r in res.results:
        if failing is not None and r.start == failing_start:
            assert r.status == (9 if failing == "raise" else 5)
            continue
        alone = rmsopt.minimize(fun, starts[r.start], jac=True, method=method, options=options)
        np.testing.assert_array_equal(r.x, alone.x)
        assert r.nit == alone.nit and r.status == alone.status
    if finite:
        assert res.fun == finite[0].fun
        np.testing.assert_array_equal(res.x, finite[0].x)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(CLASSES)),
    st.lists(st.sampled_from([1e-3, 1e-2, 0.1, 0.5, 1e6]), min_size=1, max_size=4, unique=True),
    st.integers(0, 25),
)
def test_tune_scores_every_trial_and_names_the_best(method, rates, maxiter):
    problem = rmsopt.problems.quadratic(4)
    space = {"learning_rate": rates}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = rmsopt.tune(problem.fun, problem.x0, space, jac=problem.jac, method=method,
                          options=shaped(method, {"maxiter": maxiter}, 4),
                          as_frame=False)  # fmt: skip
    assert [row["trial"] for row in res.table] == list(range(len(rates)))
    assert [row["learning_rate"] for row in res.table] == rates
    scores = np.array([row["score"] for row in res.table], dtype=float)
    assert len(caught) == (not np.any(np.isfinite(scores)))
    for trial, rate in enumerate(rates):
        options = shaped(method, {"maxiter": maxiter, "learning_rate": rate}, 4)
        with np.errstate(all="ignore"):  # as tune silences them
            alone = rmsopt.minimize(
                problem.fun, problem.x0, jac=problem.jac, method=method, options=options
            )
        if alone.status == 5:
            assert np.isnan(scores[trial])
        else:
            assert scores[trial] == alone.fun
    if caught:
        assert res.best_options is None
    else:
        best = int(np.nanargmin(scores))
        assert res.best_trial == best and res.best_score == scores[best]
        assert res.best_options["learning_rate"] == rates[best]
