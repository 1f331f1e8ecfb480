"""Warnings that point at the user's line, whichever entry point was used."""

from __future__ import annotations

import os
import sys
import warnings

import scipy.optimize

_LIBRARY_DIRECTORIES = (
    os.path.dirname(os.path.dirname(__file__)) + os.sep,  # the rmsopt package
    os.path.dirname(scipy.optimize.__file__) + os.sep,
)


def warn(message: str, category: type[Warning]) -> None:
    """Warn with the first frame outside rmsopt and ``scipy.optimize`` (whose
    ``minimize`` may be calling an rmsopt method) as the warning's location."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRECTORIES):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
