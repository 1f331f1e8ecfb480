"""Framework settings other than torch's, against the frameworks themselves: optax (on jax's
CPU backend, float64 enabled) and Keras 3 (on its torch backend), each where installed.

Each test runs a fixed stream of gradients (so that rounding cannot feed back) through the
framework and through rmsopt.minimize with the options docs/methods.md gives for that setting,
for at least 200 steps, and compares every iterate."""

import os

import numpy as np
import pytest
from test_family_conformance import gradient_stream, rmsopt_iterates

import rmsopt

N, STEPS = 13, 200


@pytest.fixture(scope="module")
def optax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return pytest.importorskip("optax")


def optax_iterates(optax, transform, x0, jac, maximize=False):
    """Iterates of an optax transformation driven op by op (no jit, so no fusion)."""
    import jax.numpy as jnp

    params = jnp.asarray(x0)
    state = transform.init(params)
    iterates = [x0.copy()]
    for _ in range(STEPS):
        grad = jac(np.asarray(params))
        updates, state = transform.update(jnp.asarray(-grad if maximize else grad), state, params)
        params = optax.apply_updates(params, updates)
        iterates.append(np.asarray(params).copy())
    return np.array(iterates)


def tolerance(dtype):
    # float32: the 1e-4 relative, with an absolute floor where x crosses zero.
    return {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize(
    "options",
    [{}, {"weight_decay": 0.0}, {"weight_decay": 0.1}, {"beta1": 0.5, "beta2": 0.9}],
    ids=["defaults", "no-decay", "decay-0.1", "betas"],
)
def test_lion_matches_optax(optax, options, maximize, dtype):
    x0 = np.linspace(-1.0, 1.0, N).astype(dtype)
    keywords = {"b1": options.get("beta1", 0.9), "b2": options.get("beta2", 0.99),
                "weight_decay": options.get("weight_decay", 1e-3)}  # fmt: skip
    transform = optax.lion(1e-2, **keywords)
    theirs = optax_iterates(optax, transform, x0, gradient_stream(N, STEPS, 3), maximize)
    ours = rmsopt_iterates("lion", x0, STEPS, 1e-2, {**options, "maximize": maximize},
                           gradient_stream(N, STEPS, 3))  # fmt: skip
    np.testing.assert_allclose(ours, theirs, **tolerance(dtype))


def schedule(t):
    """A decaying rate, the same function of the step count for optax and for rmsopt."""
    return 1e-2 * 0.97**t


OPTAX_RMSPROP = [
    # (rmsopt options beyond rmsopt.defaults("rmsprop", "optax"), optax.rmsprop keywords)
    ({}, {}),
    ({"centered": True}, {"centered": True}),
    ({"bias_correction": True}, {"bias_correction": True}),
    ({"initial_accumulator_value": 0.5}, {"initial_scale": 0.5}),
    ({"momentum": 0.9}, {"momentum": 0.9}),
    ({"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "nesterov": True}),
    ({"momentum": 0.5, "centered": True, "epsilon_in_sqrt": False},
     {"momentum": 0.5, "centered": True, "eps_in_sqrt": False}),
]  # fmt: skip


@pytest.mark.parametrize("rate", [1e-2, schedule], ids=["constant", "schedule"])
@pytest.mark.parametrize("ours, theirs", OPTAX_RMSPROP, ids=lambda o: str(o) or "defaults")
def test_rmsprop_matches_optax(optax, ours, theirs, rate, dtype):
    x0 = np.linspace(-1.0, 1.0, N).astype(dtype)
    transform = optax.rmsprop(rate, decay=0.9, eps=1e-8, **theirs)
    expected = optax_iterates(optax, transform, x0, gradient_stream(N, STEPS, 4))
    options = {**rmsopt.defaults("rmsprop", "optax"), **ours}
    del options["learning_rate"]
    got = rmsopt_iterates("rmsprop", x0, STEPS, rate, options, gradient_stream(N, STEPS, 4))
    np.testing.assert_allclose(got, expected, **tolerance(dtype))


def test_the_rate_inside_the_momentum_matters_under_a_schedule(optax):
    # The optax row needs learning_rate_in_momentum: torch's form differs once the rate moves.
    x0 = np.linspace(-1.0, 1.0, N)
    expected = optax_iterates(optax, optax.rmsprop(schedule, momentum=0.9),
                              x0, gradient_stream(N, STEPS, 4))  # fmt: skip
    options = {**rmsopt.defaults("rmsprop", "optax"), "momentum": 0.9}
    del options["learning_rate"]
    options["learning_rate_in_momentum"] = False
    got = rmsopt_iterates("rmsprop", x0, STEPS, schedule, options, gradient_stream(N, STEPS, 4))
    assert np.max(np.abs(got - expected)) > 1e-3 * np.max(np.abs(expected - x0))


def test_decoupled_weight_decay_is_optax_add_decayed_weights(optax, dtype):
    x0 = np.linspace(-1.0, 1.0, N).astype(dtype)
    transform = optax.chain(
        optax.scale_by_rms(decay=0.9, eps=1e-8),
        optax.add_decayed_weights(0.1),
        optax.scale_by_learning_rate(1e-2),
    )
    expected = optax_iterates(optax, transform, x0, gradient_stream(N, STEPS, 5))
    options = {"rho": 0.9, "epsilon": 1e-8, "epsilon_in_sqrt": True, "weight_decay": 0.1,
               "decoupled_weight_decay": True}  # fmt: skip
    got = rmsopt_iterates("rmsprop", x0, STEPS, 1e-2, options, gradient_stream(N, STEPS, 5))
    np.testing.assert_allclose(got, expected, **tolerance(dtype))
    # And for SGD, optax.sgd followed by the same decay.
    transform = optax.chain(
        optax.trace(decay=0.9), optax.add_decayed_weights(0.1), optax.scale_by_learning_rate(1e-2)
    )
    expected = optax_iterates(optax, transform, x0, gradient_stream(N, STEPS, 5))
    # optax decays after the momentum trace; rmsopt's decoupled decay shrinks x, which is
    # the same thing step by step.
    options = {"momentum": 0.9, "weight_decay": 0.1, "decoupled_weight_decay": True}
    got = rmsopt_iterates("sgd", x0, STEPS, 1e-2, options, gradient_stream(N, STEPS, 5))
    np.testing.assert_allclose(got, expected, **tolerance(dtype))


OPTAX_ADAM = [
    # (method, rmsopt options, optax factory, its keywords)
    ("adam", {}, "adam", {}),
    ("adam", {"eps_root": 1e-8}, "adam", {"eps_root": 1e-8}),
    ("adam", {"amsgrad": "optax"}, "amsgrad", {}),
    ("adam", {"amsgrad": "optax", "eps_root": 1e-6}, "amsgrad", {"eps_root": 1e-6}),
    ("adamw", {"weight_decay": 1e-4}, "adamw", {}),
    ("adamw", {"weight_decay": 0.1, "eps_root": 1e-8}, "adamw",
     {"weight_decay": 0.1, "eps_root": 1e-8}),
    ("sgd", {"momentum": 0.9}, "sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}, "sgd", {"momentum": 0.9, "nesterov": True}),
]  # fmt: skip


@pytest.mark.parametrize(
    "method, ours, factory, theirs", OPTAX_ADAM, ids=[f"{r[0]}-{r[1]}" for r in OPTAX_ADAM]
)
def test_adam_and_sgd_match_optax(optax, method, ours, factory, theirs, dtype):
    x0 = np.linspace(-1.0, 1.0, N).astype(dtype)
    transform = getattr(optax, factory)(1e-2, **theirs)
    expected = optax_iterates(optax, transform, x0, gradient_stream(N, STEPS, 6))
    got = rmsopt_iterates(method, x0, STEPS, 1e-2, ours, gradient_stream(N, STEPS, 6))
    np.testing.assert_allclose(got, expected, **tolerance(dtype))


# Keras 3 on its torch backend: the optimizers driven with apply_gradients, one step at a time.
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip(f"Keras runs on {keras.backend.backend()!r}, not on torch")
    return keras


def keras_iterates(keras, optimizer, x0, jac):
    variable = keras.Variable(x0, dtype=x0.dtype.name)

    def value():  # the torch backend's tensor, read directly
        return variable.value.detach().cpu().numpy().copy()

    iterates = [x0.copy()]
    for _ in range(STEPS):
        grad = jac(value())
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(grad), variable)])
        iterates.append(value())
    return np.array(iterates)


KERAS = [
    # (method, rmsopt options beyond rmsopt.defaults(method, "keras"), Keras class, keywords)
    ("rmsprop", {}, "RMSprop", {}),
    ("rmsprop", {"momentum": 0.9}, "RMSprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": True}, "RMSprop", {"centered": True}),
    ("rmsprop", {"weight_decay": 0.1}, "RMSprop", {"weight_decay": 0.1}),
    ("adagrad", {}, "Adagrad", {}),
    ("adagrad", {"weight_decay": 0.0}, "Adagrad", {"learning_rate": 0.1}),
    ("adam", {}, "Adam", {}),
    ("adam", {"amsgrad": True}, "Adam", {"amsgrad": True}),
    ("adamw", {}, "AdamW", {}),
    ("sgd", {"momentum": 0.9}, "SGD", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}, "SGD", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"weight_decay": 0.1}, "SGD", {"weight_decay": 0.1}),
]  # fmt: skip


