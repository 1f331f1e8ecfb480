"""The `threads` option and the worker pool behind it: every method's large steps split across
threads give the iterates of one thread, bit for bit, whether the pool's workers run the chunks
or the caller does; a process forked after a threaded step still runs threaded steps."""

import concurrent.futures
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import rmsopt
from rmsopt._core import thread_pool as _thread_pool
from rmsopt._methods.registry import METHODS

from conftest import option_grid, option_id
from test_method_kernels import gradient_stream, kernel_and_state

# Above the size from which the kernel splits a step (16,384), and odd, so that chunks differ.
N = 30_001

CASES = [
    pytest.param(name, options, id=f"{name}-{option_id(options) or 'defaults'}")
    for name in METHODS
    for options in option_grid(name)
]


@pytest.fixture(autouse=True)
def many_cpus():
    # Split steps as on a 64-CPU machine, so that every test here splits its steps (and chunk
    # counts above this machine's cores run) even on a machine with one usable CPU.
    previous = _thread_pool.set_cpus(64)
    yield
    _thread_pool.set_cpus(previous)


def run_steps(name, options, threads, n=N, dtype=np.float64, in_place=True, steps=3):
    rng = np.random.default_rng(n)
    kernel, state = kernel_and_state(name, {**options, "threads": threads}, n, dtype)
    x = rng.standard_normal(n).astype(dtype)
    for step, grad in enumerate(gradient_stream(rng, n, dtype, count=steps), start=1):
        if in_place:
            kernel.step(x, grad, state, step, 1e-2)
        else:
            x_out, state_out = np.empty_like(x), state.copy()
            kernel.step(x, grad, state, step, 1e-2, x_out, state_out)
            x, state = x_out, state_out
    return x, state


def assert_same(got, expected):
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, options", CASES)
@pytest.mark.parametrize("in_place", [True, False], ids=["in_place", "out_of_place"])
def test_threaded_steps_equal_one_thread(name, options, in_place, dtype):
    expected = run_steps(name, options, 1, dtype=dtype, in_place=in_place)
    assert_same(run_steps(name, options, 2, dtype=dtype, in_place=in_place), expected)
    assert _thread_pool.workers() >= 1  # the steps were split


@pytest.mark.parametrize("n", [16_383, 16_384, 16_400, 100_003])
def test_chunk_boundaries_lose_and_repeat_no_element(n):
    options = {"centered": True, "momentum": 0.9}
    expected = run_steps("rmsprop", options, 1, n)
    for threads in (2, 3, 5, 64):
        assert_same(run_steps("rmsprop", options, threads, n), expected)


@pytest.mark.parametrize("cpus", [None, 5])
def test_steps_split_into_at_most_one_chunk_per_cpu(cpus):
    # In a fresh process: threads=64 starts one worker fewer than the CPUs (the caller runs a
    # chunk too), as many as this machine has unless the test says otherwise.
    code = (
        "import numpy as np, rmsopt\n"
        "from rmsopt._core import thread_pool as pool\n"
        f"if {cpus} is not None: pool.set_cpus({cpus})\n"
        "rmsopt.minimize(lambda x: 0.0, np.ones(20000), jac=lambda x: x,\n"
        "                options={'threads': 64, 'maxiter': 2})\n"
        "print(pool.cpus(), pool.workers())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    usable, workers = map(int, out.stdout.split())
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable == (cpus or affinity)
    assert workers == min(usable, 64) - 1


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
    # Also with an option outside the vectorised loops (the general loop, split the same way).
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


def test_the_pool_starts_workers_once_and_keeps_them():
    run_steps("rmsprop", {}, 3)
    assert _thread_pool.workers() >= 2
    started = _thread_pool.workers()
    run_steps("adam", {}, 2)
    run_steps("rmsprop", {}, 3)
    assert _thread_pool.workers() == started


def test_steps_from_several_python_threads_at_once_are_exact():
    # One caller at a time has the pool; the others run their chunks themselves. Either way
    # every step is the one-thread step. minimize releases the GIL around large steps, so
    # these runs overlap.
    x0 = np.linspace(-1.0, 1.0, N)
    options = {"maxiter": 40, "momentum": 0.5, "centered": True}
    expected = rmsopt.minimize(half_square, x0, jac=identity, options=options).x
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        runs = [
            pool.submit(
                rmsopt.minimize,
                half_square,
                x0,
                jac=identity,
                options={**options, "threads": threads},
            )  # fmt: skip
            for threads in (2, 3, 2, 4, 2, 3, 2, 4)
        ]
        for run in runs:
            np.testing.assert_array_equal(run.result().x, expected)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_starts_its_own_workers():
    run_steps("rmsprop", {}, 3)
    assert _thread_pool.workers() >= 2
    expected = run_steps("rmsprop", {}, 1)
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads may deadlock: the pool's
        # fork handler is what makes it safe.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report the workers it inherited and started, and the result
        try:
            inherited = _thread_pool.workers()
            _thread_pool.set_cpus(64)  # the fork forgot it
            got = run_steps("rmsprop", {}, 3)
            same = all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
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
