"""Every method's native kernel against its plain-NumPy twin, step by step.

The kernels and the twins order the same IEEE operations in the same way and the
build forbids fused multiply-adds, so the iterates and states agree bit for bit in
both precisions; but Muon's, whose matrix products BLAS sums in an order of its own.
"""

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import (
    assert_same_iterates,
    fit_size,
    make_kernel,
    option_grid,
    option_id,
    shaped,
)
from reference import REFERENCES, clip_gradient

CASES = [
    pytest.param(name, options, id=f"{name}-{option_id(options) or 'defaults'}")
    for name in METHODS
    for options in option_grid(name)
]


def sized(name, options, n):
    """``options`` and the size of a run near n that their shape admits."""
    n = fit_size(name, options, n)
    return shaped(name, options, n), n


def kernel_and_state(name, options, n, dtype):
    method = METHODS[name]
    options = shaped(name, options, n)
    settings = method.validate(options, method.step_options)
    state = np.zeros((len(method.state), n), dtype=dtype)
    for row, value in method.initial_state(settings).items():
        state[method.state.index(row)] = value
    return make_kernel(method, settings), state


def gradient_stream(rng, n, dtype, count=25):
    """Gradients over six orders of magnitude, as noisy training produces them."""
    return [
        (rng.standard_normal(n) * 10.0 ** rng.integers(-4, 2)).astype(dtype) for _ in range(count)
    ]


@pytest.mark.parametrize("name, options", CASES)
@pytest.mark.parametrize("n", [1, 33])
def test_kernel_equals_twin_bitwise(name, options, n, dtype):
    options, n = sized(name, options, n)
    rng = np.random.default_rng(n)
    x0 = rng.standard_normal(n).astype(dtype)
    kernel, state = kernel_and_state(name, options, n, dtype)
    twin = REFERENCES[name](x0, **options)
    x = x0.copy()
    rates = 10.0 ** rng.uniform(-3, -1, size=25)  # a schedule's changing rate
    for step, (grad, rate) in enumerate(
        zip(gradient_stream(rng, n, dtype), rates, strict=True), start=1
    ):
        kernel.step(x, grad, state, step, rate)
        twin.step(grad, rate)
        assert_same_iterates(name, x, twin.x, err_msg=f"x at step {step}")
    for row, values in zip(METHODS[name].state, state, strict=True):
        assert_same_iterates(name, values, twin.state[row], err_msg=row)


def out_of_place_cases():
    """Every method's last option set, and the loops with constant flags, which have
    out-of-place copies of their own: RMSprop's four (plain, centered, momentum, both), AdamW's
    four (with and without decay, with and without amsgrad) and SGD's momentum with and
    without Nesterov."""
    cases = [(name, option_grid(name)[-1]) for name in METHODS]
    for centered in (False, True):
        for momentum in (0.0, 0.9):
            cases.append(("rmsprop", {"centered": centered, "momentum": momentum}))
    for weight_decay in (0.0, 0.01):
        for amsgrad in (False, True):
            cases.append(("adamw", {"weight_decay": weight_decay, "amsgrad": amsgrad}))
    for nesterov in (False, True):
        cases.append(("sgd", {"momentum": 0.9, "nesterov": nesterov}))
    return cases


@pytest.mark.parametrize(("name", "options"), out_of_place_cases())
def test_out_of_place_step_equals_in_place_and_leaves_inputs(name, options, dtype):
    rng = np.random.default_rng(1)
    options, n = sized(name, options, 17)
    kernel, state = kernel_and_state(name, options, n, dtype)
    x = rng.standard_normal(n).astype(dtype)
    for step, grad in enumerate(gradient_stream(rng, n, dtype, count=3), start=1):
        x_before, state_before = x.copy(), state.copy()
        x_out, state_out = np.full_like(x, np.nan), state.copy()
        kernel.step(x, grad, state, step, 0.01, x_out, state_out)
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(state, state_before)
        kernel.step(x, grad, state, step, 0.01)
        np.testing.assert_array_equal(x_out, x)
        np.testing.assert_array_equal(state_out, state)


@pytest.mark.parametrize("name", list(METHODS))
def test_kernel_writes_the_rows_the_twin_changes(name, dtype):
    # Rows a configuration does not use are neither read nor written: the driver's double
    # buffering relies on them staying equal in both buffers.
    options = {"momentum": 0.9} if name == "sgd" else {}
    kernel, state = kernel_and_state(name, options, 5, dtype)
    before = state.copy()
    kernel.step(np.ones(5, dtype=dtype), np.ones(5, dtype=dtype), state, 1, 0.01)
    twin = REFERENCES[name](np.ones(5, dtype=dtype), **shaped(name, options, 5))
    twin_before = {row: values.copy() for row, values in twin.state.items()}
    twin.step(np.ones(5, dtype=dtype), 0.01)
    rows = METHODS[name].state
    changed = {row for row, a, b in zip(rows, state, before, strict=True) if np.any(a != b)}
    assert changed == {row for row in rows if np.any(twin.state[row] != twin_before[row])}
    assert changed


@pytest.mark.parametrize("clipping", [{"clipnorm": 0.5}, {"clipvalue": 0.05}])
def test_clipping_equals_keras_definition_in_the_twin(clipping):
    # The driver clips in double and rounds once; the twin follows Keras's expression.
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) * scale for scale in (0.01, 1.0, 10.0, 100.0)]
    optimizer = rmsopt.Adam(x0.copy(), learning_rate=0.1, **clipping)
    twin = REFERENCES["adam"](x0, learning_rate=0.1)
    for grad in grads:
        optimizer.step(grad)
        twin.step(clip_gradient(grad, **clipping))
    np.testing.assert_allclose(optimizer.x, twin.x, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", list(METHODS))
def test_kernel_state_rows_match_the_declaration(name):
    kernel, state = kernel_and_state(name, {}, 3, np.float64)
    assert kernel.state_rows == len(METHODS[name].state) == state.shape[0]


@pytest.mark.parametrize(
    "x, grad, state, match",
    [
        (np.ones(3), np.ones(2), np.zeros((3, 3)), "grad and x_out of shape"),
        (np.ones(3), np.ones(3), np.zeros((3, 2)), "state blocks of shape"),
        (np.ones(3), np.ones(3), np.zeros((1, 3)), "state blocks of shape"),
    ],
)
def test_python_kernel_step_checks_what_the_native_step_trusts(x, grad, state, match):
    kernel, _ = kernel_and_state("adam", {}, 3, np.float64)
    with pytest.raises(ValueError, match=match):
        kernel.step(x, grad, state, 1, 0.1)


def test_python_kernel_step_on_empty_arrays_does_nothing():
    kernel, state = kernel_and_state("rmsprop", {}, 0, np.float64)
    kernel.step(np.ones(0), np.ones(0), state, 1, 0.1)
