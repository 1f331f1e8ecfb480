"""The one-pass step's reductions (step max-norm, finiteness of the new iterate, of the
state rows the step wrote and of the gradient), its in-place form that saves x for an undo,
and the gradient's magnitude pass, against plain NumPy."""

import numpy as np
import pytest

from rmsopt._core.kernel import magnitude, measure_step
from rmsopt._methods.registry import METHODS

from conftest import make_kernel

# Lengths around the block size (2048) and the unrolled lanes, and across the threads' split.
SIZES = [1, 15, 16, 17, 2047, 2048, 2049, 5000, 40_000]


def kernel_for(name, **options):
    method = METHODS[name]
    return make_kernel(method, method.validate(options, method.step_options)), method


def numpy_measures(x, x_out, rows):
    """What the loop needs of a step, computed plainly: whether x_out and the written rows
    are finite, and max |x_out - x| in double."""
    finite = bool(np.all(np.isfinite(x_out))) and all(np.all(np.isfinite(r)) for r in rows)
    step_norm = float(np.max(np.abs(x_out.astype(np.float64) - x.astype(np.float64))))
    return finite, step_norm


def random_step(method, n, dtype):
    """x, a gradient and a positive state block of ``method`` for n elements, seeded by n."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(dtype)
    grad = rng.standard_normal(n).astype(dtype)
    state = np.abs(rng.standard_normal((len(method.state), n))).astype(dtype)
    return x, grad, state


def written_rows(method, kernel, state_out):
    return [state_out[row] for row in range(len(method.state)) if kernel.rows_written >> row & 1]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("rmsprop", {}),
        ("rmsprop", {"centered": True, "momentum": 0.9}),
        ("adam", {"amsgrad": True}),
        ("sgd", {"momentum": 0.5}),
        ("adagrad", {}),
        ("adadelta", {}),
    ],
)
def test_a_finite_step_reports_numpys_step_norm(name, options, dtype, n):
    kernel, method = kernel_for(name, threads=2, **options)
    x, grad, state = random_step(method, n, dtype)
    x_out, state_out = np.empty_like(x), state.copy()
    measures = measure_step(kernel, x, grad, state, x_out, state_out, 3, 0.01)
    expected = numpy_measures(x, x_out, written_rows(method, kernel, state_out))
    assert measures[:3] == expected + (True,)
    # The measured step is the step: the same bits as the kernel's plain one.
    plain_x, plain_state = np.empty_like(x), state.copy()
    kernel.step(x, grad, state, 3, 0.01, plain_x, plain_state)
    np.testing.assert_array_equal(x_out, plain_x)
    np.testing.assert_array_equal(state_out, plain_state)


@pytest.mark.parametrize("n", [17, 2049, 40_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", ["first", "last", "middle"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_gradient_element_is_reported_wherever_it_is(where, bad, dtype, n):
    kernel, _ = kernel_for("rmsprop")
    grad = np.linspace(-2.0, 3.0, n).astype(dtype)
    assert magnitude(kernel, grad) == float(np.max(np.abs(grad)))
    index = {"first": 0, "last": n - 1, "middle": n // 2}[where]
    grad[index] = bad
    assert not np.isfinite(magnitude(kernel, grad))
    # The measured step reports it too, from the same pass as the step.
    x, state = np.ones(n, dtype=dtype), np.zeros((3, n), dtype=dtype)
    _, _, gradient_finite, _ = measure_step(
        kernel, x, grad, state, np.empty_like(x), state.copy(), 1, 0.1
    )
    assert not gradient_finite


@pytest.mark.parametrize("n", [17, 2049, 40_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", ["first", "last"])
def test_a_step_that_overflows_x_or_a_state_row_is_not_finite(where, dtype, n):
    # SGD with a huge gradient overflows x; RMSprop's v = g**2 overflows while x stays finite.
    index = 0 if where == "first" else n - 1
    huge = np.finfo(dtype).max
    for name, options in (("sgd", {}), ("rmsprop", {"centered": True})):
        kernel, method = kernel_for(name, **options)
        x = np.ones(n, dtype=dtype)
        grad = np.ones(n, dtype=dtype)
        grad[index] = huge
        state = np.zeros((len(method.state), n), dtype=dtype)
        x_out, state_out = np.empty_like(x), state.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            finite, *_ = measure_step(kernel, x, grad, state, x_out, state_out, 1, 4.0)
            expected, _ = numpy_measures(x, x_out, written_rows(method, kernel, state_out))
        assert finite == expected is False


def test_rows_a_configuration_does_not_write_are_not_read_for_finiteness():
    # Plain RMSprop writes square_avg only: NaN in the unused rows of the output block
    # (which the loops never fill) does not make its step non-finite.
    kernel, method = kernel_for("rmsprop")
    assert kernel.rows_written == 1 << method.state.index("square_avg")
    n = 100
    x, grad = np.ones(n), np.ones(n)
    state = np.zeros((3, n))
    state_out = np.full((3, n), np.nan)
    finite, *_ = measure_step(kernel, x, grad, state, np.empty(n), state_out, 1, 0.1)
    assert finite


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_box_is_applied_before_the_step_is_measured(dtype):
    kernel, _ = kernel_for("sgd")
    n = 3000
    x = np.zeros(n, dtype=dtype)
    grad = np.linspace(-1.0, 1.0, n).astype(dtype)
    state = np.zeros((1, n), dtype=dtype)
    lower, upper = np.full(n, -0.25), np.full(n, 0.5)
    x_out = np.empty_like(x)
    finite, step_norm, *_ = measure_step(
        kernel, x, grad, state, x_out, state.copy(), 1, 1.0, lower, upper
    )
    expected = np.clip(x - grad, lower, upper).astype(dtype)
    np.testing.assert_array_equal(x_out, expected)
    assert finite and step_norm == float(np.max(np.abs(expected.astype(np.float64))))


@pytest.mark.parametrize("n", [5, 2049, 40_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("name", "options"), [("rmsprop", {"centered": True, "momentum": 0.9}), ("adam", {})]
)
def test_a_step_in_place_saves_x_and_equals_the_step_out_of_place(name, options, dtype, n):
    kernel, method = kernel_for(name, threads=2, **options)
    x, grad, state = random_step(method, n, dtype)
    x_out, state_out = np.empty_like(x), state.copy()
    out_of_place = measure_step(kernel, x, grad, state, x_out, state_out, 2, 0.01)
    before = x.copy()
    saved, in_place_state = np.empty_like(x), state.copy()
    in_place = measure_step(kernel, x, grad, state, x, in_place_state, 2, 0.01, x_saved=saved)
    assert in_place[:3] == out_of_place[:3]
    np.testing.assert_array_equal(saved, before)
    np.testing.assert_array_equal(x, x_out)
    np.testing.assert_array_equal(in_place_state, state_out)


@pytest.mark.parametrize("n", [5, 2049, 40_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("maximize", [False, True])
def test_a_step_in_a_box_measures_the_projected_gradient_at_x(maximize, dtype, n):
    # The loops' gtol test with a box: max |x - P(x - g)| (P(x + g) when maximizing) in
    # double, from the step's pass; infinity when the gradient is not finite.
    kernel, _ = kernel_for("rmsprop", threads=2)
    rng = np.random.default_rng(n)
    lower, upper = np.full(n, -0.5), np.full(n, 0.75)
    x = rng.uniform(-0.5, 0.75, n).astype(dtype)
    x[: n // 3] = lower[: n // 3]  # some variables at a bound
    grad = (4.0 * rng.standard_normal(n)).astype(dtype)
    state = np.zeros((3, n), dtype=dtype)

    def measure(gradient):
        return measure_step(
            kernel,
            x,
            gradient,
            state,
            np.empty_like(x),
            state.copy(),
            1,
            0.01,
            lower,
            upper,
            maximize,
        )

    finite, _, gradient_finite, projected_norm = measure(grad)
    wide = x.astype(np.float64)
    descent = -grad.astype(np.float64) if maximize else grad.astype(np.float64)
    expected = float(np.max(np.abs(wide - np.clip(wide - descent, lower, upper))))
    assert finite and gradient_finite and projected_norm == expected
    grad[-1] = np.nan
    _, _, gradient_finite, projected_norm = measure(grad)
    assert not gradient_finite and projected_norm == np.inf
