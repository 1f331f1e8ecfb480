"""Muon's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._checks.constraints import Choice, Flag, Integer, Real, Reals, Shape
from .._checks.options import Option
from .common import epsilon_option, method_doc, weight_decay_option
from .method import Method

__all__ = ["MUON"]

_DOC = method_doc(
    r"""Minimize a scalar function with Muon (Jordan et al., 2024): momentum
orthogonalized by a Newton-Schulz iteration, with ``x`` read as a matrix.""",
    r"""    B_t &= \mu B_{t-1} + (1 - \mu) g_t && B_0 = 0\\
    U_t &= \mu B_t + (1 - \mu) g_t \text{ (nesterov), else } B_t\\
    X &\leftarrow U_t / \max(\|U_t\|_F, \epsilon)
        && X^T \text{ when rows > cols}\\
    X &\leftarrow a X + (b A + c A^2) X, \quad A = X X^T
        && \text{ns\_steps times}\\
    x_t &= (1 - \eta \lambda) x_{t-1} - \eta \gamma X
        && \gamma = \sqrt{\max(1, \text{rows} / \text{cols})}""",
    r"""``(a, b, c)`` are the ``ns_coefficients``; with
``adjust_lr_fn="match_rms_adamw"``, ``gamma = 0.2 sqrt(max(rows, cols))``.
``x`` is read as a matrix of ``shape=(rows, cols)`` (required by `minimize`;
the classes read each 2-D array with its own shape). Every iterate equals
``torch.optim.Muon``'s (``lr``, ``weight_decay``, ``momentum``, ``nesterov``,
``ns_coefficients``, ``eps``, ``ns_steps``, ``adjust_lr_fn``) with its
Newton-Schulz products computed in ``x``'s dtype: torch computes them in
bfloat16 (about three significant digits), rmsopt with BLAS in float32 or
float64, so iterates agree with torch's to bfloat16's rounding only. Each
step moves ``x`` by about ``lr * gamma`` in every singular direction whatever
the gradient's size, and the default weight decay keeps ``x`` from the
minimizer of ``fun``.""",
    r""".. [1] K. Jordan, Y. Jin, V. Boza, J. You, F. Cesista, L. Newhouse,
   J. Bernstein, "Muon: An optimizer for hidden layers in neural networks",
   2024, https://kellerjordan.github.io/posts/muon/.""",
    "muon",
    ", shape=(1, 2), weight_decay=0.0",
)

_ADJUST = {None: 0, "original": 0, "match_rms_adamw": 1}


def _kernel_values(settings: Mapping[str, Any]) -> dict[str, Any]:
    a, b, c = settings["ns_coefficients"]
    return {"ns_a": a, "ns_b": b, "ns_c": c, "adjust_lr": _ADJUST[settings["adjust_lr_fn"]]}


MUON = Method(
    name="muon",
    class_name="Muon",
    kernel="muon",
    learning_rate=1e-3,
    starting_rate=1e-2,
    hyperparameters=(
        Option(
            "momentum",
            0.95,
            Real(0),
            "Momentum factor mu of the buffer B (torch's `momentum`).",
        ),
        Option("nesterov", True, Flag(), "Orthogonalize the Nesterov look-ahead of B."),
        Option(
            "ns_coefficients",
            (3.4445, -4.7750, 2.0315),
            Reals(3),
            "(a, b, c) of the quintic Newton-Schulz iteration.",
        ),
        epsilon_option(1e-7, "Floor of the Frobenius norm U is divided by (torch's `eps`)."),
        Option(
            "ns_steps",
            5,
            Integer(0, high=99),
            "Newton-Schulz iterations per step.",
        ),
        Option(
            "adjust_lr_fn",
            None,
            Choice(("original", "match_rms_adamw"), none_ok=True),
            "The learning rate's factor gamma from the shape: None or 'original', "
            "sqrt(max(1, rows / cols)); 'match_rms_adamw', 0.2 * sqrt(max(rows, cols)).",
        ),
        weight_decay_option(0.1, decoupled=True),
        Option(
            "shape",
            None,
            Shape(min_dims=2, max_dims=2),
            "(rows, cols): x read as this matrix (C order); required by `minimize`. The "
            "classes read each 2-D array with its own shape when None.",
        ),
    ),
    state=("momentum_buffer",),
    kernel_values=_kernel_values,
    matrix="required",
    doc=_DOC,
    summary="Muon (Jordan et al., 2024): orthogonalized momentum for a matrix, as "
    "torch.optim.Muon.",
)
