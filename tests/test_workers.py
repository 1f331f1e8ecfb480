"""Where searches run: serially, on process and thread pools, through map-like callables and
on a real Dask cluster, with the same table whichever runs them; and what happens when a
worker cannot have a task or the user interrupts."""

import concurrent.futures
import multiprocessing
import multiprocessing.pool

import numpy as np
import pytest
from scipy.optimize import OptimizeResult

import rmsopt
from rmsopt import problems

CAMEL = problems.six_hump_camel()
ROSENBROCK = problems.rosenbrock()
REGRESSION = problems.linear_regression(n_samples=48, n_features=3)


def quadratic_that_raises_far_out(x):
    """Module level, so that process pools can pickle it."""
    if np.any(np.abs(x) > 4.0):
        raise ArithmeticError("left the trust region")
    return float(np.sum(x**2)), 2.0 * x


def multistart_search(workers):
    return rmsopt.multistart(
        CAMEL.fun, "lhs", jac=CAMEL.jac, bounds=CAMEL.bounds, n_starts=8, seed=3,
        options={"learning_rate": 0.01, "maxiter": 300}, workers=workers,
    )  # fmt: skip


def grid_search(workers):
    return rmsopt.tune(
        ROSENBROCK.fun, ROSENBROCK.x0,
        {"learning_rate": [1e-3, 1e-2], "rho": [0.9, 0.99], "momentum": [0.0, 0.5]},
        jac=ROSENBROCK.jac, options={"maxiter": 300}, workers=workers, as_frame=False,
    )  # fmt: skip


def cross_validated_random_search(workers):
    return rmsopt.tune(
        REGRESSION.fun, REGRESSION.x0,
        [{"method": ["rmsprop"], "rho": [0.5, 0.9, 0.99]}, {"method": ["adam"], "beta1": [0.8]}],
        args=REGRESSION.args, jac=REGRESSION.jac, search="random", n_trials=4, cv=3, seed=11,
        options={"learning_rate": 0.02, "batch_size": 8, "epochs": 2},
        workers=workers, as_frame=False,
    )  # fmt: skip


def search_with_failures(workers):
    return rmsopt.tune(
        quadratic_that_raises_far_out, np.ones(2), {"learning_rate": [1e-2, 10.0, 0.1]},
        jac=True, options={"maxiter": 30, "rho": 0.0}, workers=workers, as_frame=False,
    )  # fmt: skip


def comparison(workers):
    table, results = rmsopt.compare(
        ["rosenbrock", "himmelblau", problems.sparse_feature_regression()], ["rmsprop", "adam"],
        maxiter=300, workers=workers, as_frame=False, return_results=True,
    )  # fmt: skip
    return OptimizeResult(table=table, results=list(results.values()))


SEARCHES = [
    multistart_search,
    grid_search,
    cross_validated_random_search,
    search_with_failures,
    comparison,
]


def comparable(row):
    """A table row without its timing, NaN spelt so that it equals itself."""
    return {
        name: "nan" if isinstance(value, float) and np.isnan(value) else value
        for name, value in row.items()
        if name != "time"
    }


def assert_same_search(res, reference):
    """The same table (timings aside) and bit-for-bit the same iterates."""
    if "table" in reference:
        assert [comparable(row) for row in res.table] == [
            comparable(row) for row in reference.table
        ]
        pairs = zip(res.results, reference.results, strict=True)
        pairs = [
            (a, b)
            for ra, rb in pairs
            for a, b in zip(np.atleast_1d(ra), np.atleast_1d(rb), strict=True)
        ]
        assert res.get("best_options") == reference.get("best_options")
    else:
        np.testing.assert_array_equal(res.starts, reference.starts)
        pairs = list(zip(res.results, reference.results, strict=True))
        assert [r.start for r in res.results] == [r.start for r in reference.results]
    for result, expected in pairs:
        np.testing.assert_array_equal(result.x, expected.x)
        assert (result.status, result.nit) == (expected.status, expected.nit)
        assert result.get("error") == expected.get("error")


