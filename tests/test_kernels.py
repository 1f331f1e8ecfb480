"""The native RMSprop kernel against its plain-NumPy twin, step by step."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmsopt._core.method_kernels import RMSpropKernel
from rmsopt._methods.rmsprop import RMSPROP

from conftest import option_id, rmsprop_option_grid
from reference import RMSPROP_DEFAULTS, RMSpropReference

KERNEL_ONLY = {"initial_accumulator_value"}


def make_kernel(**options):
    settings = {**RMSPROP_DEFAULTS, "threads": 1, **options}
    return RMSpropKernel({k: v for k, v in settings.items() if k not in KERNEL_ONLY})


def native_state(n, dtype, initial_accumulator_value=0.0):
    state = np.zeros((len(RMSPROP.state), n), dtype=dtype)
    state[RMSPROP.state.index("square_avg")] = initial_accumulator_value
    return state


def run_both(x0, grads, learning_rate, options):
    """Step the kernel and the twin through the same gradients; return both x histories."""
    dtype = x0.dtype
    kernel = make_kernel(**options)
    state = native_state(x0.size, dtype, options.get("initial_accumulator_value", 0.0))
    x = x0.copy()
    twin = RMSpropReference(x0, learning_rate, **options)
    native_history, twin_history = [], []
    for step, grad in enumerate(grads, start=1):
        kernel.step(x, grad, state, step, learning_rate)
        twin.step(grad)
        native_history.append(x.copy())
        twin_history.append(twin.x.copy())
    return np.array(native_history), np.array(twin_history), state, twin


@pytest.mark.parametrize("options", rmsprop_option_grid(), ids=option_id)
@pytest.mark.parametrize("n", [1, 7, 33])
def test_kernel_matches_twin(options, n, dtype):
    rng = np.random.default_rng(n)
    x0 = rng.standard_normal(n).astype(dtype)
    grads = [
        (rng.standard_normal(n) * 10.0 ** rng.integers(-4, 2)).astype(dtype) for _ in range(25)
    ]
    native, twin, state, reference = run_both(x0, grads, 1e-2, options)
    tolerance = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(native, twin, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(state[0], reference.square_avg, rtol=tolerance, atol=0)
    if options.get("centered"):
        np.testing.assert_allclose(state[1], reference.grad_avg, rtol=tolerance, atol=tolerance)
    if options.get("momentum"):
        np.testing.assert_allclose(state[2], reference.momentum_buffer, rtol=tolerance, atol=0)


def test_kernel_float64_is_bitwise_equal_to_twin():
    # The twin orders operations as the kernel's documented equations do; the portable
    # build has no FMA contraction, so the results agree to the last bit.
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(101)
    grads = [rng.standard_normal(101) for _ in range(50)]
    native, twin, _, _ = run_both(x0, grads, 1e-3, {"momentum": 0.5, "weight_decay": 1e-3})
    np.testing.assert_array_equal(native, twin)


def test_kernel_accepts_read_only_gradient(dtype):
    grad = np.ones(5, dtype=dtype)
    grad.flags.writeable = False
    x = np.zeros(5, dtype=dtype)
    make_kernel().step(x, grad, native_state(5, dtype), 1, 0.1)
    assert np.all(x < 0)


def test_kernel_does_not_touch_gradient(dtype):
    grad = np.linspace(-1, 1, 9).astype(dtype)
    before = grad.copy()
    make_kernel(maximize=True, weight_decay=0.1).step(
        np.ones(9, dtype=dtype), grad, native_state(9, dtype), 1, 0.1
    )
    np.testing.assert_array_equal(grad, before)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_kernel_propagates_non_finite_like_twin(bad, dtype):
    grad = np.array([1.0, bad, -2.0], dtype=dtype)
    native, twin, _, _ = run_both(np.ones(3, dtype=dtype), [grad], 1e-2, {})
    np.testing.assert_array_equal(np.isfinite(native), np.isfinite(twin))
    np.testing.assert_allclose(native[:, [0, 2]], twin[:, [0, 2]], rtol=1e-6)


def test_centered_variance_is_clamped_where_torch_gives_nan():
    # Under a constant gradient v - m**2 = rho**t (1 - rho**t) g**2 decays to zero and then
    # rounds below zero for some elements; the unclamped formula (torch's) gives NaN there.
    grad = np.linspace(0.1, 3.0, 64)
    x = np.zeros(64)
    kernel, state = make_kernel(centered=True), native_state(64, np.float64)
    square_avg, grad_avg = np.zeros(64), np.zeros(64)
    went_negative = np.zeros(64, dtype=bool)
    for step in range(1, 1000):
        kernel.step(x, grad, state, step, 1e-3)
        square_avg = square_avg * 0.9 + (1.0 - 0.9) * grad * grad
        grad_avg = grad_avg + (1.0 - 0.9) * (grad - grad_avg)
        went_negative |= square_avg - grad_avg * grad_avg < 0
    assert went_negative.any(), "the test must reach the rounding case it guards"
    assert np.all(np.isfinite(x))


@given(
    rho=st.floats(0.0, 0.999),
    epsilon=st.floats(0.0, 1e-2),
    momentum=st.floats(0.0, 0.99),
    weight_decay=st.floats(0.0, 0.1),
    centered=st.booleans(),
    epsilon_in_sqrt=st.booleans(),
    bias_correction=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_kernel_matches_twin_for_any_options(
    rho, epsilon, momentum, weight_decay, centered, epsilon_in_sqrt, bias_correction, seed
):
    rng = np.random.default_rng(seed)
    options = {
        "rho": rho,
        "epsilon": max(epsilon, 1e-12),
        "momentum": momentum,
        "weight_decay": weight_decay,
        "centered": centered,
        "epsilon_in_sqrt": epsilon_in_sqrt,
        "bias_correction": bias_correction,
    }
    x0 = rng.standard_normal(11)
    grads = [rng.standard_normal(11) for _ in range(10)]
    native, twin, _, _ = run_both(x0, grads, 1e-2, options)
    np.testing.assert_allclose(native, twin, rtol=1e-11, atol=1e-13)
