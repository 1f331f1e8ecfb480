"""``python -m rmsopt``: the demonstration (RMSprop, AdaGrad and Adam on test problems from
the catalogue, under one learning rate and one budget), ``problems`` (the catalogue) and
``compare`` (methods side by side on chosen problems); see ``--help``."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import plot, problems
from ._methods.common import TERMINATION_OPTIONS
from ._methods.registry import METHODS
from ._search.compare import compare

__all__ = ["format_table", "main", "run_demo"]

LEARNING_RATE = 1e-2
MAXITER = 5000
DEMO_METHODS = {name: {"learning_rate": LEARNING_RATE} for name in ("rmsprop", "adagrad", "adam")}
DEFAULT_METHODS = {name: {} for name in DEMO_METHODS}


def demo_problems() -> list[problems.Problem]:
    return [
        problems.sparse_feature_regression(),
        problems.linear_regression(),
        problems.quadratic(n=10, condition=1e3),
        problems.rosenbrock(n=2),
        problems.beale(),
        problems.himmelblau(),
    ]


def run_demo() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compare the methods on the demo problems, first with `minimize`'s defaults, then at
    one constant learning rate; print both tables and return their records."""
    option = {option.name: option.default for option in TERMINATION_OPTIONS}
    defaults = compare(demo_problems(), DEFAULT_METHODS, as_frame=False)
    print(
        "rmsopt.compare with minimize's defaults: each method's starting rate, halved when "
        f"fun stalls, at most {option['maxiter']} iterations, gtol={option['gtol']:g}\n"
    )
    print(format_table(defaults))
    constant = compare(demo_problems(), DEMO_METHODS, maxiter=MAXITER, as_frame=False)
    print(
        f"\nThe same at one constant learning_rate={LEARNING_RATE:g}, at most {MAXITER} "
        "iterations:\n"
    )
    print(format_table(constant))
    print(
        "\nf - f* is the gap to the known minimum, |x - x*| the distance to the nearest known\n"
        "minimiser, step the median effective step size of the last step (lr / (sqrt(v) + eps)\n"
        "for RMSprop, lr / (sqrt(sum of g**2) + eps) for AdaGrad). At a constant rate, AdaGrad's\n"
        "sum only grows, so its step shrinks until it stalls far from the minimiser; RMSprop's\n"
        "moving average forgets old gradients, so its step size grows back as the gradients\n"
        "shrink, and it hovers at a distance set by the rate: the default schedule lowers the\n"
        "rate as it hovers, and converges."
    )
    return defaults, constant


