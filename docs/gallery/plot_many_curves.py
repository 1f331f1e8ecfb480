"""
Ten thousand curves at once: the distribution of fitted decay rates
===================================================================

``y = a exp(-k t) + b`` fitted to 10,000 noisy curves of 50 points each (a curve per pixel,
per cell, per sensor), with one call of ``rmsopt.minimize_batch``: the objective evaluates
every curve still being fitted in one vectorised NumPy call, each fit stops on its own, and
each one is exactly the run ``rmsopt.minimize`` makes of its curve alone. The left panel shows
the distribution of the fitted rates beside the true ones, the right one each curve's fitted
rate against its true rate, and the iterations each fit took.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

import rmsopt

rng = np.random.default_rng(0)
m = 10_000
t = np.linspace(0.0, 4.0, 50)
true = np.column_stack([rng.uniform(1, 3, m), rng.lognormal(0.0, 0.35, m), rng.uniform(0, 1, m)])
Y = true[:, :1] * np.exp(-true[:, 1:2] * t) + true[:, 2:] + 0.05 * rng.standard_normal((m, 50))


def fun(P, Y):
    """Mean squared residual of every running curve (rows (a, k, b) of P against the rows of
    Y) and its gradient."""
    e = np.exp(-P[:, 1:2] * t)
    r = P[:, :1] * e + P[:, 2:] - Y
    grad = np.stack([(r * e).mean(1), -(P[:, :1] * t * e * r).mean(1), r.mean(1)], axis=1)
    return 0.5 * (r * r).mean(1), grad


started = time.perf_counter()
res = rmsopt.minimize_batch(fun, np.ones((m, 3)), jac=True, args=(Y,), method="rmsprop")
seconds = time.perf_counter() - started
print(f"{m} fits in {seconds:.1f} s; {np.mean(res.success):.1%} converged (gtol), "
      f"median {np.median(res.nit):.0f} iterations")  # fmt: skip

# One curve's result is minimize's own result for it.
alone = rmsopt.minimize(lambda p: tuple(v[0] for v in fun(p[None], Y[:1])), np.ones(3), jac=True)
assert np.array_equal(alone.x, res.x[0]) and alone.nit == res[0].nit

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
bins = np.linspace(0.2, 3.0, 60)
axes[0].hist(true[:, 1], bins=bins, alpha=0.5, label="true k")
axes[0].hist(res.x[:, 1], bins=bins, histtype="step", linewidth=2, label="fitted k")
axes[0].set(xlabel="decay rate k", ylabel="curves", title="Fitted rates of 10,000 curves")
axes[0].legend()
points = axes[1].scatter(true[:, 1], res.x[:, 1], c=res.nit, s=2, cmap="viridis")
axes[1].plot([0.2, 3.0], [0.2, 3.0], color="black", linewidth=0.8)
axes[1].set(xlabel="true k", ylabel="fitted k", title="Each curve's fit")
fig.colorbar(points, ax=axes[1], label="iterations")
plt.show()