@pytest.fixture(scope="module")
def serial():
    return {search: search(1) for search in SEARCHES}


@pytest.mark.parametrize("search", SEARCHES)
def test_a_process_pool_of_two(search, serial):
    assert_same_search(search(2), serial[search])


@pytest.mark.parametrize("search", SEARCHES)
def test_a_thread_pool(search, serial):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert_same_search(search(pool), serial[search])
        # The user's executor is left open for more work.
        assert pool.submit(sum, [1, 2]).result() == 3


@pytest.mark.parametrize("search", SEARCHES)
def test_map_like_callables(search, serial):
    assert_same_search(search(map), serial[search])
    with multiprocessing.Pool(2) as pool:
        assert_same_search(search(pool.map), serial[search])


def test_a_process_pool_executor_of_your_own_and_one_per_cpu(serial):
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        assert_same_search(grid_search(pool), serial[grid_search])
    assert_same_search(grid_search(-1), serial[grid_search])


@pytest.fixture(scope="module")
def dask_executor():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        yield client.get_executor()


@pytest.mark.parametrize("search", SEARCHES)
def test_a_dask_cluster_of_two_worker_processes(search, serial, dask_executor):
    assert_same_search(search(dask_executor), serial[search])


BAD_WORKERS = [
    (0, ValueError, "Got 0 instead."),
    (-2, ValueError, "Got -2 instead."),
    (True, ValueError, "Got True instead."),
    (1.5, TypeError, "Got 1.5 instead."),
    ("processes", TypeError, "Got 'processes' instead."),
]


@pytest.mark.parametrize(("workers", "error", "message"), BAD_WORKERS)
def test_bad_workers_are_refused(workers, error, message):
    with pytest.raises(error) as caught:
        grid_search(workers)
    assert str(caught.value).startswith(
        "The 'workers' argument must be 1 (serial), a positive int (a process pool of that size)"
    )
    assert message in str(caught.value)


def test_engines_that_are_not_map_like_get_a_hint():
    class FakeClient:
        def get_executor(self):
            return None

    with pytest.raises(TypeError, match=r"for a dask.distributed Client, pass client.get_exec"):
        grid_search(FakeClient())
    with multiprocessing.Pool(1) as pool, pytest.raises(TypeError, match="pass pool.map"):
        grid_search(pool)


def test_what_a_process_pool_cannot_pickle_is_named_before_anything_runs():
    def run(**kwargs):
        arguments = {"fun": CAMEL.fun, "jac": CAMEL.jac, **kwargs}
        fun = arguments.pop("fun")
        return rmsopt.multistart(fun, np.ones((2, 2)), options={"maxiter": 2}, **arguments)

    with pytest.raises(TypeError) as caught:
        run(fun=lambda x: float(np.sum(x**2)), workers=2)
    message = str(caught.value)
    assert message.startswith(
        "The 'fun' argument must be picklable when workers=2 runs the trials in other processes"
    )
    assert "<lambda>" in message
    with pytest.raises(TypeError, match="The 'jac' argument must be picklable"):
        run(jac=lambda x: 2 * x, workers=2)
    with pytest.raises(TypeError, match="The 'callback' argument must be picklable"):
        run(callback=lambda x: None, workers=2)
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        with pytest.raises(TypeError, match="The 'fun' argument must be picklable"):
            run(fun=lambda x: float(np.sum(x**2)), workers=pool)
    # Threads share the objective: nothing needs pickling.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        res = run(fun=lambda x: float(np.sum(x**2)), jac=lambda x: 2 * x, workers=pool)
    assert len(res.results) == 2


def test_a_space_value_that_cannot_be_pickled_is_named():
    with pytest.raises(TypeError, match="The 'space' argument must be picklable"):
        rmsopt.tune(
            CAMEL.fun, CAMEL.x0, {"learning_rate": [lambda t: 0.01]}, jac=CAMEL.jac, workers=2
        )


