"""What a long run shows while it runs: SciPy-style iteration lines
(``disp=True``) and a tqdm progress bar (``progress=True``).

Both ride on the driver's per-iteration notification, so they cost nothing
when off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["EpochLines", "IterationLines", "ProgressBar", "chain", "printed_iteration"]

Notify = Callable[[np.ndarray, "float | None", np.ndarray, int], None]


def printed_iteration(nit: int) -> bool:
    """Iterations 1 to 10, then every 10 up to 100, every 100 up to 1000, and
    so on: about nine lines per decade, however long the run."""
    scale = 10 ** max(len(str(nit)) - 1, 0)
    return nit <= 10 or nit % scale == 0


class IterationLines:
    """Print ``iteration, f(x), max|g|`` at the iterations `printed_iteration`
    picks, under a header printed before the first."""

    def __init__(self, method: str, write: Callable[[str], None] = print) -> None:
        self.method = method
        self.write = write
        self.started = False

    def __call__(self, x: np.ndarray, value: float | None, grad: np.ndarray, nit: int) -> None:
        if not printed_iteration(nit):
            return
        if not self.started:
            self.write(f"{self.method}: {'iteration':>10}  {'f(x)':>14}  {'max|g|':>10}")
            self.started = True
        shown = "" if value is None else f"{value:14.6e}"
        gradient = float(np.max(np.abs(grad))) if grad.size else 0.0
        self.write(f"{'':{len(self.method) + 1}} {nit:>10d}  {shown:>14}  {gradient:10.3e}")


class EpochLines:
    """Print ``epoch, iterations, mean training loss, validation value`` at the end of every
    epoch of a minibatch run (its ``disp=True``), under a header printed before the first."""

    def __init__(self, method: str, write: Callable[[str], None] = print) -> None:
        self.method = method
        self.write = write
        self.started = False

    def __call__(self, x: np.ndarray, epoch: int, nit: int, train_loss: Any, val_fun: Any) -> None:
        if not self.started:
            self.write(
                f"{self.method}: {'epoch':>6}  {'iterations':>10}  {'train loss':>14}  "
                f"{'validation':>14}"
            )
            self.started = True
        train = "" if train_loss is None else f"{train_loss:14.6e}"
        validation = "" if val_fun is None else f"{val_fun:14.6e}"
        self.write(
            f"{'':{len(self.method) + 1}} {epoch:>6d}  {nit:>10d}  {train:>14}  {validation:>14}"
        )


class ProgressBar:
    """A tqdm bar over the iterations, with the loss and the gradient's
    max-norm refreshed about ten times a second and shown for the last
    iteration when the run ends. The bar appears with the first iteration, so
    a run refused before it starts leaves none behind."""

    def __init__(self, total: int | None, description: str, unit: str = "it") -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError(
                "The 'progress' option needs tqdm: pip install tqdm (or rmsopt[progress])."
            ) from None
        self.tqdm = tqdm
        self.unit = unit
        self.total = total
        self.description = description
        self.bar: Any = None
        self.refreshed = 0.0
        self.postfix: dict[str, str] = {}

    def write(self, line: str) -> None:
        """Print ``line`` above the bar rather than through it."""
        self.tqdm.write(line)

    def __call__(self, x: np.ndarray, value: float | None, grad: np.ndarray, nit: int) -> None:
        self._advance(nit)
        self.postfix = {"max|g|": f"{float(np.max(np.abs(grad))):.3e}"}
        if value is not None:
            self.postfix = {"f": f"{value:.6e}", **self.postfix}
        now = time.monotonic()
        if now - self.refreshed >= 0.1:
            self.refreshed = now
            self.bar.set_postfix(self.postfix, refresh=False)

    def epoch(self, x: np.ndarray, epoch: int, nit: int, train_loss: Any, val_fun: Any) -> None:
        """A minibatch run's bar counts epochs, with the epoch's mean loss and validation."""
        self._advance(epoch)
        self.postfix = {} if train_loss is None else {"loss": f"{train_loss:.6e}"}
        if val_fun is not None:
            self.postfix["val"] = f"{val_fun:.6e}"
        self.bar.set_postfix(self.postfix, refresh=True)

    def _advance(self, count: int) -> None:
        if self.bar is None:
            self.bar = self.tqdm(total=self.total, desc=self.description, unit=self.unit)
        self.bar.update(count - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix(self.postfix, refresh=False)
            self.bar.close()


def chain(*notifiers: Callable[..., None] | None) -> Callable[..., None] | None:
    """One notification (per iteration or per epoch) that calls each of ``notifiers`` (None
    ones skipped) in order; a ``StopIteration`` from one passes through to the driver."""
    active = [notify for notify in notifiers if notify is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]

    def notify_all(*arguments: Any) -> None:
        for notify in active:
            notify(*arguments)

    return notify_all