def format_table(table: list[dict[str, Any]]) -> str:
    """The records of `rmsopt.compare` as a Markdown table."""
    lines = [
        "| problem | method | f - f* | \\|x - x*\\| | step | iterations | time [s] | status |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in table:
        lines.append(
            f"| {row['problem']} | {row['method']} | {row['fun'] - row['minimum']:.1e} | "
            f"{row['distance']:.1e} | {row['step_size']:.1e} | {row['nit']} | "
            f"{row['time']:.3f} | {row['status']} |"
        )
    return "\n".join(lines)


# The command line.

_DEFAULT_METHODS = "rmsprop,adagrad,adam"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` when None); return the
    exit status. Bad arguments print a usage error and exit with status 2."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        run_demo()
    elif arguments.command == "problems":
        _list_problems()
    else:
        _compare(arguments)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rmsopt",
        description=(
            "Adaptive first-order optimizers behind SciPy's minimize. Without a command, "
            "run the demonstration: RMSprop, AdaGrad and Adam on test problems."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser(
        "problems",
        help="list the test problems of rmsopt.problems",
        description="List the test problems of rmsopt.problems with what is known about them.",
    )
    comparing = commands.add_parser(
        "compare",
        help="compare methods on test problems and print the table",
        description=(
            "Run every method on every problem under the same budget (rmsopt.compare) and "
            "print the table: the gap to the known minimum, the distance to the nearest known "
            "minimiser, the median effective step size, iterations, time and status."
        ),
    )
    comparing.set_defaults(parser=comparing)
    comparing.add_argument(
        "--problems",
        default="sparse_feature_regression,rosenbrock,himmelblau",
        help="comma-separated names from `python -m rmsopt problems` (default: %(default)s)",
    )
    comparing.add_argument(
        "--methods",
        default=_DEFAULT_METHODS,
        help=f"comma-separated methods among {', '.join(METHODS)} (default: %(default)s)",
    )
    comparing.add_argument(
        "--maxiter",
        type=_positive_int,
        default=1000,
        help="iterations every run may take (default: %(default)s)",
    )
    comparing.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help="also write one figure with a column per problem: the convergence and the "
        "effective step sizes of every method (needs matplotlib; the format follows the "
        "extension: png, pdf, svg, ...)",
    )
    comparing.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        help="one learning rate for every method (default: each method's own)",
    )
    comparing.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="processes to run the runs on (default: %(default)s; the table is the same)",
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _names(parser: argparse.ArgumentParser, option: str, text: str, known: Sequence[str]) -> list:
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in known]
    if not names:
        parser.error(f"argument {option}: expected comma-separated names, got {text!r}")
    if unknown:
        parser.error(
            f"argument {option}: unknown name(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(known)}"
        )
    return names


def _compare(arguments: argparse.Namespace) -> None:
    parser = arguments.parser
    problem_names = _names(parser, "--problems", arguments.problems, list(problems.CATALOGUE))
    method_names = _names(parser, "--methods", arguments.methods.lower(), list(METHODS))
    own = {} if arguments.learning_rate is None else {"learning_rate": arguments.learning_rate}
    if arguments.plot is not None:
        _check_figure_path(parser, arguments.plot)
        own["history"] = ["fun", "step_size"]
    table, results = compare(
        problem_names,
        {name: dict(own) for name in method_names},
        maxiter=arguments.maxiter,
        as_frame=False,
        return_results=True,
        workers=arguments.workers,
    )
    print(format_table(table))
    if arguments.plot is not None:
        _figure(parser, arguments.plot, table, results, method_names)


def _check_figure_path(parser: argparse.ArgumentParser, path: str) -> None:
    """Refuse a figure that could not be written before any run starts."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        parser.error("argument --plot: needs matplotlib (pip install matplotlib)")
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if extension not in formats:
        parser.error(
            f"argument --plot: unknown figure format {extension!r} of {path!r}; "
            f"use one of {', '.join(sorted(formats))}"
        )
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        parser.error(f"argument --plot: no directory {directory!r} to write {path!r} in")


def _figure(
    parser: argparse.ArgumentParser,
    path: str,
    table: list,
    results: dict,
    method_names: list,
) -> None:
    # A bare Figure draws without pyplot, so no backend is chosen for the caller's process.
    from matplotlib.figure import Figure

    problem_names = list(dict.fromkeys(row["problem"] for row in table))
    minima = {row["problem"]: row["minimum"] for row in table}
    columns = len(problem_names)
    figure = Figure(figsize=(4.8 * columns, 7.0), layout="constrained")
    axes = figure.subplots(2, columns, squeeze=False)
    for column, name in enumerate(problem_names):
        runs = [results[name, method] for method in method_names]
        minimum = None if math.isnan(minima[name]) else minima[name]
        panels = (
            (plot.convergence, {"minimum": minimum}, axes[0, column]),
            (plot.step_sizes, {}, axes[1, column]),
        )
        for draw, keywords, ax in panels:
            try:
                draw(runs, method_names, ax=ax, **keywords)
            except ValueError as error:  # a run with nothing to draw: say so in its panel
                ax.text(0.5, 0.5, str(error), ha="center", va="center", wrap=True, fontsize=8)
        axes[0, column].set_title(name)
    try:
        figure.savefig(path)
    except (OSError, ValueError, RuntimeError) as error:
        parser.error(f"argument --plot: cannot write {path!r}: {error}")
    print(f"\nWrote {path}.")


def _list_problems() -> None:
    lines = [
        "| name | problem | n | convex | known minimum | character |",
        "| --- | --- | ---: | --- | ---: | --- |",
    ]
    for name, factory in problems.CATALOGUE.items():
        problem = factory()
        minimum = "unknown" if problem.minimum is None else f"{problem.minimum:.6g}"
        convex = "yes" if problem.convex else "no"
        lines.append(
            f"| {name} | {problem.name} | {problem.n} | {convex} | {minimum} | "
            f"{problem.character} |"
        )
    print("\n".join(lines))
    print("\nEach name is a function of rmsopt.problems; its docstring gives the parameters.")


if __name__ == "__main__":
    sys.exit(main())
