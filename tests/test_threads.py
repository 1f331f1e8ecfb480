"""RMSprop's `threads` option and the worker pool behind it: large steps split across threads
give the iterates of one thread, bit for bit, whether the pool's workers run the chunks or the
caller does; a process forked after a threaded step still runs threaded steps."""

import concurrent.futures
import os
import warnings

import numpy as np
import pytest

import rmsopt
from rmsopt import _thread_pool
from rmsopt._rmsprop_kernel import RMSpropKernel

# Above the size from which the kernel splits a step (16,384), and odd, so that chunks differ.
N = 30_001
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
    # OpenMP's persistent pool hangs a child forked after the parent used it; rmsopt's pool
    # starts afresh in the child, so this finishes.
    x0 = np.ones(N)
    options = {"threads": 2, "maxiter": 3}
    rmsopt.minimize(half_square, x0, jac=identity, options=options)
    res = rmsopt.tune(half_square, x0, {"learning_rate": [1e-3, 1e-2]}, jac=identity,
                      options=options, workers=2, as_frame=False)  # fmt: skip
    assert [row["status"] for row in res.table] == [3, 3]


def threaded_run(threads, n=N, steps=3, dtype=np.float64):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    state = np.zeros((3, n), dtype)
    step = kernel(threads, centered=True, momentum=0.9)
    for t in range(1, steps + 1):
        step.step(x, rng.standard_normal(n).astype(dtype), state, t, 1e-3)
    return x, state


def test_the_pool_starts_workers_once_and_keeps_them():
    threaded_run(3)
    assert _thread_pool.workers() >= 2
    started = _thread_pool.workers()
    threaded_run(2)
    threaded_run(3)
    assert _thread_pool.workers() == started


@pytest.mark.parametrize("n", [16_383, 16_384, 16_400, 100_003])
def test_chunk_boundaries_around_the_threshold_lose_and_repeat_no_element(n):
    for threads in (2, 5, 64):
        for got, expected in zip(threaded_run(threads, n), threaded_run(1, n)):
            np.testing.assert_array_equal(got, expected)


def test_steps_from_several_python_threads_at_once_are_exact():
    # One caller at a time has the pool; the others run their chunks themselves. Either way
    # every step is the one-thread step. minimize releases the GIL around large steps, so
    # these runs overlap.
    x0 = np.linspace(-1.0, 1.0, N)
    options = {"maxiter": 40, "momentum": 0.5, "centered": True}
    expected = rmsopt.minimize(half_square, x0, jac=identity, options=options).x
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = [
            pool.submit(rmsopt.minimize, half_square, x0, jac=identity,
                        options={**options, "threads": threads})  # fmt: skip
            for threads in (2, 3, 2, 4, 2, 3, 2, 4)
        ]
        for run in runs:
            np.testing.assert_array_equal(run.result().x, expected)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_starts_its_own_workers():
    threaded_run(3)
    assert _thread_pool.workers() >= 2
    expected = threaded_run(1)
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads may deadlock: the pool's
        # fork handler is what makes it safe.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report the workers it inherited and started, and the result
        try:
            inherited = _thread_pool.workers()
            got = threaded_run(3)
            same = all(np.array_equal(a, b) for a, b in zip(got, expected))
            os.write(write, f"{inherited} {_thread_pool.workers()} {same}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    assert report == "0 2 True"


@pytest.mark.parametrize("threads", [0, 65, 1.5])
def test_the_thread_count_is_checked(threads):
    with pytest.raises((TypeError, ValueError)) as caught:
        rmsopt.minimize(half_square, np.ones(3), jac=identity, options={"threads": threads})
    assert str(caught.value).startswith(
        "The 'threads' option of method 'rmsprop' must be an integer in the range [1, 64]."
    )
