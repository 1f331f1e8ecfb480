"""The effective step size: times the gradient (Adam: times the first moment), it is
the step the method actually took."""

import re

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import make_kernel
from reference import STEP_SIZES

CURVATURES = np.array([0.5, 2.0, 8.0, 30.0])


def quadratic(x):
    return 0.5 * float(np.sum(CURVATURES * x**2))


def quadratic_grad(x):
    return CURVATURES * x


# The classes' constant rates (torch's, Keras's for RMSprop).
CLASS_RATES = {"rmsprop": 1e-3, "adagrad": 1e-2, "adadelta": 1.0, "adam": 1e-3, "adamw": 1e-3,
               "sgd": 1e-3}  # fmt: skip


def last_step(method, **options):
    res = rmsopt.minimize(
        quadratic,
        np.array([1.0, -2.0, 0.5, 0.25]),
        jac=quadratic_grad,
        method=method,
        # The class's constant rate: minimize's default schedule is not what these test.
        options={
            "learning_rate": CLASS_RATES[method],
            "maxiter": 25,
            "gtol": 0.0,
            "return_all": True,
            **options,
        },
    )
    before, after = res.allvecs[-2], res.allvecs[-1]
    return res, after - before, quadratic_grad(before)


GRADIENT_SCALED = [
    ("rmsprop", {}),
    ("rmsprop", {"learning_rate": 1e-2, "rho": 0.9}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"epsilon_in_sqrt": True, "epsilon": 1e-3}),
    ("rmsprop", {"bias_correction": True, "centered": True, "epsilon": 1e-2}),
    ("rmsprop", {"initial_accumulator_value": 1.0}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.05, "epsilon": 1e-3}),
    ("sgd", {"learning_rate": 1e-2}),
    ("rmsprop", {"learning_rate": rmsopt.schedules.exponential_decay(1e-2, 0.9, 5)}),
]


@pytest.mark.parametrize(("method", "options"), GRADIENT_SCALED)
def test_step_size_times_gradient_is_the_last_step(method, options):
    res, step, grad = last_step(method, **options)
    size = rmsopt.effective_step_size(res.state, **options)
    np.testing.assert_allclose(step, -size * grad, rtol=1e-12)


