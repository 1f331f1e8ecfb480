"""Print how long one search of 64 trials takes on each engine `workers` accepts.

Usage::

    python benchmarks/parallel.py [--repeat N]

Two workloads, each one `rmsopt.tune` grid of 64 trials (8 learning rates by
8 decays), so that every engine runs the same trials and returns the same table
(checked before the timings are printed):

* ``python``: 2-D Rosenbrock with SciPy's ``rosen``/``rosen_der``, 2000
  iterations per trial. The objective is Python code that holds the GIL.
* ``numpy``: a separable quadratic in n = 200,000 variables, 30 iterations per
  trial. The objective's NumPy ufuncs and rmsopt's kernel release the GIL.

Engines: ``workers=1`` (serial), ``workers=2`` (a pool of two processes,
started by each call, as a user's call starts it), a thread pool of two, and a
Dask ``LocalCluster`` of two worker processes (started before its timed runs, and
stopped before the next engine's)
when ``distributed`` is installed. Each figure is the minimum over ``--repeat``
runs of wall time; ``speed-up`` is serial time / engine time.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import importlib.util
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import scipy

import rmsopt

if __package__:
    from .benchmarks import LARGE_N, numpy_search, python_search
    from .compare import cpu_name, print_table
else:  # run as a script: this folder is sys.path[0]
    from compare import cpu_name, print_table

    from benchmarks import LARGE_N, numpy_search, python_search


def best_time(search: Callable, workers, repeat: int) -> tuple[float, list]:
    """The minimum wall time over ``repeat`` runs, and the last run's table."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        table = search(workers).table
        times.append(time.perf_counter() - start)
    return min(times), table


def scores(table: list) -> list:
    return [(row["trial"], row["score"], row["status"]) for row in table]


@contextlib.contextmanager
def serial():
    yield 1


@contextlib.contextmanager
def process_pool():
    yield 2


@contextlib.contextmanager
def thread_pool():
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        yield pool


@contextlib.contextmanager
def dask_cluster():
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # pure=False: without it, Dask may hand back a previous repeat's results, still in the
        # cluster's memory, instead of running the trials again.
        yield client.get_executor(pure=False)


def engines() -> dict:
    """Each engine's label and a context that starts it (and stops it after its runs, so that
    the Dask scheduler's thread in this process does not slow the other engines' timings)."""
    found = {
        "workers=1 (serial)": serial,
        "workers=2 (processes)": process_pool,
        "thread pool of 2": thread_pool,
    }
    if importlib.util.find_spec("distributed") is not None:
        found["Dask LocalCluster, 2 processes"] = dask_cluster
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args(argv)
    print(f"processor  {cpu_name()} ({platform.machine()}), os.cpu_count() = {os.cpu_count()}")
    print(f"platform   {platform.platform()}, Python {platform.python_version()}")
    print(
        f"versions   rmsopt {rmsopt.__version__}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    print(f"timing     minimum wall time of {args.repeat} runs of a 64-trial rmsopt.tune grid")
    print()
    for label, search in (
        ("python: 2-D Rosenbrock, rosen_der, 2000 iterations per trial", python_search),
        (f"numpy: quadratic, n = {LARGE_N:,}, 30 iterations per trial", numpy_search),
    ):
        rows, serial_seconds, reference = [], None, None
        for engine, start in engines().items():
            with start() as workers:
                seconds, table = best_time(search, workers, args.repeat)
            if reference is None:
                serial_seconds, reference = seconds, scores(table)
            elif scores(table) != reference:
                raise AssertionError(f"{engine} gave a different table from the serial run")
            rows.append([engine, f"{seconds:.2f}", f"{serial_seconds / seconds:.2f}x"])
        print(label)
        print_table(["engine", "seconds", "speed-up"], rows)
        print()


if __name__ == "__main__":
    main()
