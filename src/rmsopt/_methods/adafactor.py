"""Adafactor's declaration: options, state, kernel and documentation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._checks.constraints import Real, Shape
from .._checks.options import Option
from .common import method_doc, weight_decay_option
from .method import Method

__all__ = ["ADAFACTOR"]

_DOC = method_doc(
    r"""Minimize a scalar function with Adafactor (Shazeer and Stern, 2018),
whose second moment of a matrix is factored into row and column moments.""",
    r"""    \rho_t &= \min(\eta, 1 / \sqrt{t}), \quad
        \alpha_t = \max(\epsilon_2, \operatorname{RMS}(x_{t-1})) \rho_t\\
    x_{t-1} &\leftarrow (1 - \eta \lambda) x_{t-1}
        && \text{weight decay } \lambda\\
    w_t &= t^{\text{beta2\_decay}}\\
    v_t &= \operatorname{lerp}(v_{t-1}, g_t^2, w_t), \quad V_t = v_t
        && \text{x a vector}\\
    r_{t,i} &= \operatorname{lerp}(r_{t-1,i}, \operatorname{mean}_j g_{t,ij}^2, w_t),
        \quad c_{t,j} = \operatorname{lerp}(c_{t-1,j}, \operatorname{mean}_i g_{t,ij}^2, w_t)
        && \text{x a matrix (shape)}\\
    V_{t,ij} &= \frac{r_{t,i} c_{t,j}}{\max(\operatorname{mean}_i r_{t,i}, \epsilon_1)}\\
    u_t &= g_t / \sqrt{\max(V_t, \epsilon_1^2)}\\
    x_t &= x_{t-1} - \frac{\alpha_t}{\max(1, \operatorname{RMS}(u_t) / d)} u_t""",
    r"""Here ``RMS(a) = ||a|| / sqrt(n)``. Every iterate
equals ``torch.optim.Adafactor``'s (``lr``, ``beta2_decay``,
``eps=(epsilon1, epsilon2)``, ``d``, ``weight_decay``, ``maximize``) to
rounding: without ``shape`` as for a 1-D torch parameter, with ``shape=(rows,
cols)`` (or leading batch dimensions before them) as for a parameter of that
shape, whose second moment takes ``rows + cols`` numbers instead of
``rows * cols``. The state's one row ``variance`` holds ``v``, or the row
moments ``r`` followed by the column moments ``c`` (the rest of the row is
not used). The learning rate is a relative step size, capped by
``1 / sqrt(t)`` and scaled by the size of ``x``: from ``x = 0`` the first
steps are ``epsilon2 * rho_t`` long.""",
    r""".. [1] N. Shazeer, M. Stern, "Adafactor: Adaptive Learning Rates with
   Sublinear Memory Cost", ICML 2018, arXiv:1804.04235.""",
    "adafactor",
    ", epsilon2=1.0",
)


def _kernel_values(settings: Mapping[str, Any]) -> dict[str, Any]:
    """torch's ``eps[0] = None``: the dtype's machine epsilon, chosen by the kernel."""
    epsilon1 = settings["epsilon1"]
    return {"epsilon1": 0.0 if epsilon1 is None else epsilon1, "epsilon1_dtype": epsilon1 is None}


ADAFACTOR = Method(
    name="adafactor",
    class_name="Adafactor",
    kernel="adafactor",
    learning_rate=1e-2,
    starting_rate=1e-2,
    hyperparameters=(
        Option(
            "beta2_decay",
            -0.8,
            Real(high=0.0, high_closed=True),
            "The second moment's weight of step t is t ** beta2_decay (torch's `beta2_decay`).",
        ),
        Option(
            "epsilon1",
            None,
            Real(0, none_ok=True),
            "Floor of the second moment (squared) and of the row moments' mean (torch's "
            "`eps[0]`); None is the dtype's machine epsilon.",
        ),
        Option(
            "epsilon2",
            1e-3,
            Real(0),
            "Floor of RMS(x) in the step size (torch's `eps[1]`).",
        ),
        Option(
            "d",
            1.0,
            Real(1),
            "Clipping threshold: the update is scaled down when RMS(u) exceeds d.",
        ),
        weight_decay_option(0.0, decoupled=True),
        Option(
            "shape",
            None,
            Shape(min_dims=2, smallest=2),
            "Read x as an array of this shape and factor the second moment over its last two "
            "dimensions, as torch does for a parameter of that shape (rows and cols at least "
            "2); None: x is a vector. The classes read each array with its own shape when "
            "None.",
        ),
    ),
    state=("variance",),
    kernel_values=_kernel_values,
    matrix="optional",
    doc=_DOC,
    summary="Adafactor (Shazeer and Stern, 2018): relative step sizes and a factored "
    "second moment, as torch.optim.Adafactor.",
)
