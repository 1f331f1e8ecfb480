"""rmsopt.defaults: the options that give a method a framework's defaults, checked against
torch.optim's own defaults by running both."""

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import products_in_the_tensors_dtype


@pytest.fixture
def torch64():
    """torch with float64 as its default dtype, in which it keeps a float64 model's scalars
    (NAdam's mu_product, ASGD's eta and mu) as rmsopt keeps them."""
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


@pytest.mark.parametrize("name", [name for name in METHODS if "torch" in METHODS[name].frameworks])
def test_torch_defaults_step_as_torch_optim_with_its_defaults(name, torch64):
    torch = torch64
    # Muon takes matrices: a row of 7 for both.
    shape = (1, 7) if name == "muon" else (7,)
    target = np.linspace(-1.0, 2.0, 7).reshape(shape)
    parameter = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64))
    # torch's class of the same name, with its own defaults
    optimizer = getattr(torch.optim, METHODS[name].class_name)([parameter])
    x = np.zeros(shape)
    opt = getattr(rmsopt, METHODS[name].class_name)(x, **rmsopt.defaults(name, "torch"))
    for _ in range(50):
        parameter.grad = parameter.detach() - torch.from_numpy(target)
        with products_in_the_tensors_dtype(torch, name):  # Muon's, as rmsopt's
            optimizer.step()
        opt.step(x - target)
    np.testing.assert_allclose(x, parameter.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_rmsprops_own_defaults_are_not_torchs_and_the_difference_is_named():
    torch_defaults = rmsopt.defaults("rmsprop", "torch")
    assert (torch_defaults["learning_rate"], torch_defaults["rho"]) == (1e-2, 0.99)
    assert rmsopt.RMSprop(np.zeros(2)).rho == 0.9  # Keras's
    assert rmsopt.defaults("RMSprop", "keras")["epsilon"] == 1e-7
    assert rmsopt.defaults("rmsprop", "tf1")["initial_accumulator_value"] == 1.0


def test_unknown_frameworks_and_methods_are_refused():
    with pytest.raises(ValueError, match=r"The 'framework' argument must be one of 'torch'"):
        rmsopt.defaults("adadelta", "keras")
    with pytest.raises(ValueError, match="'method'"):
        rmsopt.defaults("lbfgs")
