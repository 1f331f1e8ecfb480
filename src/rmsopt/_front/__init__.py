"""What users call: `minimize` and the SciPy custom-method functions, the ask/tell classes,
argument checking (``arguments``, the one front door) and result building."""