@pytest.mark.parametrize("method, ours, name, theirs", KERAS, ids=[f"{r[0]}-{r[3]}" for r in KERAS])
def test_keras_defaults_row_matches_keras(keras, method, ours, name, theirs, dtype):
    x0 = np.linspace(-1.0, 1.0, N).astype(dtype)
    optimizer = getattr(keras.optimizers, name)(**theirs)
    expected = keras_iterates(keras, optimizer, x0, gradient_stream(N, STEPS, 7))
    options = {**rmsopt.defaults(method, "keras"), **ours}
    rate = theirs.get("learning_rate", options.pop("learning_rate"))
    options.pop("learning_rate", None)
    got = rmsopt_iterates(method, x0, STEPS, rate, options, gradient_stream(N, STEPS, 7))
    # Keras turns Python constants (rho, 1 - rho, epsilon) into float32 tensors even for a
    # float64 variable, so its float64 steps carry float32 roundings: the 1e-6.
    # Its decoupled weight decay, x * (1 - weight_decay * lr), reads the learning rate from a
    # float32 variable, an error of about 1e-8 per step in x's scale: 1e-5 of it then.
    decoupled = method == "adamw" or options.get("decoupled_weight_decay")
    if decoupled and options.get("weight_decay"):
        loose = {"rtol": 1e-5, "atol": 1e-5 * np.max(np.abs(expected))}
    else:
        loose = {"rtol": 1e-6, "atol": 1e-8}
    np.testing.assert_allclose(
        got, expected, **(loose if dtype == np.float64 else tolerance(dtype))
    )
