"""Which build of the vectorised loops to run, as the environment allows.

``RMSOPT_DISABLE_CPU_FEATURES`` names features not to use even when the CPU has them, separated
by commas or spaces (``AVX2``): NumPy's ``NPY_DISABLE_CPU_FEATURES`` convention. A feature the
library does not dispatch on is reported with a warning and otherwise ignored.
"""

import os
import warnings

ENVIRONMENT_VARIABLE = "RMSOPT_DISABLE_CPU_FEATURES"
DISPATCHED = ("AVX2",)  # the features with a build of their own, narrowest first


def disabled_features():
    """The dispatched features the environment variable names (upper case)."""
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


def preferred_target(available):
    """The last (widest) of the ``available`` targets whose feature is not disabled."""
    disabled = disabled_features()
    allowed = [target for target in available if target.upper() not in disabled]
    return allowed[-1]
