"""
Tuning RMSprop's learning rate and decay
========================================

RMSprop has two knobs that matter most: the learning rate, and the decay ``rho`` of the moving
average of squared gradients (how long the optimizer remembers past gradients).
`rmsopt.tune` tries every combination of a grid, each a full `rmsopt.minimize` run, and returns
a table of every trial; `rmsopt.plot.scores` draws that table as a map a reader takes in at a
glance. Pass ``workers=2`` (or a Dask cluster's executor) to run the trials in parallel: the
table is the same, apart from its timings.
"""

import matplotlib.pyplot as plt
import numpy as np

import rmsopt
from rmsopt import problems

# %%
# Rosenbrock's valley, scored by the objective after 3000 iterations. With too small a learning
# rate the run reaches the valley floor but has not travelled along it to the minimum at (1, 1);
# with too large a one it rattles around the minimum at a distance that grows with the rate. A
# short memory (small ``rho``) makes each step close to ``learning_rate * sign(gradient)``; a
# long one smooths the steps along the floor.
rosenbrock = problems.rosenbrock(n=2)
search = rmsopt.tune(
    rosenbrock.fun,
    rosenbrock.x0,
    {"learning_rate": np.logspace(-4, -1, 7), "rho": [0.5, 0.9, 0.99, 0.999]},
    jac=rosenbrock.jac,
    options={"maxiter": 3000},
)
print(f"best of {len(search.table)} trials: {search.best_options} -> f = {search.best_score:.3g}")

fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
rmsopt.plot.scores(search, "learning_rate", "rho", ax=ax)
ax.set_title("RMSprop on Rosenbrock: f after 3000 iterations")

# %%
# On data, score what a model does on samples it was not trained on. With ``cv=5`` each trial
# trains on four fifths of the samples (here in minibatches of 32, two epochs) and is scored by
# the mean loss on the held-out fifth, for each fifth in turn. The ``seed`` fixes the folds and
# the minibatch order, so every trial sees the same data and the table is reproducible.
classification = problems.logistic_regression(n_samples=400, n_features=5)
cross_validated = rmsopt.tune(
    classification.fun,
    classification.x0,
    {"learning_rate": np.logspace(-3, 0, 7)},
    args=classification.args,
    jac=classification.jac,
    options={"batch_size": 32, "epochs": 2},
    cv=5,
    seed=0,
)
fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
rmsopt.plot.scores(cross_validated, "learning_rate", ax=ax)
ax.set_title("RMSprop on logistic regression: held-out loss, 5-fold cross-validation")
cross_validated.table[["learning_rate", "score", "score_std", "nit", "time"]]
