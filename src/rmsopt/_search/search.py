"""What `multistart`, `tune` and `compare` share: their seeds, the options every trial
runs with, and running the trials on the workers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._checks.constraints import Flag, Seed
from .._checks.errors import argument, invalid
from .._front.arguments import as_options as _as_options
from .._front.arguments import check_arguments
from .._methods.method import Method
from .trials import TrialOutcome
from .workers import Completed, check_picklable, run_tasks, trial_bar

__all__ = ["SearchSeeds", "completed_outcomes", "known_options", "run_search", "trial_options"]


class SearchSeeds:
    """Independent random streams drawn from a search's ``seed``: one to
    sample starts or option values, one to shuffle cross-validation folds, and
    one integer that seeds every minibatch run's shuffling (the same for every
    trial, so trials differ only in what the search varies)."""

    def __init__(self, seed: Any) -> None:
        seed = Seed().check(seed, argument("seed"))
        if isinstance(seed, np.random.SeedSequence):
            # Spawning from the caller's sequence would change it, and the next search with it.
            seed = np.random.SeedSequence(
                seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size
            )
        sampling, folds, batches = np.random.default_rng(seed).spawn(3)
        self.sampling = sampling
        self.folds = folds
        self.batches = int(batches.integers(2**63))


def known_options(method: Method, options: Any) -> dict[str, Any]:
    """The names of ``options`` that ``method`` declares, after the values are
    checked and the unknown names warned of (once, as `minimize` would)."""
    options = _as_options(options)
    method.validate(options)
    known = {option.name for option in method.options}
    return {name: value for name, value in options.items() if name in known}


def trial_options(
    method: Method, options: dict[str, Any], check: tuple, batch_seed: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """The start and the options one trial of ``method`` runs with, checked as
    `minimize` checks them (``check`` holds the other arguments of
    `check_arguments`: fun, x0, args, jac, bounds, callback, tol), with
    ``batch_seed`` as the minibatch ``seed`` when none was given."""
    checked = check_arguments(method, *check, options)
    if checked.batches is not None and options.get("batches") is not None:
        batches = options["batches"]
        if iter(batches) is batches:
            accepted = (
                "a re-iterable collection of batches (a list, say) in a search: "
                "an iterator would be used up by the first trial"
            )
            raise invalid(TypeError, method.subject("batches"), accepted, repr(batches))
    if checked.settings["batch_size"] is not None:
        seed = options.get("seed")
        if isinstance(seed, (np.random.Generator, np.random.BitGenerator)):
            accepted = (
                "None, an int or a SeedSequence in a search (a Generator's draws would "
                "depend on which worker ran which trial)"
            )
            raise invalid(TypeError, method.subject("seed"), accepted, repr(seed))
        if seed is None:
            options = {**options, "seed": batch_seed}
    return checked.x, options


def run_search(
    trials: Callable[[Any], TrialOutcome],
    items: Sequence[Any],
    workers: Any,
    progress: Any,
    description: str,
    picklable: Mapping[str, Any],
) -> Completed:
    """Run ``trials`` (a `Trials`, or `run_trial`) on every item with
    ``workers`` (checked by `check_workers`), after checking that
    ``picklable`` (argument name to value) pickles when ``workers`` needs it."""
    progress = Flag().check(progress, argument("progress"))
    check_picklable(picklable, workers)
    bar = trial_bar(len(items), description) if progress else None
    try:
        completed = run_tasks(trials, items, workers, bar)
    finally:
        if bar is not None:
            bar.close()
    return completed


def completed_outcomes(completed: Completed) -> list[tuple[int, TrialOutcome]]:
    """``(trial index, outcome)`` of every completed trial, in trial order."""
    return [(index, out) for index, out in enumerate(completed.outputs) if out is not None]
