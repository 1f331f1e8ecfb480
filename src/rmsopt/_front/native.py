"""C-level objectives: a `scipy.LowLevelCallable` whose function computes the
value and writes the gradient in one call,
``double f(int n, const double *x, double *grad, void *user_data)``.

The front door checks here what such an objective allows (float64 iterates,
the gradient from ``fun`` itself, data through ``user_data`` rather than
``args``, no minibatches); the native loop (``_core/driver.pyx`` with a
``NativeObjective`` source) then runs the whole run
without the GIL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import LowLevelCallable

from .._checks.errors import argument, invalid, summary

__all__ = ["SIGNATURE", "check_native", "check_native_arguments", "is_native"]

SIGNATURE = "double (int n, const double *x, double *grad, void *user_data)"
INT_MAX = 2**31 - 1
# Spellings of the accepted signatures once spaces are removed: ctypes and cffi write
# "double *", Cython writes "double const *" for a const pointer.
_ACCEPTED = {
    "double(int,double*,double*,void*)",
    "double(int,constdouble*,double*,void*)",
    "double(int,doubleconst*,double*,void*)",
}


def check_native_arguments(x: np.ndarray, args: tuple, jac: Any, name: str) -> None:
    """What every C-level objective needs of the start (``name``: x0, or a batch's X0),
    ``args`` and ``jac``: float64, no args (data goes through user_data), the gradient from
    ``fun``, and sizes that fit a C int."""
    if x.dtype != np.float64:
        accepted = "float64 (or another real dtype but float32) when 'fun' is a LowLevelCallable"
        raise invalid(TypeError, argument(name), accepted, f"dtype {x.dtype}")
    if args:
        accepted = "() when 'fun' is a LowLevelCallable (pass data through its user_data)"
        raise invalid(ValueError, argument("args"), accepted, repr(args))
    if jac is not None and jac is not True:
        accepted = "None or True when 'fun' is a LowLevelCallable (it writes the gradient)"
        raise invalid(ValueError, argument("jac"), accepted, repr(jac))
    if max(x.shape) > INT_MAX:
        accepted = f"at most {INT_MAX} variables (and problems) when 'fun' is a LowLevelCallable"
        raise invalid(ValueError, argument(name), accepted, f"shape {x.shape}")


def is_native(fun: Any) -> bool:
    return isinstance(fun, LowLevelCallable)


def check_native(
    fun: LowLevelCallable,
    x: np.ndarray,
    args: tuple,
    jac: Any,
    settings: Mapping[str, Any],
) -> None:
    """Refuse what a C-level ``fun`` cannot do, naming the argument; ``jac``
    as the user gave it."""
    if "".join(fun.signature.split()) not in _ACCEPTED:
        accepted = f"a LowLevelCallable with the signature {SIGNATURE!r} (x may be non-const)"
        raise invalid(ValueError, argument("fun"), accepted, f"the signature {fun.signature!r}")
    check_native_arguments(x, args, jac, "x0")
    for name in ("batch_size", "batches"):
        if settings[name] is not None:
            accepted = "None when 'fun' is a LowLevelCallable (it has no data to cut)"
            raise invalid(ValueError, f"The {name!r} option", accepted, summary(settings[name]))
