"""AdaGrad against RMSprop on the sparse-feature regression: the figure in the README.

Run from the repository root: ``python docs/examples/adagrad_vs_rmsprop.py``; it writes
``docs/images/adagrad_vs_rmsprop.png``.
"""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rmsopt  # noqa: E402
import rmsopt.plot  # noqa: E402
from rmsopt import problems  # noqa: E402

OUT = pathlib.Path(__file__).parent.parent / "images" / "adagrad_vs_rmsprop.png"


def main():
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
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
    rmsopt.plot.trajectories(problem, runs, labels=labels, ax=axes[0])
    axes[0].set_xlabel("intercept")
    axes[0].set_ylabel("slope")
    rmsopt.plot.convergence(runs, labels=labels, minimum=problem.minimum, ax=axes[1])
    rmsopt.plot.step_sizes(runs, labels=labels, ax=axes[2])
    fig.suptitle(
        "Sparse-feature regression, learning rate 1e-2 for both: AdaGrad's step size decays "
        "and it stalls; RMSprop's recovers"
    )
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, dpi=80)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
