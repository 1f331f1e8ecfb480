"""Run independent tasks serially, on a process or thread pool, or on any
engine with a map or an `concurrent.futures.Executor` (a Dask cluster's
``client.get_executor()``, say), following SciPy's ``workers`` convention.

Tasks never raise for the user's errors (the task records them), so an
exception coming out of the engine is the engine's: a task that could not be
pickled, or a worker that died. Those propagate. ``KeyboardInterrupt`` stops
the collection and keeps every task that had completed.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing.pool
import numbers
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._checks.errors import argument, invalid, summary

__all__ = ["Completed", "check_picklable", "check_workers", "run_tasks", "trial_bar"]

ACCEPTED_WORKERS = (
    "1 (serial), a positive int (a process pool of that size), -1 (one process per CPU), "
    "a map-like callable such as a multiprocessing pool's map, or a concurrent.futures.Executor"
)


@dataclass
class Completed:
    """What `run_tasks` collected: ``outputs[i]`` is task ``i``'s output, or
    None when the run was interrupted before it completed."""

    outputs: list[Any]
    interrupted: bool


def check_workers(workers: Any) -> Any:
    """``workers`` as given when it is one of the accepted forms."""
    subject = argument("workers")
    if isinstance(workers, (bool, numbers.Integral)):
        if isinstance(workers, bool) or not (workers >= 1 or workers == -1):
            raise invalid(ValueError, subject, ACCEPTED_WORKERS, summary(workers))
        return int(workers)
    executor_class = isinstance(workers, type) and issubclass(workers, concurrent.futures.Executor)
    if isinstance(workers, concurrent.futures.Executor) or (
        callable(workers) and not executor_class
    ):
        return workers
    hint = ""
    if executor_class:
        hint = " (a class: pass an instance, e.g. ThreadPoolExecutor(2))"
    elif hasattr(workers, "get_executor"):
        hint = " (for a dask.distributed Client, pass client.get_executor())"
    elif hasattr(workers, "imap"):
        hint = " (for a multiprocessing Pool, pass pool.map or pool.imap)"
    raise invalid(TypeError, subject, ACCEPTED_WORKERS + hint, summary(workers))


def pickles_trials(workers: Any) -> bool:
    """Whether ``workers`` sends tasks to other processes with `pickle` (our
    pool, a `ProcessPoolExecutor`, a `multiprocessing.Pool`'s map), so that
    what a task holds can be checked before anything runs."""
    if isinstance(workers, int):
        return workers != 1
    pool = getattr(workers, "__self__", None)
    return isinstance(workers, concurrent.futures.ProcessPoolExecutor) or (
        isinstance(pool, multiprocessing.pool.Pool)
        and not isinstance(pool, multiprocessing.pool.ThreadPool)
    )


def check_picklable(parts: Mapping[str, Any], workers: Any) -> None:
    """Raise a TypeError naming the first of ``parts`` (argument name to
    value) that `pickle` refuses, when ``workers`` pickles tasks."""
    if not pickles_trials(workers):
        return
    for name, value in parts.items():
        try:
            pickle.dumps(value)
        except Exception as error:  # noqa: BLE001 - pickle raises several types
            accepted = (
                f"picklable when workers={summary(workers)} runs the trials in other processes "
                "(functions defined at module level, not lambdas or nested functions; "
                f"or run the trials on a thread pool): pickle says {error}"
            )
            raise invalid(TypeError, argument(name), accepted, summary(value)) from None


def trial_bar(total: int, description: str) -> Any:
    """A tqdm bar over ``total`` tasks."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError(
            "progress=True needs tqdm: pip install tqdm (or rmsopt[progress])."
        ) from None
    return tqdm(total=total, desc=description, unit="trial")


def run_tasks(
    task: Callable[[Any], Any],
    items: Sequence[Any],
    workers: Any,
    bar: Any = None,
) -> Completed:
    """``task(item)`` for every item on ``workers`` (see `check_workers`),
    outputs in the order of ``items`` whatever order they complete in."""
    outputs: list[Any] = [None] * len(items)
    if workers == 1:
        return _run_serially(task, items, outputs, bar)
    try:
        if isinstance(workers, int):
            count = _cpu_count() if workers == -1 else workers
            # Each process receives the task (with the data every trial shares) once, at its
            # start, and then only the items.
            with concurrent.futures.ProcessPoolExecutor(
                max_workers=count, initializer=_install_task, initargs=(task,)
            ) as pool:
                return _run_on_executor(_installed_task, items, outputs, bar, pool, owned=True)
        if isinstance(workers, concurrent.futures.Executor):
            return _run_on_executor(task, items, outputs, bar, workers, owned=False)
        return _run_on_map(task, items, outputs, bar, workers)
    except Exception as error:
        if hasattr(error, "add_note"):
            error.add_note(
                f"rmsopt: this came from the engine given as workers={workers!r}, not from a "
                "trial (trials record their own errors). Engines that run tasks in other "
                "processes must be able to serialise fun, jac, args and every option."
            )
        raise


_task: Any = None


def _install_task(task: Any) -> None:
    global _task
    _task = task


def _installed_task(item: Any) -> Any:
    return _task(item)


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _run_serially(task: Any, items: Sequence[Any], outputs: list, bar: Any) -> Completed:
    try:
        for index, item in enumerate(items):
            outputs[index] = task(item)
            _advance(bar)
    except KeyboardInterrupt:
        return Completed(outputs, True)
    return Completed(outputs, False)


def _run_on_map(
    task: Any, items: Sequence[Any], outputs: list, bar: Any, workers: Any
) -> Completed:
    try:
        for index, output in enumerate(workers(task, items)):
            outputs[index] = output
            _advance(bar)
    except KeyboardInterrupt:
        return Completed(outputs, True)
    return Completed(outputs, False)


def _run_on_executor(
    task: Any,
    items: Sequence[Any],
    outputs: list,
    bar: Any,
    executor: concurrent.futures.Executor,
    owned: bool,
) -> Completed:
    futures: dict[concurrent.futures.Future, int] = {}
    try:
        for index, item in enumerate(items):
            futures[executor.submit(task, item)] = index
        for future in concurrent.futures.as_completed(futures):
            outputs[futures[future]] = future.result()
            _advance(bar)
    except KeyboardInterrupt:
        for future, index in futures.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                outputs[index] = future.result()
            else:
                future.cancel()
        if owned:
            executor.shutdown(wait=False, cancel_futures=True)
        return Completed(outputs, True)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return Completed(outputs, False)


def _advance(bar: Any) -> None:
    if bar is not None:
        bar.update(1)
