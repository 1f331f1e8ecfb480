import contextlib
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
    # The momentum variants of optax, TF1 and Keras.
    for nesterov, in_momentum, decoupled in itertools.product(
        (False, True), (False, True), (False, True)
    ):
        grid.append(
            {
                "momentum": 0.9,
                "nesterov": nesterov,
                "learning_rate_in_momentum": in_momentum,
                "decoupled_weight_decay": decoupled,
                "weight_decay": 0.01,
                "epsilon_in_sqrt": True,
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
        ) + [{"epsilon_in_sqrt": True, "epsilon": 1e-7, "initial_accumulator_value": 0.1}]
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
            # Keras's and optax's forms of the step.
            {"epsilon_hat": True, "epsilon": 1e-7},
            {"epsilon_hat": True, "amsgrad": True, "weight_decay": 0.01},
            {"eps_root": 1e-8},
            {"eps_root": 1e-8, "amsgrad": True},
            {"amsgrad": "optax"},
            {"amsgrad": "optax", "eps_root": 1e-10, "weight_decay": 0.01, "maximize": True},
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
        ] + [
            # Keras's SGD: the rate inside the velocity, the decay decoupled.
            {"momentum": 0.9, "learning_rate_in_momentum": True},
            {"momentum": 0.9, "learning_rate_in_momentum": True, "nesterov": True},
            {"momentum": 0.9, "dampening": 0.1, "learning_rate_in_momentum": True},
            {"decoupled_weight_decay": True, "weight_decay": 0.01},
            {"momentum": 0.9, "decoupled_weight_decay": True, "weight_decay": 0.01},
        ]
    if method_name == "adamax":
        return _combinations(weight_decay=(0.0, 0.01), maximize=(False, True)) + [
            {"beta1": 0.3, "beta2": 0.9, "epsilon": 1e-3},
        ]
    if method_name in ("nadam", "radam"):
        extra = {"momentum_decay": (4e-3, 0.1)} if method_name == "nadam" else {}
        return _combinations(
            weight_decay=(0.0, 0.01),
            decoupled_weight_decay=(False, True),
            maximize=(False, True),
            **extra,
        ) + [{"beta1": 0.3, "beta2": 0.9, "epsilon": 1e-6, "weight_decay": 0.1}]
    if method_name == "rprop":
        return _combinations(maximize=(False, True)) + [
            {"etaminus": 0.3, "etaplus": 1.5, "step_size_min": 1e-4, "step_size_max": 0.05},
        ]
    if method_name == "asgd":
        return _combinations(weight_decay=(0.0, 0.01), maximize=(False, True)) + [
            {"lambd": 0.01, "alpha": 0.5, "t0": 20.0},
            {"lambd": 0.0, "t0": 0.0},
        ]
    if method_name == "lion":
        return _combinations(weight_decay=(0.0, 0.01), maximize=(False, True)) + [
            {"beta1": 0.5, "beta2": 0.9},
        ]
    if method_name == "adafactor":
        return _combinations(weight_decay=(0.0, 0.01), maximize=(False, True)) + [
            {"beta2_decay": -0.5, "epsilon1": 1e-6, "epsilon2": 1e-2, "d": 2.0},
            {"shape": MATRIX},
            {"shape": MATRIX, "weight_decay": 0.01, "maximize": True, "epsilon1": 1e-5},
            {"shape": BATCHED, "epsilon2": 0.1},
        ]
    if method_name == "muon":
        return _combinations(
            nesterov=(False, True), weight_decay=(0.0, 0.01), maximize=(False, True)
        ) + [
            {"momentum": 0.5, "ns_steps": 3, "adjust_lr_fn": "match_rms_adamw", "epsilon": 1e-3},
            {"ns_coefficients": (2.0, -1.5, 0.5), "ns_steps": 0, "shape": TALL},
        ]
    raise ValueError(f"no option grid for {method_name!r}")


# Placeholders of a whole-array method's shape in the grids, made a shape of the run's n by
# `shaped`: a matrix with both sides at least 2, one batch of such matrices, or a tall
# matrix. Without one, Muon takes a wide matrix and Adafactor a vector.
MATRIX, BATCHED, TALL = "matrix", "batched", "tall"
WHOLE = ("adafactor", "muon")


