"""The registry of method declarations.

A method is declared once, as data: its name, its options (with defaults and
constraints), the rows of its state block, and the kernel that advances it.
Validation, docstrings, dispatch and the tests all read this declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._kernel import Kernel
from ._options import TERMINATION_OPTIONS, Option

__all__ = ["METHODS", "Method", "get_method", "register"]


@dataclass(frozen=True)
class Method:
    """Declaration of one optimization method.

    Parameters
    ----------
    name : str
        Lower-case name accepted by ``minimize(method=...)``.
    kernel : type
        `Kernel` subclass, constructed with the options named in
        ``kernel_parameters`` as keyword arguments.
    hyperparameters : tuple of Option
        The method's own options, ``learning_rate`` first (the driver passes it
        to every step).
    kernel_parameters : tuple of str
        The hyperparameters that the kernel holds.
    state : tuple of str
        Names of the rows of the state block, in the kernel's order.
    initial_state : callable
        ``initial_state(options) -> {row name: fill value}`` for rows that do
        not start at zero.
    """

    name: str
    kernel: type[Kernel]
    hyperparameters: tuple[Option, ...]
    kernel_parameters: tuple[str, ...]
    state: tuple[str, ...]
    initial_state: Callable[[Mapping[str, Any]], Mapping[str, float]] = field(
        default=lambda options: {}
    )

    @property
    def options(self) -> tuple[Option, ...]:
        return self.hyperparameters + TERMINATION_OPTIONS

    def make_kernel(self, options: Mapping[str, Any]) -> Kernel:
        return self.kernel(**{name: options[name] for name in self.kernel_parameters})

    def options_section(self) -> str:
        """The numpydoc ``Options`` section, rendered from the declaration."""
        hyper = "\n".join(option.docstring_entry() for option in self.hyperparameters)
        termination = "\n".join(option.docstring_entry() for option in TERMINATION_OPTIONS)
        return (
            "Options\n-------\n"
            + hyper
            + "\n\nTermination and output options\n------------------------------\n"
            + termination
        )


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    METHODS[method.name] = method
    return method


def get_method(name: Any) -> Method:
    """The declaration for ``name`` (case-insensitive)."""
    known = ", ".join(repr(key) for key in METHODS)
    if not isinstance(name, str):
        raise TypeError(f"method must be a string, one of {known}; got {name!r} instead.")
    try:
        return METHODS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown method {name!r}. Known methods: {known}.") from None
