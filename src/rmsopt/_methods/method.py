"""What a method is, as data.

A method is declared once: its name, its options (with defaults and
constraints), the rows of its state block, and the name of the native kernel
that advances it. Validation, docstrings, dispatch, the optimizer objects,
state dicts and the contract tests all read the declaration. Nothing here
imports compiled code: the front door joins a declaration to its kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._checks.errors import invalid
from .._checks.options import Option, validate_options
from .common import (
    AVERAGING_OPTIONS,
    CLIPPING_OPTIONS,
    HISTORY_OPTIONS,
    MAXIMIZE,
    MINIBATCH_OPTIONS,
    STATE,
    TERMINATION_OPTIONS,
    THREADS,
    learning_rate_option,
    minimize_learning_rate_option,
)

__all__ = ["Method"]


_CALLING = """Callable as ``rmsopt.minimize(fun, x0, method="{name}", ...)``, as
``scipy.optimize.minimize(fun, x0, method=rmsopt.{name}, ...)``, or directly
as ``rmsopt.{name}(fun, x0, ...)``; all three give the same iterates.
`rmsopt.{class_name}` takes the same step with the same options for loops you
write yourself.

With no ``learning_rate``, a full-batch run starts at {starting_rate!r} and halves
the rate whenever `fun` has gone 20 iterations without a new low, so that it
converges without tuning (docs/defaults.md); `rmsopt.{class_name}` and
minibatch runs step at the constant {learning_rate!r} instead.

Parameters
----------
fun, x0, args, jac, bounds, callback
    As in `rmsopt.minimize`.
hess, hessp, constraints
    Accepted for SciPy's custom-method protocol; not used (a warning says so).
**options
    The options below; ``tol`` sets ``gtol`` when that is not given.

Returns
-------
res : OptimizeResult
    See `rmsopt.minimize`."""


def _no_constraints(settings: Mapping[str, Any], subject: Callable[[str], str]) -> None:
    """Options that constrain each other are checked by a method's ``check``."""


