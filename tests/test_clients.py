"""Clients nobody here wrote: statsmodels' fits, SciPy's global optimizers and a gradient
from torch.autograd, each calling rmsopt the way it calls SciPy's own methods.

statsmodels and torch are optional test dependencies: their tests skip when the package is
absent (CI installs both)."""

import pathlib
import re
import warnings

import numpy as np
import pytest
import scipy.optimize

import rmsopt

# A decaying rate: constant rates leave adaptive methods hovering near the minimiser.
CONVERGING = {
    "learning_rate": rmsopt.schedules.exponential_decay(0.05, 0.5, 1000),
    "maxiter": 20000,
    "gtol": 1e-9,
}


def logistic_data():
    rng = np.random.default_rng(0)
    sm = pytest.importorskip("statsmodels.api")
    X = sm.add_constant(rng.standard_normal((400, 3)))
    beta = np.array([0.5, -1.0, 2.0, 0.3])
    y = (rng.random(400) < 1.0 / (1.0 + np.exp(-X @ beta))).astype(float)
    return sm, X, y


@pytest.mark.parametrize("method", [rmsopt.rmsprop, rmsopt.adam])
@pytest.mark.parametrize("disp", [0, 1, False])
def test_statsmodels_logit_reaches_newtons_parameters(method, disp, capsys):
    # statsmodels passes disp (an int or a bool), maxiter and its own Hessian to every
    # method it does not know; the extra keywords become the method's options.
    sm, X, y = logistic_data()
    newton = sm.Logit(y, X).fit(disp=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the Hessian is taken in silence
        fitted = sm.Logit(y, X).fit(method="minimize", min_method=method, disp=disp, **CONVERGING)
    np.testing.assert_allclose(fitted.params, newton.params, rtol=1e-4)
    assert fitted.mle_retvals["converged"]
    printed = capsys.readouterr().out
    assert bool(printed) is bool(disp)


def test_statsmodels_glm_reaches_its_irls_parameters():
    sm, X, y = logistic_data()
    model = sm.GLM(y, X, family=sm.families.Binomial())
    irls = model.fit()
    fitted = model.fit(method="minimize", min_method=rmsopt.adam, **CONVERGING)
    np.testing.assert_allclose(fitted.params, irls.params, rtol=1e-4)


@pytest.fixture
def camel():
    return rmsopt.problems.six_hump_camel()


def local_search(method, camel):
    return {"method": method, "jac": camel.jac, "options": {**CONVERGING, "maxiter": 3000}}


def test_basinhopping_finds_the_global_minimum(camel):
    res = scipy.optimize.basinhopping(
        camel.fun,
        np.array([1.5, 1.5]),
        niter=20,
        seed=0,
        minimizer_kwargs=local_search(rmsopt.adam, camel),
    )
    assert res.fun == pytest.approx(camel.minimum, abs=1e-9)


def test_dual_annealing_finds_the_global_minimum(camel):
    bounds = list(zip(camel.bounds.lb, camel.bounds.ub, strict=True))
    res = scipy.optimize.dual_annealing(
        camel.fun, bounds, seed=0, maxiter=50, minimizer_kwargs=local_search(rmsopt.adam, camel)
    )
    assert res.fun == pytest.approx(camel.minimum, abs=1e-9)


def test_shgo_takes_rmsopts_methods_as_local_minimizers(camel):
    # shgo looks a method's arguments up under method.lower(): rmsopt's methods answer it.
    bounds = list(zip(camel.bounds.lb, camel.bounds.ub, strict=True))
    search = local_search(rmsopt.adam, camel)
    res = scipy.optimize.shgo(
        camel.fun,
        bounds,
        n=64,
        sampling_method="sobol",
        options={"jac": search.pop("jac")},
        minimizer_kwargs=search,
    )
    assert res.fun == pytest.approx(camel.minimum, abs=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_gradient_from_torch_autograd(dtype):
    torch = pytest.importorskip("torch")
    target = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float32 if dtype == np.float32 else None)

    def value_and_gradient(x):
        point = torch.from_numpy(x).requires_grad_(True)
        loss = torch.sum((point - target.to(point.dtype)) ** 2) + 0.1 * torch.sum(point**4)
        loss.backward()
        return loss.item(), point.grad.numpy()

    gtol = 1e-4 if dtype == np.float32 else 1e-9
    res = rmsopt.minimize(
        value_and_gradient,
        np.zeros(3, dtype=dtype),
        jac=True,
        method="adam",
        options={**CONVERGING, "gtol": gtol},
    )
    assert res.success and res.x.dtype == dtype
    assert np.max(np.abs(value_and_gradient(res.x.copy())[1])) <= gtol


def test_the_examples_of_docs_scipy_run_as_written():
    pytest.importorskip("statsmodels.api")
    pytest.importorskip("torch")
    page = (pathlib.Path(__file__).parent.parent / "docs" / "scipy.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks:  # in order, in one namespace, as a reader pastes them
        exec(compile(block, "docs/scipy.md", "exec"), namespace)
    assert namespace["res"].success  # the last: the autograd run
    assert namespace["fit"].mle_retvals["converged"]
