"""`python -m rmsopt` runs the demonstration the README promises."""

import subprocess
import sys

import numpy as np

from rmsopt._demo import PROBLEMS, run_demo


def test_module_runs_and_prints_the_table():
    completed = subprocess.run(
        [sys.executable, "-m", "rmsopt"], capture_output=True, text=True, check=True, timeout=120
    )
    out = completed.stdout
    for problem in PROBLEMS:
        assert problem.name in out
    for column in ("f(x)", "|x - x*|", "iters", "time"):
        assert column in out


def test_demo_results_are_near_the_known_minimisers(capsys):
    rows = run_demo()
    capsys.readouterr()
    assert [row["problem"] for row in rows] == [p.name for p in PROBLEMS]
    for row in rows:
        assert row["distance to minimiser"] < 1e-2, row
        assert np.isfinite(row["f(x)"])
    assert rows[0]["converged"], "the convex quadratic reaches gtol"
