"""What a run holds and hands over: the user's gradients are kept without a copy only when
nothing else holds them, the copies of x the user's functions get stay theirs, and a run holds
no more arrays than its algorithm needs."""

import tracemalloc

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import make_kernel

N = 50


def quadratic(x):
    return 0.5 * float(x @ x) - float(x.sum())


def fresh_gradient(x):
    return x - 1.0


def run(jac, **options):
    return rmsopt.minimize(
        quadratic, np.zeros(N), jac=jac, options={"maxiter": 40, "gtol": 0.0, **options}
    )


@pytest.mark.parametrize("options", [{}, {"return_all": True}, {"history": ["grad_norm"]}])
def test_a_gradient_buffer_the_user_reuses_is_copied(options):
    expected = run(fresh_gradient, **options)
    buffer = np.empty(N)

    def reused_buffer(x):
        np.subtract(x, 1.0, out=buffer)
        return buffer

    got = run(reused_buffer, **options)
    np.testing.assert_array_equal(got.x, expected.x)
    np.testing.assert_array_equal(got.jac, expected.jac)
    assert got.jac is not buffer


def test_a_view_of_an_array_the_user_keeps_is_copied():
    expected = run(fresh_gradient)
    store = np.empty((2, N))

    def view(x):
        store[0] = x - 1.0
        return store[0]

    got = run(view)
    np.testing.assert_array_equal(got.x, expected.x)
    np.testing.assert_array_equal(got.jac, expected.jac)


def test_the_points_the_user_keeps_stay_as_they_were_given():
    seen = []

    def keeping(x):
        seen.append(x)
        return x - 1.0

    res = rmsopt.minimize(
        quadratic, np.zeros(N), jac=keeping, options={"maxiter": 5, "gtol": 0.0, "return_all": True}
    )
    # Each kept point is its own array, equal to the iterate it was given at.
    assert len({id(point) for point in seen}) == len(seen)
    for point, iterate in zip(seen, res.allvecs, strict=True):
        np.testing.assert_array_equal(point, iterate)


def test_a_gradient_that_is_the_given_point_works():
    # jac returns the copy of x it was given (the gradient of 0.5 * |x|**2).
    res = rmsopt.minimize(
        lambda x: 0.5 * float(x @ x),
        np.ones(N),
        jac=lambda x: x,
        options={"maxiter": 30, "gtol": 0.0, "learning_rate": 0.01},
    )
    expected = rmsopt.minimize(
        lambda x: 0.5 * float(x @ x),
        np.ones(N),
        jac=lambda x: x.copy(),
        options={"maxiter": 30, "gtol": 0.0, "learning_rate": 0.01},
    )
    np.testing.assert_array_equal(res.x, expected.x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_gradient_of_another_dtype_is_cast_as_before(dtype):
    other = np.float64 if dtype == np.float32 else np.float32
    got = rmsopt.minimize(
        quadratic,
        np.zeros(N, dtype=dtype),
        jac=lambda x: (x - 1.0).astype(other),
        options={"maxiter": 20, "gtol": 0.0},
    )
    expected = rmsopt.minimize(
        quadratic,
        np.zeros(N, dtype=dtype),
        jac=lambda x: (x - 1.0).astype(other).astype(dtype),
        options={"maxiter": 20, "gtol": 0.0},
    )
    assert got.x.dtype == dtype
    np.testing.assert_array_equal(got.x, expected.x)


def peak_arrays(call, n, itemsize):
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / (n * itemsize)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("rmsprop", {}),
        ("rmsprop", {"centered": True}),
        ("rmsprop", {"centered": True, "momentum": 0.9}),
        ("adam", {}),
        ("adam", {"amsgrad": True}),
        ("adagrad", {}),
        ("adadelta", {}),
        ("sgd", {"momentum": 0.9}),
    ],
)
def test_a_run_holds_its_buffers_and_the_rows_its_options_use(name, options):
    # Two iterates, two gradients, two blocks of the leading state rows the options use, and
    # the copy of x the user's functions get: 5 + 2k arrays of n at the peak, whatever the
    # number of iterations.
    n = 200_000
    method = METHODS[name]
    settings = method.validate(options, method.step_options)
    rows = max(make_kernel(method, settings).rows_written.bit_length(), 1)
    x0 = np.ones(n)

    def minimize(iterations):
        return lambda: rmsopt.minimize(
            lambda x: 0.0,
            x0,
            jac=lambda x: x,  # allocates nothing: the run's copy of x comes back
            method=name,
            options={"maxiter": iterations, "gtol": 0.0, **options},
        )

    peaks = [peak_arrays(minimize(iterations), n, 8) for iterations in (3, 30)]
    assert abs(peaks[0] - peaks[1]) < 0.01  # nothing of length n allocated per iteration
    assert max(peaks) <= 5 + 2 * rows + 0.01


@pytest.mark.parametrize(
    ("name", "options"),
    [("rmsprop", {}), ("rmsprop", {"centered": True, "momentum": 0.9}), ("adam", {})],
)
def test_an_optimizer_object_holds_a_saved_x_and_two_state_blocks(name, options):
    # Beyond the user's x and gradient: the copy of x a step saves for its undo, and the
    # current and spare blocks of the leading state rows, at construction as at every step.
    n = 200_000
    method = METHODS[name]
    settings = method.validate(options, method.step_options)
    rows = max(make_kernel(method, settings).rows_written.bit_length(), 1)
    x, grad = np.ones(n), np.full(n, 0.5)

    def construct_and_step(steps):
        def call():
            optimizer = getattr(rmsopt, method.class_name)(x, **options)
            for _ in range(steps):
                optimizer.step(grad)

        return call

    peaks = [peak_arrays(construct_and_step(steps), n, 8) for steps in (0, 5)]
    assert abs(peaks[0] - peaks[1]) < 0.01
    assert max(peaks) <= 1 + 2 * rows + 0.01


@pytest.mark.parametrize(
    ("name", "options", "scratch"),
    [
        # Adafactor keeps u (n) between its norm and the step; a matrix adds its column sums.
        ("adafactor", {}, 1.0),
        ("adafactor", {"shape": (400, 500)}, 1.0 + 500 / 200_000),
        # Muon: X and the next X (2n), A and b A + c A A (two 400 x 400).
        ("muon", {"shape": (400, 500)}, 2.0 + 2 * 400**2 / 200_000),
    ],
)
def test_a_whole_array_method_adds_only_its_scratch(name, options, scratch):
    # 5 + 2k arrays as every method, plus the scratch its step needs, allocated once before
    # the run (the raw allocator, which tracemalloc sees); the room for a clipped gradient
    # only when clipping.
    n = 200_000
    x0 = np.ones(n)

    def minimize(iterations, **clipping):
        return lambda: rmsopt.minimize(
            lambda x: 0.0,
            x0,
            jac=lambda x: x,
            method=name,
            options={"maxiter": iterations, "gtol": 0.0, **options, **clipping},
        )

    peaks = [peak_arrays(minimize(iterations), n, 8) for iterations in (3, 30)]
    assert abs(peaks[0] - peaks[1]) < 0.01
    assert 5 + 2 + scratch - 0.01 <= max(peaks) <= 5 + 2 + scratch + 0.01
    clipped = peak_arrays(minimize(3, clipvalue=1.0), n, 8)
    assert clipped == pytest.approx(max(peaks) + 1.0, abs=0.01)
