"""Which build of the kernels' chunk loops steps run: the architecture's baseline, compiled into
``method_kernels``, or the AVX2 build in ``method_loops_avx2``, chosen at import by what the CPU
supports.

Every build computes each element with the same operations (no contraction into fused
multiply-adds), so the choice changes the speed, never the bits.

``RMSOPT_DISABLE_CPU_FEATURES`` names features not to use even when the CPU has them, separated
by commas or spaces (``AVX2``): NumPy's ``NPY_DISABLE_CPU_FEATURES`` convention. A feature
without a build of its own is reported with a warning and otherwise ignored.
"""

import importlib
import os
import warnings

from . import cpu, method_kernels

ENVIRONMENT_VARIABLE = "RMSOPT_DISABLE_CPU_FEATURES"
DISPATCHED = ("AVX2",)  # the features with a build of their own, narrowest first

_selected = "baseline"


def loop_targets():
    """The builds this process can run: ``"baseline"``, and ``"avx2"`` when the CPU (and the
    operating system) support AVX2 and the package was built with it (x86 only)."""
    targets = ["baseline"]
    if cpu.has_avx2():
        try:
            importlib.import_module(".method_loops_avx2", __package__)  # only after the check
        except ImportError:  # not built: not x86, or a compiler without -mavx2
            pass
        else:
            targets.append("avx2")
    return targets


def select_loop(target):
    """Run every method's steps with the build ``target`` (one of `loop_targets`); return the
    previous one. For comparisons and tests: import already chose the widest allowed."""
    global _selected
    targets = loop_targets()
    if target not in targets:
        raise ValueError(f"target must be one of {targets} on this machine; got {target!r}")
    if target == "avx2":
        method_kernels.use_loops(importlib.import_module(".method_loops_avx2", __package__).LOOPS)
    else:
        method_kernels.use_loops(None)
    previous, _selected = _selected, target
    return previous


def selected_loop():
    """The build steps run with (see `select_loop`)."""
    return _selected


def disabled_features():
    """The dispatched features ``RMSOPT_DISABLE_CPU_FEATURES`` names (upper case)."""
    named = os.environ.get(ENVIRONMENT_VARIABLE, "").replace(",", " ").upper().split()
    unknown = sorted(set(named) - set(DISPATCHED))
    if unknown:
        warnings.warn(
            f"{ENVIRONMENT_VARIABLE} names {', '.join(unknown)}, which rmsopt does not dispatch "
            f"on; accepted: {', '.join(DISPATCHED)}.",
            RuntimeWarning,
            stacklevel=2,
        )
    return {feature for feature in named if feature in DISPATCHED}


def preferred_target(available, disabled=None):
    """The last (widest) of the ``available`` targets whose feature is not ``disabled``
    (default: the features the environment variable names now)."""
    disabled = disabled_features() if disabled is None else disabled
    return [target for target in available if target.upper() not in disabled][-1]


DISABLED_AT_IMPORT = sorted(disabled_features())  # what chose the build below
select_loop(preferred_target(loop_targets(), DISABLED_AT_IMPORT))
