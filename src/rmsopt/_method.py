"""What a method is, as data.

A method is declared once: its name, its options (with defaults and
constraints), the rows of its state block, and the kernel that advances it.
Validation, docstrings, dispatch and the contract tests all read the
declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._kernel import Kernel
from ._options import MAXIMIZE, TERMINATION_OPTIONS, Option, learning_rate_option

__all__ = ["Method"]


@dataclass(frozen=True)
class Method:
    """Declaration of one optimization method.

    Parameters
    ----------
    name : str
        Lower-case name accepted by ``minimize(method=...)``.
    kernel : type
        `Kernel` subclass, constructed with ``maximize`` and the options named in
        ``kernel_parameters`` as keyword arguments.
    learning_rate : float
        Default of the ``learning_rate`` option, which every method has and the
        driver passes to every step.
    hyperparameters : tuple of Option
        The method's own options (``learning_rate`` and ``maximize`` are common).
    kernel_parameters : tuple of str
        The hyperparameters that the kernel holds.
    state : tuple of str
        Names of the rows of the state block, in the kernel's order.
    doc : str
        The public function's docstring; ``{options}`` is replaced by the
        options rendered from this declaration.
    initial_state : callable
        ``initial_state(options) -> {row name: fill value}`` for rows that do
        not start at zero.
    """

    name: str
    kernel: type[Kernel]
    learning_rate: float
    hyperparameters: tuple[Option, ...]
    kernel_parameters: tuple[str, ...]
    state: tuple[str, ...]
    doc: str
    initial_state: Callable[[Mapping[str, Any]], Mapping[str, float]] = field(
        default=lambda options: {}
    )

    @property
    def options(self) -> tuple[Option, ...]:
        """Every option, in the order the docstring lists them."""
        return (
            (learning_rate_option(self.learning_rate),)
            + self.hyperparameters
            + (MAXIMIZE,)
            + TERMINATION_OPTIONS
        )

    def make_kernel(self, options: Mapping[str, Any]) -> Kernel:
        return self.kernel(
            maximize=options["maximize"],
            **{name: options[name] for name in self.kernel_parameters},
        )

    def options_section(self) -> str:
        """The numpydoc ``Options`` section, rendered from the declaration."""
        entries = "\n".join(option.docstring_entry() for option in self.options)
        return f"Options\n-------\n{entries}"
