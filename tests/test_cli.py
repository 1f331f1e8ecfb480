"""The command line: `python -m rmsopt [problems | compare ...]`."""

import subprocess
import sys

import pytest

from rmsopt import problems
from rmsopt.__main__ import main


def run(*arguments):
    return subprocess.run(
        [sys.executable, "-m", "rmsopt", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_problems_lists_the_catalogue(capsys):
    assert main(["problems"]) == 0
    out = capsys.readouterr().out
    for name, factory in problems.CATALOGUE.items():
        assert f"| {name} | {factory().name} |" in out


def test_compare_prints_one_row_per_problem_and_method(capsys):
    arguments = ["compare", "--problems", "booth,sphere", "--methods", "rmsprop,sgd"]
    assert main([*arguments, "--maxiter", "50", "--learning-rate", "0.01"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 + 4  # the header and its rule, then the runs
    assert rows[2].startswith("| Booth | rmsprop |") and rows[5].startswith(
        "| Sphere (n=10) | sgd |"
    )
    assert all(" | 50 | " in row for row in rows[2:])


def test_two_workers_print_the_same_table(capsys):
    arguments = ["compare", "--problems", "booth,beale", "--methods", "rmsprop,adam"]

    def rows_without_time(workers):
        assert main([*arguments, "--maxiter", "200", "--workers", workers]) == 0
        lines = capsys.readouterr().out.splitlines()
        # The time is the second-to-last cell.
        return [line.rsplit("|", 3)[0] + line.rsplit("|", 3)[2] for line in lines[2:]]

    serial = rows_without_time("1")
    assert len(serial) == 4
    assert rows_without_time("2") == serial


def test_the_learning_rate_reaches_every_run(capsys):
    main(
        [
            "compare",
            "--problems",
            "sphere",
            "--methods",
            "sgd",
            "--maxiter",
            "5",
            "--learning-rate",
            "0.25",
        ]
    )
    row = capsys.readouterr().out.splitlines()[2]
    assert " | 2.5e-01 | " in row  # SGD's effective step size is its learning rate


def test_a_diverging_run_reports_status_5_without_numpy_warnings():
    completed = run(
        "compare",
        "--problems",
        "rosenbrock",
        "--methods",
        "sgd",
        "--maxiter",
        "50",
        "--learning-rate",
        "0.01",
    )
    assert completed.returncode == 0
    assert "| 5 |" in completed.stdout
    assert completed.stderr == ""


def test_help_describes_the_commands():
    completed = run("--help")
    assert completed.returncode == 0
    for text in ("problems", "compare", "demonstration"):
        assert text in completed.stdout
    completed = run("compare", "--help")
    for option in ("--problems", "--methods", "--maxiter", "--learning-rate", "--workers"):
        assert option in completed.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["compare", "--problems", "rosenbrok"],
            "argument --problems: unknown name(s) 'rosenbrok'; choose from sphere,",
        ),
        (
            ["compare", "--methods", "rmsprop,lbfgs"],
            "argument --methods: unknown name(s) 'lbfgs'; choose from rmsprop, adagrad",
        ),
        (
            ["compare", "--problems", ","],
            "argument --problems: expected comma-separated names, got ','",
        ),
        (["compare", "--maxiter", "0"], "argument --maxiter: must be a positive integer, got '0'"),
        (["compare", "--workers", "0"], "argument --workers: must be a positive integer, got '0'"),
        (
            ["compare", "--learning-rate", "-1"],
            "argument --learning-rate: must be a positive number, got '-1'",
        ),
        (["frobnicate"], "argument command: invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_are_usage_errors_with_status_2(arguments, message):
    completed = run(*arguments)
    assert completed.returncode == 2
    assert "usage: python -m rmsopt" in completed.stderr
    assert message in completed.stderr
    assert completed.stdout == ""


def test_plot_writes_a_figure_per_problem(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "comparison.png"
    completed = run(
        "compare",
        "--problems",
        "rosenbrock,booth",
        "--methods",
        "rmsprop,adagrad",
        "--maxiter",
        "100",
        "--plot",
        str(path),
    )
    assert completed.returncode == 0, completed.stderr
    assert f"Wrote {path}." in completed.stdout
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/figure.png", "argument --plot: no directory"),
        ("figure.foo", "argument --plot: unknown figure format 'foo'"),
    ],
)
def test_plot_paths_are_checked_before_any_run(tmp_path, target, message):
    pytest.importorskip("matplotlib")
    completed = run("compare", "--maxiter", "10", "--plot", str(tmp_path / target))
    assert completed.returncode == 2
    assert message in completed.stderr
    assert completed.stdout == ""  # nothing ran


def test_plot_survives_runs_with_nothing_to_draw(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "figure.png"
    assert (
        main(
            [
                "compare",
                "--problems",
                "sphere,mlp",
                "--methods",
                "SGD,sgd",
                "--maxiter",
                "20",
                "--learning-rate",
                "1e300",
                "--plot",
                str(path),
            ]
        )
        == 0
    )
    assert path.read_bytes().startswith(b"\x89PNG")


def test_method_names_are_case_insensitive_and_deduplicated(capsys):
    main(["compare", "--problems", "booth", "--methods", "RMSprop,rmsprop", "--maxiter", "5"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| Booth")]
    assert len(rows) == 1