def _sides(n, low):
    """(rows, cols), rows <= cols, rows * cols == n, rows the largest divisor at most
    sqrt(n) (at least `low`; None when n has none)."""
    rows = max((d for d in range(1, int(n**0.5) + 1) if n % d == 0), default=1)
    return (rows, n // rows) if rows >= low else None


def fit_size(method_name, options, n):
    """The smallest size from n up that ``options``' shape placeholder admits (a matrix of
    Adafactor needs two sides of at least 2; a batch of them an even size too)."""
    placeholder = options.get("shape")
    if method_name != "adafactor" or placeholder not in (MATRIX, BATCHED, TALL):
        return n
    while _sides(n, 2) is None or (placeholder == BATCHED and n % 2):
        n += 1
    return n


def shaped(method_name, options, n):
    """``options`` for a run of n elements: a whole-array method's shape placeholder made a
    shape of n (Muon always gets one). Element-wise methods' options are returned as given."""
    if method_name not in WHOLE:
        return options
    shape = options.get("shape")
    shape = MATRIX if shape is None and method_name == "muon" else shape
    if shape not in (MATRIX, BATCHED, TALL):
        return options
    low = 2 if method_name == "adafactor" else 1
    sides = _sides(n, low)
    if shape == BATCHED and n % 2 == 0 and _sides(n // 2, low):
        sides = (2, *_sides(n // 2, low))
    elif shape == TALL and sides:
        sides = sides[::-1]
    if sides is None:
        raise ValueError(f"{method_name} needs a size with two factors of at least 2, not {n}")
    return {**options, "shape": sides}


# The options torch has no setting for: the other frameworks' variants (tested against those
# frameworks in test_framework_conformance.py).
FRAMEWORK_ONLY = {
    "rmsprop": ("epsilon_in_sqrt", "initial_accumulator_value", "bias_correction", "nesterov",
                "decoupled_weight_decay", "learning_rate_in_momentum"),
    "adagrad": ("epsilon_in_sqrt",),
    "adam": ("epsilon_hat", "eps_root"),
    "adamw": ("epsilon_hat", "eps_root"),
    "sgd": ("decoupled_weight_decay", "learning_rate_in_momentum"),
    "muon": ("maximize",),  # rmsopt's: torch.optim.Muon has no maximize
}  # fmt: skip


def _declared_default(method, name):
    from rmsopt._methods.registry import METHODS

    return next(o.default for o in METHODS[method].options if o.name == name)


def torch_comparable(method, options):
    """Whether torch has the configuration: not the other frameworks' variants, nor Lion."""
    if method == "lion":
        return False
    if options.get("amsgrad") == "optax":
        return False
    return all(
        options.get(name, _declared_default(method, name)) == _declared_default(method, name)
        for name in FRAMEWORK_ONLY.get(method, ())
    )


def option_id(options):
    return ",".join(f"{k}={v}" for k, v in options.items())


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return request.param


# Muon's iterates agree with its twin's to these tolerances relative to the largest element
# (float64, float32): BLAS sums the matrix products in an order of its own. The other methods'
# agree bit for bit.
MATRIX_PRODUCT_RTOL = {np.dtype(np.float64): 1e-11, np.dtype(np.float32): 1e-4}


def assert_same_iterates(name, actual, desired, err_msg=""):
    """Iterates (or states) of method ``name`` equal to the twin's: bit for bit, Muon's to
    MATRIX_PRODUCT_RTOL."""
    actual, desired = np.asarray(actual), np.asarray(desired)
    if name != "muon":
        np.testing.assert_array_equal(actual, desired, err_msg=err_msg)
        return
    tolerance = MATRIX_PRODUCT_RTOL[desired.dtype]
    scale = float(np.max(np.abs(desired), initial=0.0))
    np.testing.assert_allclose(
        actual, desired, rtol=tolerance, atol=tolerance * scale, err_msg=err_msg
    )


@contextlib.contextmanager
def products_in_the_tensors_dtype(torch, name):
    """torch's Muon with its Newton-Schulz iteration in the parameter's dtype, as rmsopt's:
    ``Tensor.bfloat16`` returns a copy in the tensor's own dtype while it runs."""
    if name != "muon":
        yield
        return
    original = torch.Tensor.bfloat16
    torch.Tensor.bfloat16 = lambda tensor, *args, **kwargs: tensor.clone()
    try:
        yield
    finally:
        torch.Tensor.bfloat16 = original


def make_kernel(method, settings):
    """The native kernel of ``method`` (a declaration) with the validated ``settings``, as
    `minimize` and the classes make it."""
    return new_kernel(method.kernel, method.kernel_settings(settings))
