"""
A long non-convex run: Rosenbrock's valley
==========================================

On Rosenbrock's function the first gradients are large (the walls of the valley), and then the
run must follow the long, nearly flat valley floor to the minimum at (1, 1). AdaGrad's sum of
squared gradients remembers the walls for ever; its step size stays far too small for the
floor. RMSprop's moving average forgets them within a few hundred steps.
"""

import matplotlib.pyplot as plt

import rmsopt
from rmsopt import problems

problem = problems.rosenbrock(n=2)
labels = ["RMSprop", "AdaGrad", "Adam"]
runs = [
    rmsopt.minimize(
        problem.fun,
        problem.x0,
        jac=problem.jac,
        method=method,
        options={"learning_rate": 1e-2, "maxiter": 10000, "history": True, "return_all": True},
    )
    for method in ("rmsprop", "adagrad", "adam")
]

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
rmsopt.plot.trajectories(problem, runs, labels=labels, ax=axes[0])
rmsopt.plot.step_sizes(runs, labels=labels, ax=axes[1])

# %%
# The same runs in one table, with `rmsopt.compare`:
table = rmsopt.compare(
    problem,
    {name: {"learning_rate": 1e-2} for name in ("rmsprop", "adagrad", "adam")},
    maxiter=10000,
    as_frame=False,
)
for row in table:
    print(f"{row['method']:8s} |x - x*| = {row['distance']:.1e}, step size {row['step_size']:.1e}")
