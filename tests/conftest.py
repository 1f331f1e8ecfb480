import itertools

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, max_examples=60, deadline=None)
settings.load_profile("deterministic")

DTYPES = [np.float64, np.float32]


def rmsprop_option_grid():
    """Every combination of the torch-visible options, plus the framework variants."""
    grid = []
    for momentum, centered, weight_decay, maximize in itertools.product(
        (0.0, 0.9), (False, True), (0.0, 0.01), (False, True)
    ):
        grid.append(
            {
                "momentum": momentum,
                "centered": centered,
                "weight_decay": weight_decay,
                "maximize": maximize,
            }
        )
    for epsilon_in_sqrt, initial, bias_correction, centered in itertools.product(
        (False, True), (0.0, 1.0), (False, True), (False, True)
    ):
        grid.append(
            {
                "epsilon_in_sqrt": epsilon_in_sqrt,
                "initial_accumulator_value": initial,
                "bias_correction": bias_correction,
                "centered": centered,
            }
        )
    return grid


def option_id(options):
    return ",".join(f"{k}={v}" for k, v in options.items())


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return request.param
