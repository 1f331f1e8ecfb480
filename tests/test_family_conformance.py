"""Whole minimize runs of every method against torch.optim (Lion: optax.lion), iterate by
iterate.

rmsprop's own, more detailed conformance tests are in test_conformance.py. Adafactor and Muon
read x with the run's `shape`, as torch's parameter of that shape. torch's Muon computes its
Newton-Schulz products in bfloat16, rmsopt's in the run's dtype: it is compared with torch's
own code run with the bfloat16 cast removed (and, one step, with it).
"""

import contextlib

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import (
    fit_size,
    option_grid,
    option_id,
    products_in_the_tensors_dtype,
    shaped,
    torch_comparable,
)

TORCH_CLASSES = {
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
    "rprop": "Rprop",
    "asgd": "ASGD",
    "adafactor": "Adafactor",
    "muon": "Muon",
}
FAMILY = [name for name in TORCH_CLASSES if name != "rmsprop"]
CASES = [
    pytest.param(name, options, id=f"{name}-{option_id(options)}")
    for name in FAMILY
    for options in option_grid(name)
    if torch_comparable(name, options)
]


def test_every_method_but_lion_has_a_torch_class():
    assert sorted(TORCH_CLASSES) == sorted(set(METHODS) - {"lion"})


def torch_keywords(options):
    """rmsopt's option names in torch's spelling."""
    keywords = dict(options)
    if "epsilon" in keywords:
        keywords["eps"] = keywords.pop("epsilon")
    if "beta1" in keywords or "beta2" in keywords:
        keywords["betas"] = (keywords.pop("beta1", 0.9), keywords.pop("beta2", 0.999))
    if "etaminus" in keywords or "etaplus" in keywords:
        keywords["etas"] = (keywords.pop("etaminus", 0.5), keywords.pop("etaplus", 1.2))
    if "epsilon1" in keywords or "epsilon2" in keywords:
        keywords["eps"] = (keywords.pop("epsilon1", None), keywords.pop("epsilon2", 1e-3))
    keywords.pop("shape", None)  # the parameter's shape
    if "step_size_min" in keywords or "step_size_max" in keywords:
        keywords["step_sizes"] = (
            keywords.pop("step_size_min", 1e-6),
            keywords.pop("step_size_max", 50.0),
        )
    return keywords


def gradient_stream(n, n_steps, seed):
    """A jac returning a fixed sequence of gradients whatever x is, so that rounding
    differences cannot feed back (the comparison stays at rounding)."""
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.integers(-4, 2, size=(n_steps + 1, 1))
    stream = iter(rng.standard_normal((n_steps + 1, n)) * scales)
    return lambda x: next(stream).astype(x.dtype)


def torch_iterates(name, x0, n_steps, learning_rate, options, foreach, jac, bfloat16=False):
    torch = pytest.importorskip("torch")
    dtype = torch.float64 if x0.dtype == np.float64 else torch.float32
    # torch keeps the scalars of a run (NAdam's product of momentum factors, ASGD's eta and
    # mu) in its default dtype: float64 for a float64 run, as rmsopt keeps them in double.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    shape = options.get("shape") or x0.shape
    keywords = torch_keywords(options)
    if name == "muon":
        keywords.pop("foreach", None)
    else:
        keywords["foreach"] = foreach
    if name == "muon":
        keywords.pop("maximize", None)  # False: torch_comparable keeps maximize=True out
    try:
        param = torch.tensor(x0.reshape(shape), dtype=dtype, requires_grad=True)
        optimizer = getattr(torch.optim, TORCH_CLASSES[name])([param], lr=learning_rate, **keywords)
        iterates = [x0.copy()]
        for _ in range(n_steps):
            grad = jac(param.detach().numpy().reshape(-1)).reshape(shape)
            param.grad = torch.tensor(grad, dtype=dtype)
            with (
                contextlib.nullcontext() if bfloat16 else products_in_the_tensors_dtype(torch, name)
            ):
                optimizer.step()
            iterates.append(param.detach().numpy().reshape(-1).copy())
    finally:
        torch.set_default_dtype(default_dtype)
    return np.array(iterates)


def rmsopt_iterates(name, x0, n_steps, learning_rate, options, jac):
    res = rmsopt.minimize(
        lambda x: 0.0,
        x0,
        method=name,
        jac=jac,
        options={
            "learning_rate": learning_rate,
            "maxiter": n_steps,
            "gtol": 0.0,
            "return_all": True,
            **options,
        },
    )
    assert res.nit == n_steps
    return np.array(res.allvecs)


@pytest.mark.parametrize(
    "name, options, foreach",
    [
        pytest.param(*case.values, foreach, id=f"{case.id}-{'foreach' if foreach else 'for-loop'}")
        for case in CASES
        for foreach in (False, True)
        if not (foreach and case.values[0] == "muon")  # torch's Muon has no foreach form
    ],
)
def test_every_iterate_matches_torch(name, options, foreach, dtype):
    n = fit_size(name, options, 13)
    options = shaped(name, options, n)
    x0 = np.linspace(-1.0, 1.0, n).astype(dtype)
    learning_rate = 0.5 if name == "adadelta" else 1e-2
    theirs = torch_iterates(
        name, x0, 200, learning_rate, options, foreach, gradient_stream(n, 200, 1)
    )
    ours = rmsopt_iterates(name, x0, 200, learning_rate, options, gradient_stream(n, 200, 1))
    # torch's CPU kernels fuse multiply-adds; rmsopt does not (its iterates are the same on
    # every CPU), so the two agree to rounding rather than bit for bit. Muon's matrix products
    # are summed in BLAS's orders, which differ between the two.
    tolerance = 1e-13 if dtype == np.float64 else 1e-5
    if name == "muon":
        tolerance = 1e-11 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_muon_first_step_matches_torch_in_bfloat16_to_its_rounding():
    # torch rounds the momentum to bfloat16 (8 significant bits) for the Newton-Schulz
    # products: the first step, lr times that orthogonalised matrix, agrees to about 2**-8
    # of the step; later iterates drift apart as the rounding feeds back.
    x0 = np.linspace(-1.0, 1.0, 12)
    options = {"shape": (3, 4)}
    theirs = torch_iterates(
        "muon", x0, 1, 0.1, options, False, gradient_stream(12, 1, 2), bfloat16=True
    )
    ours = rmsopt_iterates("muon", x0, 1, 0.1, options, gradient_stream(12, 1, 2))
    step = ours[1] - ours[0]
    difference = np.max(np.abs(ours[1] - theirs[1])) / np.max(np.abs(step))
    assert 1e-5 < difference < 3e-2


@pytest.mark.parametrize("name", FAMILY)
def test_torch_defaults_on_rosenbrock_agree_to_the_last_bits(name):
    from scipy.optimize import rosen_der

    # 150 steps: Adadelta at its default rate of 1 turns chaotic on Rosenbrock's valley
    # after about 200, and from there any difference in the last bit grows.
    x0 = np.array([-1.2, 1.0, 0.5, 2.0, -0.3])
    # ASGD's default rate of 1e-2 is plain gradient descent's, which diverges here.
    learning_rate = 1e-4 if name == "asgd" else METHODS[name].learning_rate
    options = shaped(name, {}, 5)  # Muon's (1, 5)
    theirs = torch_iterates(name, x0, 150, learning_rate, options, False, rosen_der)
    ours = rmsopt_iterates(name, x0, 150, learning_rate, options, rosen_der)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