@pytest.mark.parametrize("method", ["adam", "adamw"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_step_size_scales_the_first_moment(method, amsgrad):
    options = {"amsgrad": amsgrad, "learning_rate": 1e-2, "weight_decay": 0.0}
    res, step, _ = last_step(method, **options)
    size = rmsopt.effective_step_size(res.state, **options)
    np.testing.assert_allclose(step, -size * res.state["exp_avg"], rtol=1e-12)


def test_adadelta_step_size_is_the_next_step_for_a_gradient_that_keeps_v():
    options = {"rho": 0.9}
    res, _, _ = last_step("adadelta", **options)
    size = rmsopt.effective_step_size(res.state, **options)
    # A gradient g = sqrt(v) leaves v unchanged, so the next step is -size * g exactly.
    grad = np.sqrt(res.state["square_avg"])
    opt = rmsopt.Adadelta(res.x.copy(), **options)
    opt.load_state_dict(res.state)
    x_before = opt.x.copy()
    opt.step(grad)
    np.testing.assert_allclose(opt.x - x_before, -size * grad, rtol=1e-12)


def test_adagrad_decays_rmsprop_recovers():
    # The behaviour the library exists to show, in its smallest form: on the same problem,
    # Adagrad's step sizes only shrink while RMSprop's grow back as the gradients vanish.
    sizes = {}
    for method in ("adagrad", "rmsprop"):
        sizes[method] = [
            np.median(rmsopt.effective_step_size(last_step(method, maxiter=n)[0].state))
            for n in (10, 100, 1000)
        ]
    assert sizes["adagrad"][0] > sizes["adagrad"][1] > sizes["adagrad"][2]
    assert sizes["rmsprop"][2] > sizes["rmsprop"][0]


def test_works_from_an_optimizer_state_dict():
    x = np.ones(3)
    opt = rmsopt.RMSprop(x, learning_rate=0.1)
    opt.step(np.array([1.0, 2.0, 4.0]))
    size = rmsopt.effective_step_size(opt.state_dict(), learning_rate=0.1)
    # rho = 0.9: v = 0.1 * g**2 after one step.
    np.testing.assert_allclose(size, 0.1 / (np.sqrt(0.1 * np.array([1.0, 4.0, 16.0])) + 1e-8))


def test_bad_state_and_options():
    message = (
        "The 'state' argument must be a dict returned as `res.state` or by `state_dict()`. "
        "Got [1, 2] instead."
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        rmsopt.effective_step_size([1, 2])
    state = rmsopt.RMSprop(np.ones(2)).state_dict()
    message = (
        "The 'rho' option of method 'rmsprop' must be a float in the range [0, 1). Got 2.0 instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.effective_step_size(state, rho=2.0)


def test_with_momentum_it_is_the_scale_before_the_buffer():
    options = {"momentum": 0.9}
    before, _, _ = last_step("rmsprop", maxiter=24, **options)
    res, step, grad = last_step("rmsprop", **options)
    size = rmsopt.effective_step_size(res.state, **options)
    buffer, previous = res.state["momentum_buffer"], before.state["momentum_buffer"]
    np.testing.assert_allclose(step, -1e-3 * buffer, rtol=1e-12)
    np.testing.assert_allclose(1e-3 * (buffer - 0.9 * previous), size * grad, rtol=1e-9)


def test_a_state_before_any_step_is_refused():
    message = "The 'state' argument must be the state after at least one step. Got step 0 instead."
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.effective_step_size(rmsopt.Adagrad(np.ones(2)).state_dict())


STEP_SIZE_OPTIONS = [
    ("rmsprop", {}),
    ("rmsprop", {"centered": True, "bias_correction": True}),
    ("rmsprop", {"epsilon_in_sqrt": True, "epsilon": 1e-3, "rho": 0.5}),
    ("adagrad", {"lr_decay": 0.1}),
    ("adadelta", {"epsilon": 1e-3}),
    ("adam", {}),
    ("adam", {"amsgrad": True, "beta1": 0.5}),
    ("adamw", {}),
    ("sgd", {}),
]


@pytest.mark.parametrize(("method", "options"), STEP_SIZE_OPTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_native_step_size_equals_the_numpy_twin(method, options, dtype):
    declaration = METHODS[method]
    settings = declaration.validate(options, declared=declaration.step_options)
    rng = np.random.default_rng(3)
    block = np.abs(rng.normal(size=(len(declaration.state), 17))).astype(dtype)
    native = make_kernel(declaration, settings).step_size(block, 9, 0.03)
    rows = {name: block[i].astype(np.float64) for i, name in enumerate(declaration.state)}
    np.testing.assert_array_equal(native, STEP_SIZES[method](settings, rows, 9, 0.03))


@pytest.mark.parametrize("source", ["minimize", "class", "savez"])
def test_the_options_a_state_records_are_used_unless_given(source, tmp_path):
    x0 = np.linspace(0.5, 1.5, 4)
    options = {"learning_rate": 0.05, "rho": 0.8, "epsilon": 1e-6}
    if source == "minimize":
        state = rmsopt.minimize(
            lambda x: x @ x, x0, jac=lambda x: 2.0 * x,
            options={**options, "maxiter": 10, "gtol": 0.0},
        ).state  # fmt: skip
    else:
        opt = rmsopt.RMSprop(x0.copy(), **options)
        for _ in range(10):
            opt.step(2.0 * opt.x)
        state = opt.state_dict()
        if source == "savez":
            np.savez(tmp_path / "state.npz", **state)
            state = dict(np.load(tmp_path / "state.npz", allow_pickle=True))
    told = rmsopt.effective_step_size(state, **options)
    np.testing.assert_array_equal(rmsopt.effective_step_size(state), told)
    # Options given still win over the recorded ones.
    np.testing.assert_allclose(
        rmsopt.effective_step_size(state, learning_rate=0.5), 10.0 * told, rtol=1e-12
    )
    legacy = {key: value for key, value in state.items() if key != "options"}
    assert not np.array_equal(rmsopt.effective_step_size(legacy), told)  # the defaults
