"""Rprop's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._checks.constraints import Real
from .._checks.errors import invalid
from .._checks.options import Option
from .common import method_doc
from .method import Method

__all__ = ["RPROP"]

_DOC = method_doc(
    r"""Minimize a scalar function with Rprop, resilient backpropagation
(Riedmiller and Braun, 1993): steps of a size of their own per element, grown
while the gradient keeps its sign and shrunk when it flips.""",
    r"""    f_t &= \eta^+ \text{ if } g_t p_{t-1} > 0, \quad
        \eta^- \text{ if } g_t p_{t-1} < 0, \quad 1 \text{ otherwise}\\
    s_t &= \operatorname{clip}(s_{t-1} f_t,\ s_{\min},\ s_{\max}) && s_0 = \eta\\
    p_t &= 0 \text{ where } f_t = \eta^-, \text{ else } g_t && p_0 = 0\\
    x_t &= x_{t-1} - \operatorname{sign}(p_t)\, s_t""",
    r"""Here ``p_{t-1}`` is the gradient kept from the step
before (zeroed where its sign flipped). The learning rate only sets the
first step size (a schedule's later values are not used). Every iterate
equals ``torch.optim.Rprop``'s (``lr``, ``etas=(etaminus, etaplus)``,
``step_sizes=(step_size_min, step_size_max)``, ``maximize``) to rounding.
Rprop ignores the gradient's size, which suits full-batch runs; with noisy
minibatch gradients the sign flips at random (RMSprop was proposed as its
minibatch version).""",
    r""".. [1] M. Riedmiller, H. Braun, "A Direct Adaptive Method for Faster
   Backpropagation Learning: The RPROP Algorithm", IEEE ICNN 1993.""",
    "rprop",
)


def _check_step_sizes(settings: Mapping[str, Any], subject: Callable[[str], str]) -> None:
    if settings["step_size_min"] > settings["step_size_max"]:
        raise invalid(
            ValueError,
            subject("step_size_min"),
            "at most step_size_max",
            f"{settings['step_size_min']!r} with step_size_max={settings['step_size_max']!r}",
        )


RPROP = Method(
    name="rprop",
    class_name="Rprop",
    kernel="rprop",
    learning_rate=1e-2,
    starting_rate=1e-2,
    hyperparameters=(
        Option(
            "etaminus",
            0.5,
            Real(0, 1, low_closed=False),
            "Factor that shrinks a step size when its gradient flips sign (torch's `etas[0]`).",
        ),
        Option(
            "etaplus",
            1.2,
            Real(1, low_closed=False),
            "Factor that grows a step size while its gradient keeps its sign (torch's `etas[1]`).",
        ),
        Option(
            "step_size_min",
            1e-6,
            Real(0),
            "Smallest step size (torch's `step_sizes[0]`).",
        ),
        Option(
            "step_size_max",
            50.0,
            Real(0),
            "Largest step size (torch's `step_sizes[1]`).",
        ),
    ),
    state=("prev", "step_size"),
    check=_check_step_sizes,
    doc=_DOC,
    summary="Rprop (Riedmiller and Braun, 1993): per-element step sizes adapted to the "
    "gradient's sign.",
)