def test_an_engine_failure_propagates_with_a_note():
    def broken_map(function, items):
        raise RuntimeError("the cluster is gone")

    with pytest.raises(RuntimeError, match="the cluster is gone") as caught:
        grid_search(broken_map)
    assert any("not from a trial" in note for note in caught.value.__notes__)


def test_interrupting_a_map_keeps_what_it_yielded():
    def interrupted_map(function, items):
        for index, item in enumerate(items):
            if index == 3:
                raise KeyboardInterrupt
            yield function(item)

    res = grid_search(interrupted_map)
    assert res.interrupted is True
    assert [row["trial"] for row in res.table] == [0, 1, 2]


def interrupts_at_its_third_start(x):
    if x[0] == 3.0:
        raise KeyboardInterrupt
    return float(np.sum(x**2)), 2.0 * x


def test_interrupting_an_executor_keeps_the_completed_runs():
    starts = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0], [5.0, 5.0]])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        res = rmsopt.multistart(
            interrupts_at_its_third_start, starts, jac=True, options={"maxiter": 5}, workers=pool
        )
    assert res.interrupted is True
    completed = sorted(result.start for result in res.results)
    assert 2 not in completed and {0, 1} <= set(completed)
    serial = rmsopt.multistart(
        interrupts_at_its_third_start, starts[:2], jac=True, options={"maxiter": 5}
    )
    for result in res.results:
        if result.start < 2:
            expected = next(r for r in serial.results if r.start == result.start)
            np.testing.assert_array_equal(result.x, expected.x)


def test_an_executor_class_instead_of_an_instance_gets_a_hint():
    with pytest.raises(
        TypeError, match=r"\(a class: pass an instance, e.g. ThreadPoolExecutor\(2\)\)"
    ):
        grid_search(concurrent.futures.ThreadPoolExecutor)


def test_a_multiprocessing_pool_map_is_checked_for_pickling_too():
    with (
        multiprocessing.Pool(1) as pool,
        pytest.raises(TypeError, match="The 'fun' argument must be picklable"),
    ):
        rmsopt.tune(lambda x: float(x @ x), np.ones(2), {"learning_rate": [0.1]},
                    jac=lambda x: 2 * x, workers=pool.map)  # fmt: skip
    # A thread pool's map shares the objective: nothing is pickled.
    with multiprocessing.pool.ThreadPool(1) as pool:
        res = rmsopt.tune(lambda x: float(x @ x), np.ones(2), {"learning_rate": [0.1]},
                          jac=lambda x: 2 * x, workers=pool.map, as_frame=False)  # fmt: skip
    assert res.table[0]["error"] is None


def unaligned_copy(array):
    """``array`` copied to an address one byte past an aligned one, as Dask may unpack it."""
    buffer = np.zeros(array.nbytes + 64, dtype=np.uint8)
    offset = (-buffer.ctypes.data) % 64 + 1
    unaligned = np.frombuffer(buffer[offset : offset + array.nbytes], dtype=array.dtype)
    unaligned = unaligned.reshape(array.shape)
    unaligned[...] = array
    assert not unaligned.flags.aligned
    return unaligned


def test_runs_on_unaligned_data_equal_runs_on_aligned_data():
    import scipy.sparse

    from rmsopt._search.trials import aligned

    problem = problems.sparse_feature_regression()
    X, y = problem.args
    moved = (unaligned_copy(X), unaligned_copy(y))
    copies = aligned(moved)
    assert all(array.flags.aligned for array in copies)
    np.testing.assert_array_equal(copies[0], X)
    kept = aligned(problem.args)
    assert kept[0] is X and kept[1] is y
    sparse = scipy.sparse.csr_matrix(X)
    sparse.data = unaligned_copy(sparse.data)
    assert aligned((sparse,))[0].data.flags.aligned

    def run(args):
        return rmsopt.tune(
            problem.fun, problem.x0, {"learning_rate": [0.01]}, args=args, jac=problem.jac,
            options={"maxiter": 300}, as_frame=False,
        ).results[0].x  # fmt: skip

    np.testing.assert_array_equal(run(moved), run(problem.args))
