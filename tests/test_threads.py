"""RMSprop's `threads` option: large steps split across threads give the iterates of one
thread, bit for bit, and a process forked after a threaded step still runs threaded steps."""

import numpy as np
import pytest

import rmsopt
from rmsopt._rmsprop_kernel import RMSpropKernel

# Above the size from which the kernel starts threads (262,144), and odd, so that chunks differ.
N = 300_001
CONFIGURATIONS = [
    {"centered": False, "momentum": 0.0},
    {"centered": True, "momentum": 0.0},
    {"centered": False, "momentum": 0.9},
    {"centered": True, "momentum": 0.9},
]


def kernel(threads, **options):
    settings = {
        "rho": 0.9,
        "epsilon": 1e-8,
        "momentum": 0.0,
        "weight_decay": 0.0,
        "centered": False,
        "maximize": False,
        "epsilon_in_sqrt": False,
        "bias_correction": False,
        **options,
    }
    return RMSpropKernel(threads=threads, **settings)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", CONFIGURATIONS, ids=range(len(CONFIGURATIONS)))
@pytest.mark.parametrize("threads", [2, 3])
def test_threaded_steps_equal_one_thread_in_place_and_out_of_place(dtype, options, threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(N).astype(dtype)
    grads = [rng.standard_normal(N).astype(dtype) for _ in range(3)]
    one, many = kernel(1, **options), kernel(threads, **options)
    x_one, x_many = x.copy(), x.copy()
    state_one, state_many = np.zeros((3, N), dtype), np.zeros((3, N), dtype)
    for step, grad in enumerate(grads, start=1):
        one.step(x_one, grad, state_one, step, 1e-3)
        many.step(x_many, grad, state_many, step, 1e-3)
    np.testing.assert_array_equal(x_many, x_one)
    np.testing.assert_array_equal(state_many, state_one)
    x_out, state_out = np.empty_like(x), np.empty_like(state_one)
    many.step(x, grads[0], np.zeros((3, N), dtype), 1, 1e-3, x_out, state_out)
    one.step(x, grads[0], np.zeros((3, N), dtype), 1, 1e-3)
    np.testing.assert_array_equal(x_out, x)


def half_square(x):
    return 0.5 * float(np.sum(x * x))


def identity(x):
    return x


def test_minimize_with_threads_gives_the_same_run():
    x0 = np.linspace(-1.0, 1.0, N)
    one = rmsopt.minimize(half_square, x0, jac=identity, options={"maxiter": 5, "momentum": 0.5})
    many = rmsopt.minimize(
        half_square, x0, jac=identity, options={"maxiter": 5, "momentum": 0.5, "threads": 2}
    )
    np.testing.assert_array_equal(many.x, one.x)
    # Options the threaded loops do not cover run on one thread, with the same result.
    one = rmsopt.minimize(
        half_square, x0, jac=identity, options={"maxiter": 5, "weight_decay": 0.1}
    )
    many = rmsopt.minimize(
        half_square, x0, jac=identity, options={"maxiter": 5, "weight_decay": 0.1, "threads": 2}
    )
    np.testing.assert_array_equal(many.x, one.x)


def test_a_forked_process_pool_runs_threaded_steps_after_the_parent_did():
    # A persistent thread pool (OpenMP's) hangs a child forked after the parent used it; the
    # kernel starts its threads per step, so this finishes.
    x0 = np.ones(N)
    options = {"threads": 2, "maxiter": 3}
    rmsopt.minimize(half_square, x0, jac=identity, options=options)
    res = rmsopt.tune(half_square, x0, {"learning_rate": [1e-3, 1e-2]}, jac=identity,
                      options=options, workers=2, as_frame=False)  # fmt: skip
    assert [row["status"] for row in res.table] == [3, 3]


@pytest.mark.parametrize("threads", [0, 65, 1.5])
def test_the_thread_count_is_checked(threads):
    with pytest.raises((TypeError, ValueError)) as caught:
        rmsopt.minimize(half_square, np.ones(3), jac=identity, options={"threads": threads})
    assert str(caught.value).startswith(
        "The 'threads' option of method 'rmsprop' must be an integer in the range [1, 64]."
    )
