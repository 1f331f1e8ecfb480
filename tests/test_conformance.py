"""Whole runs of minimize against the NumPy twin and against torch.optim.RMSprop."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

import rmsopt

from conftest import option_id, rmsprop_option_grid
from reference import reference_iterates

TORCH_OPTIONS = [
    o
    for o in rmsprop_option_grid()
    if set(o) <= {"momentum", "centered", "weight_decay", "maximize"}
]


def objective_for(options, fun=rosen, jac=rosen_der):
    """The objective, negated when maximizing so that every run heads somewhere sensible."""
    sign = -1.0 if options.get("maximize") else 1.0
    return (lambda x: sign * fun(x)), (lambda x: sign * jac(x))


def wavy(x):
    """Non-convex, smooth, and with a gradient that stays finite wherever a wild first step
    lands (centered bias-corrected RMSprop divides by epsilon at step 1)."""
    return float(np.sum(0.5 * x**2 + np.sin(3.0 * x)))


def wavy_der(x):
    return x + 3.0 * np.cos(3.0 * x)


def rmsopt_iterates(x0, n_steps, learning_rate, options, fun=rosen, jac=rosen_der):
    fun, jac = objective_for(options, fun, jac)
    res = rmsopt.minimize(
        fun,
        x0,
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


@pytest.mark.parametrize("options", rmsprop_option_grid(), ids=option_id)
def test_minimize_iterates_match_twin(options, dtype):
    x0 = np.array([-1.2, 1.0, 0.5, 2.0], dtype=dtype)
    ours = rmsopt_iterates(x0, 200, 1e-2, options, wavy, wavy_der)
    _, jac = objective_for(options, wavy, wavy_der)
    twin = reference_iterates(jac, x0, 200, 1e-2, **options)
    assert ours.dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours, twin, rtol=tolerance, atol=tolerance)


def torch_iterates(x0, n_steps, learning_rate, options, foreach, jac, rho=0.9, epsilon=1e-8):
    torch = pytest.importorskip("torch")
    dtype = torch.float64 if x0.dtype == np.float64 else torch.float32
    param = torch.tensor(x0, dtype=dtype, requires_grad=True)
    optimizer = torch.optim.RMSprop(
        [param],
        lr=learning_rate,
        alpha=rho,
        eps=epsilon,
        momentum=options.get("momentum", 0.0),
        centered=options.get("centered", False),
        weight_decay=options.get("weight_decay", 0.0),
        maximize=options.get("maximize", False),
        foreach=foreach,
    )
    iterates = [x0.copy()]
    for _ in range(n_steps):
        param.grad = torch.tensor(jac(param.detach().numpy()), dtype=dtype)
        optimizer.step()
        iterates.append(param.detach().numpy().copy())
    return np.array(iterates)


def gradient_stream(n, n_steps, seed):
    """A jac that returns a fixed sequence of gradients whatever x is, so that rounding
    differences cannot feed back into later gradients (the comparison stays at rounding)."""
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.integers(-6, 2, size=(n_steps + 1, 1))
    stream = iter(rng.standard_normal((n_steps + 1, n)) * scales)
    return lambda x: next(stream).astype(x.dtype)


@pytest.mark.parametrize("foreach", [False, True], ids=["for-loop", "foreach"])
@pytest.mark.parametrize("options", TORCH_OPTIONS, ids=option_id)
def test_every_iterate_matches_torch(options, foreach, dtype):
    x0 = np.linspace(-1.0, 1.0, 13).astype(dtype)
    stream = objective_for(options, np.sum, gradient_stream(13, 200, 1))[1]
    theirs = torch_iterates(x0, 200, 1e-2, options, foreach, stream)
    ours = rmsopt_iterates(x0, 200, 1e-2, options, np.sum, gradient_stream(13, 200, 1))
    tolerance = 1e-13 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize(
    "rho, epsilon, centered, momentum",
    [
        (0.0, 1e-8, False, 0.0),
        (0.0, 1e-8, False, 0.5),
        # (rho=0, centered) is left out: its variance estimate is g**2 - g**2, which torch's
        # fused multiply-add rounds below zero (NaN), the case rmsopt clamps on purpose.
        (0.3, 1e-6, False, 0.0),
        (0.3, 1e-6, True, 0.5),
        (0.99, 1e-3, False, 0.5),
        (0.99, 1e-3, True, 0.0),
        (0.9, 0.0, False, 0.0),
        (0.9, 0.0, True, 0.5),
    ],
)
def test_other_rho_and_epsilon_match_torch(rho, epsilon, centered, momentum, dtype):
    options = {"centered": centered, "momentum": momentum}
    x0 = np.linspace(-1.0, 1.0, 9).astype(dtype)
    theirs = torch_iterates(x0, 100, 1e-2, options, False, gradient_stream(9, 100, 2), rho, epsilon)
    ours = rmsopt_iterates(
        x0,
        100,
        1e-2,
        {**options, "rho": rho, "epsilon": epsilon},
        np.sum,
        gradient_stream(9, 100, 2),
    )
    tolerance = 1e-13 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("options", TORCH_OPTIONS, ids=option_id)
def test_whole_run_on_a_quadratic_matches_torch(options):
    scales = np.logspace(0, 2, 6)

    def quadratic_der(x):
        return scales * (x - 0.5)

    # 100 steps: the approach to the minimum. Once there, RMSprop's steps of about lr * sign(g)
    # make the iterates chaotic, and rounding differences grow to the size of the oscillation.
    x0 = np.linspace(-2.0, 2.0, 6)
    jac = objective_for(options, np.sum, quadratic_der)[1]
    theirs = torch_iterates(x0, 100, 1e-2, options, False, jac)
    ours = rmsopt_iterates(x0, 100, 1e-2, options, np.sum, quadratic_der)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-12)


def test_torch_default_settings_match_to_the_last_bits():
    x0 = np.array([-1.2, 1.0, 0.5, 2.0, -0.3])
    theirs = torch_iterates(x0, 500, 1e-3, {}, False, rosen_der)
    ours = rmsopt_iterates(x0, 500, 1e-3, {})
    np.testing.assert_array_max_ulp(ours, theirs, maxulp=4)


def test_torch_centered_gives_nan_where_rmsopt_does_not():
    torch = pytest.importorskip("torch")
    grad = np.linspace(0.1, 3.0, 64)
    param = torch.zeros(64, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.RMSprop([param], lr=1e-3, centered=True, alpha=0.9)
    for _ in range(1000):
        param.grad = torch.tensor(grad)
        optimizer.step()
    assert torch.isnan(param).any(), "torch's documented behaviour that rmsopt departs from"

    res = rmsopt.minimize(
        lambda x: float(grad @ x),
        np.zeros(64),
        jac=lambda x: grad,
        options={"centered": True, "maxiter": 1000, "gtol": 0.0},
    )
    assert res.status == rmsopt.Status.MAXITER
    assert np.all(np.isfinite(res.x))
