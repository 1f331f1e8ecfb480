"""The demonstration ``python -m rmsopt`` runs: RMSprop, AdaGrad and Adam on
test problems from the catalogue, under one learning rate and one budget."""

from __future__ import annotations

from typing import Any

from . import problems
from ._compare import compare
from ._options import TERMINATION_OPTIONS

LEARNING_RATE = 1e-2
MAXITER = 5000
METHODS = {name: {"learning_rate": LEARNING_RATE} for name in ("rmsprop", "adagrad", "adam")}


def demo_problems() -> list[problems.Problem]:
    return [
        problems.sparse_feature_regression(),
        problems.linear_regression(),
        problems.quadratic(n=10, condition=1e3),
        problems.rosenbrock(n=2),
        problems.beale(),
        problems.himmelblau(),
    ]


def run_demo() -> list[dict[str, Any]]:
    """Compare the methods on the demo problems; print and return the table."""
    table = compare(demo_problems(), METHODS, maxiter=MAXITER, as_frame=False)
    gtol = next(option.default for option in TERMINATION_OPTIONS if option.name == "gtol")
    print(
        f"rmsopt.compare: every method at learning_rate={LEARNING_RATE:g}, at most "
        f"{MAXITER} iterations, gtol={gtol:g}\n"
    )
    print(format_table(table))
    print(
        "\nf - f* is the gap to the known minimum, |x - x*| the distance to the nearest known\n"
        "minimiser, step the median effective step size of the last step (lr / (sqrt(v) + eps)\n"
        "for RMSprop, lr / (sqrt(sum of g**2) + eps) for AdaGrad). AdaGrad's sum only grows, so\n"
        "its step shrinks until it stalls far from the minimiser; RMSprop's moving average\n"
        "forgets old gradients, so its step size grows back as the gradients shrink."
    )
    return table


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
