"""Whole minimize runs of every method against torch.optim (Lion: optax.lion), iterate by
iterate.

rmsprop's own, more detailed conformance tests are in test_conformance.py.
"""

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import option_grid, option_id, torch_comparable

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


def torch_iterates(name, x0, n_steps, learning_rate, options, foreach, jac):
    torch = pytest.importorskip("torch")
    dtype = torch.float64 if x0.dtype == np.float64 else torch.float32
    # torch keeps the scalars of a run (NAdam's product of momentum factors, ASGD's eta and
    # mu) in its default dtype: float64 for a float64 run, as rmsopt keeps them in double.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        param = torch.tensor(x0, dtype=dtype, requires_grad=True)
        optimizer = getattr(torch.optim, TORCH_CLASSES[name])(
            [param], lr=learning_rate, foreach=foreach, **torch_keywords(options)
        )
        iterates = [x0.copy()]
        for _ in range(n_steps):
            param.grad = torch.tensor(jac(param.detach().numpy()), dtype=dtype)
            optimizer.step()
            iterates.append(param.detach().numpy().copy())
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


@pytest.mark.parametrize("foreach", [False, True], ids=["for-loop", "foreach"])
@pytest.mark.parametrize("name, options", CASES)
def test_every_iterate_matches_torch(name, options, foreach, dtype):
    x0 = np.linspace(-1.0, 1.0, 13).astype(dtype)
    learning_rate = 0.5 if name == "adadelta" else 1e-2
    theirs = torch_iterates(
        name, x0, 200, learning_rate, options, foreach, gradient_stream(13, 200, 1)
    )
    ours = rmsopt_iterates(name, x0, 200, learning_rate, options, gradient_stream(13, 200, 1))
    # torch's CPU kernels fuse multiply-adds; rmsopt does not (its iterates are the same on
    # every CPU), so the two agree to rounding rather than bit for bit.
    tolerance = 1e-13 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", FAMILY)
def test_torch_defaults_on_rosenbrock_agree_to_the_last_bits(name):
    from scipy.optimize import rosen_der

    # 150 steps: Adadelta at its default rate of 1 turns chaotic on Rosenbrock's valley
    # after about 200, and from there any difference in the last bit grows.
    x0 = np.array([-1.2, 1.0, 0.5, 2.0, -0.3])
    # ASGD's default rate of 1e-2 is plain gradient descent's, which diverges here.
    learning_rate = 1e-4 if name == "asgd" else METHODS[name].learning_rate
    theirs = torch_iterates(name, x0, 150, learning_rate, {}, False, rosen_der)
    ours = rmsopt_iterates(name, x0, 150, learning_rate, {}, rosen_der)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
