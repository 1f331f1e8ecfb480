"""``python -m rmsopt``: the demonstration, and a small tool to list the test
problems and compare methods on them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import problems
from ._compare import compare
from ._demo import format_table, run_demo
from ._registry import METHODS

__all__ = ["main"]

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
        "--learning-rate",
        type=_positive_float,
        default=None,
        help="one learning rate for every method (default: each method's own)",
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
    names = [name.strip() for name in text.split(",") if name.strip()]
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
    method_names = _names(parser, "--methods", arguments.methods, list(METHODS))
    own = {} if arguments.learning_rate is None else {"learning_rate": arguments.learning_rate}
    table = compare(
        problem_names,
        {name: dict(own) for name in method_names},
        maxiter=arguments.maxiter,
        as_frame=False,
    )
    print(format_table(table))


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
