"""`python -m rmsopt` runs the demonstration the README promises."""

import ast
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from rmsopt.__main__ import DEFAULT_METHODS, DEMO_METHODS, demo_problems, format_table, run_demo


def test_module_runs_and_prints_the_table():
    completed = subprocess.run(
        [sys.executable, "-m", "rmsopt"], capture_output=True, text=True, check=True, timeout=300
    )
    out = completed.stdout
    for problem in demo_problems():
        assert problem.name in out
    for column in ("f - f*", "\\|x - x*\\|", "step", "iterations", "time [s]"):
        assert column in out


@pytest.fixture(scope="module")
def demo():
    return run_demo()


def test_demo_with_the_defaults_converges_but_on_rosenbrock_for_rmsprop_and_adagrad(demo):
    table = demo[0]
    assert len(table) == len(demo_problems()) * len(DEFAULT_METHODS)
    for row in table:
        banana = row["problem"] == "Rosenbrock (n=2)" and row["method"] != "adam"
        # Rosenbrock's curved valley is where a plain RMSprop or AdaGrad needs more than the
        # default budget (the README says so); everything else converges.
        assert row["status"] == (3 if banana else 0), row
        assert row["distance"] < (0.5 if banana else 1e-4), row


def test_demo_shows_rmsprop_ahead_of_adagrad(demo):
    table = demo[1]
    assert len(table) == len(demo_problems()) * len(DEMO_METHODS)
    rows = {(row["problem"], row["method"]): row for row in table}
    for problem in demo_problems():
        rmsprop, adagrad = rows[problem.name, "rmsprop"], rows[problem.name, "adagrad"]
        assert np.isfinite(rmsprop["fun"]) and np.isfinite(adagrad["fun"])
        assert rmsprop["distance"] < 0.05, rmsprop
        if not adagrad["success"]:
            # Where AdaGrad did not converge, its step size has decayed below RMSprop's.
            assert adagrad["step_size"] < rmsprop["step_size"], problem.name


def test_the_readme_shows_these_tables(demo):
    # The README's tables are the demonstration's output; only the times may differ.
    table = format_table(demo[0]) + "\n" + format_table(demo[1])
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()

    def without_times(line):
        cells = line.split(" | ")
        return " | ".join(cells[:6] + cells[7:])

    shown = [without_times(line) for line in readme.splitlines()]
    for line in table.splitlines()[2:]:
        assert without_times(line) in shown, line


def test_the_readme_search_example_runs_as_a_script(tmp_path):
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Many runs", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "search.py"
    script.write_text(code)
    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert completed.returncode == 0, completed.stderr
    best = ast.literal_eval(completed.stdout.strip())
    assert best["maxiter"] == 3000 and {"learning_rate", "rho"} <= set(best)


def test_the_readme_examples_run_as_written_pasted_in_order(tmp_path):
    # A reader pasting every python block of the README into one session, in order.
    pytest.importorskip("matplotlib")
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) >= 4
    script = tmp_path / "readme.py"
    script.write_text("\n".join(blocks))
    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "checkpoint.npz").is_file()
