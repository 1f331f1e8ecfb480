"""
AdaGrad against RMSprop on the sparse-feature regression
=========================================================

The design matrix of this least-squares problem has a column of ones (the intercept) beside a
column of diverse values, so the loss is steep along the slope and shallow along the intercept.
Both methods divide the learning rate by the root of accumulated squared gradients, AdaGrad by
their **sum** and RMSprop by their **moving average**. The sum only grows: AdaGrad's step size
decays while the steep direction is still being fitted, and it has too little left for the
shallow one. RMSprop forgets, and its step size grows back as the gradients shrink.
"""

import matplotlib.pyplot as plt

import rmsopt
from rmsopt import problems

problem = problems.sparse_feature_regression()
labels = ["RMSprop", "AdaGrad"]
runs = [
    rmsopt.minimize(
        problem.fun,
        problem.x0,
        args=problem.args,
        jac=problem.jac,
        method=method,
        options={"learning_rate": 1e-2, "maxiter": 5000, "history": True, "return_all": True},
    )
    for method in ("rmsprop", "adagrad")
]

# %%
# The paths over the loss contours: both start along the steep slope direction; AdaGrad stops
# short of the minimiser (the star), RMSprop reaches it and hovers within about the learning
# rate.
fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
rmsopt.plot.trajectories(problem, runs, labels=labels, ax=axes[0])
axes[0].set_xlabel("intercept")
axes[0].set_ylabel("slope")
rmsopt.plot.convergence(runs, labels=labels, minimum=problem.minimum, ax=axes[1])
rmsopt.plot.step_sizes(runs, labels=labels, ax=axes[2])

# %%
# The numbers behind the figure:
for label, res in zip(labels, runs, strict=True):
    print(
        f"{label:8s} distance to the minimiser {problem.distance(res.x):.1e}, "
        f"final median step size {res.history['step_size_median'][-1]:.1e}"
    )
