"""
Fitting your own model: a decaying exponential, with uncertainties
==================================================================

The first example of the guide (docs/fitting.md): ``y = a exp(-k t) + b`` fitted to 50 noisy
points with ``rmsopt.minimize`` and no options. The default learning rate starts at 0.1 and is
halved whenever the loss goes 20 iterations without a new low, so the run converges rather than
hovering. SciPy's ``curve_fit``, started at rmsopt's solution, gives the parameters' covariance,
drawn here as a band of curves; L-BFGS-B reaches the same minimum in fewer iterations.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import curve_fit, minimize

import rmsopt

rng = np.random.default_rng(0)
t = np.linspace(0.0, 4.0, 50)
y = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.05 * rng.standard_normal(t.size)


def model(t, a, k, b):
    return a * np.exp(-k * t) + b


def fun(p):
    a, k, b = p
    e = np.exp(-k * t)
    r = a * e + b - y
    return 0.5 * np.mean(r**2), np.array([r @ e, -a * (r @ (t * e)), r.sum()]) / t.size


res = rmsopt.minimize(fun, np.ones(3), jac=True, options={"history": True})
popt, pcov = curve_fit(model, t, y, p0=res.x)
reference = minimize(fun, np.ones(3), jac=True, method="L-BFGS-B")

fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
draws = rng.multivariate_normal(popt, pcov, size=200)
fine = np.linspace(0.0, 4.0, 200)
for draw in draws:
    axes[0].plot(fine, model(fine, *draw), color="tab:blue", alpha=0.03)
axes[0].plot(t, y, "k.", label="data")
axes[0].plot(fine, model(fine, *res.x), color="tab:red", label="rmsopt's fit")
axes[0].set(xlabel="t", ylabel="y", title="the fit, and 200 draws from its covariance")
axes[0].legend()
rmsopt.plot.convergence(res, labels=["RMSprop, defaults"], minimum=reference.fun, ax=axes[1])
axes[1].set_title(f"f - f(L-BFGS-B), {res.nit} iterations (L-BFGS-B: {reference.nit})")
axes[2].plot(res.history["nit"], res.history["learning_rate"])
axes[2].set(xlabel="iteration", ylabel="learning rate", yscale="log",
            title="the default rate, halved as the loss stalls")  # fmt: skip

# %%
# The parameters with their standard errors (from ``curve_fit``'s covariance):
for name, value, error in zip("akb", popt, np.sqrt(np.diag(pcov)), strict=True):
    print(f"{name} = {value:.3f} +- {error:.3f}")