@dataclass(frozen=True)
class Method:
    """Declaration of one optimization method.

    Parameters
    ----------
    name : str
        Lower-case name accepted by ``minimize(method=...)``; also the name of
        the public function (``rmsopt.<name>``).
    class_name : str
        Name of the public optimizer class (``rmsopt.<class_name>``).
    kernel : str
        The native kernel that takes the method's steps: a row of the table in
        ``_core/method_kernels.pyx.tp``, whose parameter struct (``kernels/<kernel>.pxd``)
        is filled from the validated options and ``kernel_constants`` by field name.
    learning_rate : float
        Default of the ``learning_rate`` option for the optimizer classes and
        minibatch runs (torch's).
    starting_rate : float
        Where the default learning rate of a full-batch `minimize` run starts:
        ``reduce_on_plateau(starting_rate, factor=0.5, patience=20,
        threshold=0)``, a rate chosen so that the method converges with no
        options on the fits of ``benchmarks/fits.py``.
    hyperparameters : tuple of Option
        The method's own options (``learning_rate``, ``maximize``, clipping,
        termination and ``state`` are common to every method).
    state : tuple of str
        Names of the rows of the state block, in the kernel's order.
    doc : str
        The public function's docstring: ``{calling}`` is replaced by the
        calling conventions common to every method, ``{options}`` by the
        options rendered from this declaration.
    summary : str
        One line for the optimizer class's docstring.
    initial_state : callable
        ``initial_state(settings) -> {row name: fill value}`` for rows that do
        not start at zero.
    kernel_constants : mapping
        Fixed fields of the kernel's parameters (e.g. AdamW's decoupled decay).
    kernel_values : callable
        ``kernel_values(settings) -> {field: value}`` for fields of the kernel's
        parameters derived from the options (e.g. Adam's ``amsgrad="optax"``).
    check : callable
        ``check(settings, subject)`` raises for option values that are valid
        alone but not together; ``subject(name)`` names an option in messages.
    average_row : str, optional
        The state row holding the method's own average of the iterates (ASGD's ``ax``),
        which ``x_average`` reports when the ``averaging`` option is not set; None when the
        method keeps none.
    second_moment : str, optional
        The state row holding the moving average (or sum) of squared
        gradients, ``v`` in the history; None when there is none (SGD).
    matrix : str, optional
        How a whole-array method reads ``x`` (its ``shape`` option): ``"optional"``
        (Adafactor: a vector without a shape) or ``"required"`` (Muon: a matrix always);
        None for the element-wise methods.
    frameworks : mapping
        For each framework whose defaults the method can take (``"torch"``
        for every method torch has), the options whose values differ from
        rmsopt's defaults there.
    """

    name: str
    class_name: str
    kernel: str
    learning_rate: float
    starting_rate: float
    hyperparameters: tuple[Option, ...]
    state: tuple[str, ...]
    doc: str
    summary: str
    initial_state: Callable[[Mapping[str, Any]], Mapping[str, float]] = field(
        default=lambda settings: {}
    )
    kernel_constants: Mapping[str, Any] = field(default_factory=dict)
    kernel_values: Callable[[Mapping[str, Any]], Mapping[str, Any]] = field(
        default=lambda settings: {}
    )
    check: Callable[[Mapping[str, Any], Callable[[str], str]], None] = _no_constraints
    second_moment: str | None = None
    average_row: str | None = None
    matrix: str | None = None
    frameworks: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: {"torch": {}})

    def framework_defaults(self, framework: str) -> dict[str, Any]:
        """The learning rate and the method's own options as ``framework`` defaults them."""
        options = {"learning_rate": self.learning_rate}
        options.update((option.name, option.default) for option in self.hyperparameters)
        options.update(self.frameworks[framework])
        return options

    @property
    def step_options(self) -> tuple[Option, ...]:
        """The options that shape a step: the optimizer objects take these."""
        return (
            (learning_rate_option(self.learning_rate),)
            + self.hyperparameters
            + (MAXIMIZE, THREADS)
            + CLIPPING_OPTIONS
            + AVERAGING_OPTIONS
        )

    @property
    def options(self) -> tuple[Option, ...]:
        """Every option of ``minimize``, in the order the docstring lists them."""
        rate = minimize_learning_rate_option(self.learning_rate, self.starting_rate)
        return (
            (rate,)
            + self.step_options[1:]
            + TERMINATION_OPTIONS
            + HISTORY_OPTIONS
            + MINIBATCH_OPTIONS
            + (STATE,)
        )

    def subject(self, option: str) -> str:
        return f"The {option!r} option of method {self.name!r}"

    def validate(
        self, given: Mapping[str, Any], declared: tuple[Option, ...] | None = None
    ) -> dict[str, Any]:
        """Every option in ``declared`` (default: `options`) validated, with
        defaults filled in, and the options that constrain each other checked."""
        settings = validate_options(
            self.name, self.options if declared is None else declared, given
        )
        if settings["clipnorm"] is not None and settings["clipvalue"] is not None:
            raise invalid(
                ValueError,
                self.subject("clipvalue"),
                "None when 'clipnorm' is set (Keras allows one kind of clipping)",
                f"{settings['clipvalue']!r} with clipnorm={settings['clipnorm']!r}",
            )
        self.check(settings, self.subject)
        return settings

    def kernel_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """What the kernel's parameters are filled from: the validated options
        and the method's constants."""
        return {**settings, **self.kernel_constants, **self.kernel_values(settings)}

    def function_doc(self) -> str:
        """The docstring of the public function ``rmsopt.<name>``."""
        calling = _CALLING.format(
            name=self.name,
            class_name=self.class_name,
            starting_rate=self.starting_rate,
            learning_rate=self.learning_rate,
        )
        return self.doc.replace("{calling}", calling).replace("{options}", self.options_section())

    def options_section(self, options: tuple[Option, ...] | None = None) -> str:
        """The numpydoc ``Options`` section, rendered from the declaration."""
        declared = self.options if options is None else options
        entries = "\n".join(option.docstring_entry() for option in declared)
        return f"Options\n-------\n{entries}"
