import itertools

import numpy as np
import pytest
from hypothesis import settings

from rmsopt._core.method_kernels import new_kernel

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


def _combinations(**choices):
    """One option dict per element of the product of the choices."""
    names = list(choices)
    return [
        dict(zip(names, values, strict=True)) for values in itertools.product(*choices.values())
    ]


def option_grid(method_name):
    """Option dicts covering every combination of the options that switch one of torch's
    code paths for ``method_name`` on or off (zero against nonzero, False against True)."""
    if method_name == "rmsprop":
        return rmsprop_option_grid()
    if method_name == "adagrad":
        return _combinations(
            lr_decay=(0.0, 0.01),
            weight_decay=(0.0, 0.01),
            initial_accumulator_value=(0.0, 0.1),
            maximize=(False, True),
        )
    if method_name == "adadelta":
        return _combinations(weight_decay=(0.0, 0.01), maximize=(False, True)) + [
            {"rho": 0.5, "epsilon": 1e-3},
            {"rho": 0.99, "epsilon": 1e-8, "weight_decay": 0.01},
        ]
    if method_name in ("adam", "adamw"):
        return _combinations(
            weight_decay=(0.0, 0.01), amsgrad=(False, True), maximize=(False, True)
        ) + [
            # 1 - beta1 >= 0.5 takes the other of lerp's two formulas.
            {"beta1": 0.3, "beta2": 0.9, "epsilon": 1e-6, "weight_decay": 0.1, "amsgrad": True},
        ]
    if method_name == "sgd":
        return [
            options
            for options in _combinations(
                momentum=(0.0, 0.9),
                dampening=(0.0, 0.1),
                nesterov=(False, True),
                weight_decay=(0.0, 0.01),
                maximize=(False, True),
            )
            # torch rejects Nesterov momentum without momentum or with dampening.
            if not options["nesterov"] or (options["momentum"] > 0 and options["dampening"] == 0)
        ]
    raise ValueError(f"no option grid for {method_name!r}")


def option_id(options):
    return ",".join(f"{k}={v}" for k, v in options.items())


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return request.param


def make_kernel(method, settings):
    """The native kernel of ``method`` (a declaration) with the validated ``settings``, as
    `minimize` and the classes make it."""
    return new_kernel(method.kernel, method.kernel_settings(settings))
