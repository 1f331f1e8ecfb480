"""rmsopt.plot: what each figure draws, checked on the Agg backend and in PNG files."""

import re
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rmsopt  # noqa: E402
import rmsopt.plot  # noqa: E402
from rmsopt import problems  # noqa: E402

LABELS = ["RMSprop", "AdaGrad"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_show_and_no_leaks(monkeypatch):
    def refuse_show(*args, **kwargs):
        raise AssertionError("rmsopt.plot called show()")

    monkeypatch.setattr(plt, "show", refuse_show)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def runs():
    problem = problems.rosenbrock()
    return problem, [
        rmsopt.minimize(
            problem.fun,
            problem.x0,
            jac=problem.jac,
            method=method,
            options={"learning_rate": 1e-2, "maxiter": 300, "history": True, "return_all": True},
        )
        for method in ("rmsprop", "adagrad")
    ]


def saved(ax, tmp_path):
    path = tmp_path / "figure.png"
    ax.figure.savefig(path)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    return data


def test_step_sizes_draw_the_median_and_the_band(runs, tmp_path):
    _, results = runs
    ax = rmsopt.plot.step_sizes(results, labels=LABELS)
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, result in zip(lines, results, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), result.history["nit"])
        np.testing.assert_array_equal(line.get_ydata(), result.history["step_size_median"])
    assert len(ax.collections) == 2  # one band per result
    assert ax.get_yscale() == "log"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == LABELS
    saved(ax, tmp_path)


def test_convergence_draws_the_gap_to_the_minimum(runs, tmp_path):
    problem, results = runs
    ax = rmsopt.plot.convergence(results, labels=LABELS, minimum=problem.minimum)
    for line, result in zip(ax.get_lines(), results, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), result.history["fun"] - problem.minimum)
    assert ax.get_ylabel() == "f(x) - f*"
    ax = rmsopt.plot.convergence(results[0], column="grad_norm")
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), results[0].history["grad_norm"])
    assert ax.get_legend() is None  # no labels, no legend
    saved(ax, tmp_path)


def test_trajectories_draw_the_paths_over_contours(runs, tmp_path):
    problem, results = runs
    ax = rmsopt.plot.trajectories(problem, results, labels=LABELS)
    paths = [line for line in ax.get_lines() if line.get_label() in LABELS]
    for line, result in zip(paths, results, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), np.array(result.allvecs)[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), np.array(result.allvecs)[:, 1])
    minima = [line for line in ax.get_lines() if line.get_label() == "known minima"]
    assert minima and minima[0].get_xdata()[0] == 1.0
    assert ax.collections, "contours are drawn"
    x_low, x_high = ax.get_xlim()
    assert x_low < -1.2 and x_high > 1.0  # the window holds the start and the minimiser
    saved(ax, tmp_path)


def test_trajectories_of_a_callable_in_a_given_window(runs):
    _, results = runs
    ax = rmsopt.plot.trajectories(lambda x: float(x @ x), results, bounds=((-2, 2), (-1, 3)))
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 3.0)


def test_drawing_on_given_axes(runs):
    _, results = runs
    fig, axes = plt.subplots(1, 2)
    assert rmsopt.plot.step_sizes(results, ax=axes[1]) is axes[1]
    assert not axes[0].get_lines()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda r, p: rmsopt.plot.step_sizes(r, labels=["one"]),
            ValueError,
            "The 'labels' argument must be one label per result (2). Got 1 labels instead.",
        ),
        (
            lambda r, p: rmsopt.plot.step_sizes([]),
            ValueError,
            "The 'results' argument must be an OptimizeResult or a sequence of them. Got none",
        ),
        (
            lambda r, p: rmsopt.plot.convergence(
                [rmsopt.minimize(p.fun, p.x0, jac=p.jac, options={"maxiter": 3})]
            ),
            ValueError,
            "Result 0 must be a run with the history column 'fun' (options={'history': True})",
        ),
        (
            lambda r, p: rmsopt.plot.convergence(r, column="loss"),
            ValueError,
            "The 'column' argument must be one of 'nit', 'fun', 'grad_norm'",
        ),
        (
            lambda r, p: rmsopt.plot.convergence(r, column="grad_norm", minimum=1.0),
            ValueError,
            "The 'minimum' argument must be None unless column='fun'",
        ),
        (
            lambda r, p: rmsopt.plot.trajectories(p, r, bounds=(1, 2)),
            ValueError,
            "The 'bounds' argument must be ((xmin, xmax), (ymin, ymax)) with finite xmin < xmax "
            "and ymin < ymax. Got (1, 2) instead.",
        ),
        (
            lambda r, p: rmsopt.plot.trajectories(p, r, resolution=1),
            ValueError,
            "The 'resolution' argument must be an integer in the range [2, 2**63 - 1]. Got 1",
        ),
        (
            lambda r, p: rmsopt.plot.step_sizes(
                rmsopt.minimize(p.fun, p.x0, jac=p.jac, options={"maxiter": 0, "history": True})
            ),
            ValueError,
            "Result 0 must be a run that took at least one step. Got no step instead.",
        ),
        (
            lambda r, p: rmsopt.plot.trajectories(problems.rosenbrock(n=3), r),
            ValueError,
            "The 'objective' argument must be a problem in two variables.",
        ),
        (
            lambda r, p: rmsopt.plot.trajectories(
                p, [rmsopt.minimize(p.fun, p.x0, jac=p.jac, options={"maxiter": 3})]
            ),
            ValueError,
            "Result 0 must be a run with its iterates (options={'return_all': True}).",
        ),
        (
            lambda r, p: rmsopt.plot.trajectories(3, r),
            TypeError,
            "The 'objective' argument must be a Problem or a callable f(x). Got 3 instead.",
        ),
    ],
)
def test_bad_input(runs, call, error, message):
    problem, results = runs
    with pytest.raises(error, match=re.escape(message)):
        call(results, problem)


def test_without_matplotlib_says_what_to_install(monkeypatch, runs):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"rmsopt.plot needs matplotlib: pip install"):
        rmsopt.plot.step_sizes(runs[1])


def test_a_negative_objective_needs_its_minimum():
    problem = problems.styblinski_tang()
    res = rmsopt.minimize(
        problem.fun,
        problem.x0,
        jac=problem.jac,
        options={"maxiter": 50, "history": True, "learning_rate": 0.1},
    )
    message = (
        "Result 0 must be positive values of 'fun' for a log scale (pass minimum= to "
        "plot the gap f - f*)."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.plot.convergence(res)
    ax = rmsopt.plot.convergence(res, minimum=problem.minimum)
    assert np.all(ax.get_lines()[0].get_ydata() > 0)


def test_a_gap_that_reaches_zero_stays_on_the_log_scale():
    res = rmsopt.minimize(
        lambda x: float(x @ x),
        np.ones(2),
        jac=lambda x: 2 * x,
        method="sgd",
        options={"learning_rate": 0.5, "maxiter": 3, "gtol": 0.0, "history": True},
    )
    assert res.history["fun"][-1] == 0.0
    ydata = rmsopt.plot.convergence(res, minimum=0.0).get_lines()[0].get_ydata()
    assert ydata[-1] == np.finfo(float).tiny


def test_results_from_compare_are_labelled_by_their_keys():
    _, results = rmsopt.compare(
        ["booth"],
        ["rmsprop", "adam"],
        maxiter=20,
        as_frame=False,
        options={"history": True},
        return_results=True,
    )
    ax = rmsopt.plot.step_sizes(results)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Booth rmsprop", "Booth adam"]


def scored_search():
    """A tune-like table with a repeated point, a failed point and a best cell."""
    rows = []
    for trial, (rate, rho, score) in enumerate(
        [
            (1e-3, 0.9, 4.0),
            (1e-3, 0.99, 3.0),
            (1e-2, 0.9, 0.5),
            (1e-2, 0.99, np.nan),
            (1e-1, 0.9, 2.0),
            (1e-1, 0.99, 0.25),
            (1e-1, 0.99, 0.75),  # the same point again: the better score is drawn
        ]
    ):
        rows.append({"trial": trial, "learning_rate": rate, "rho": rho, "score": score})
    return rows


def test_scores_as_a_heat_map_with_the_best_cell_framed(tmp_path):
    ax = rmsopt.plot.scores(scored_search(), "learning_rate", "rho")
    (image,) = ax.get_images()
    grid = image.get_array()
    np.testing.assert_array_equal(grid.mask, [[False, False, False], [False, True, False]])
    np.testing.assert_array_equal(grid.data[0], [4.0, 0.5, 2.0])
    assert grid.data[1, 0] == 3.0 and grid.data[1, 2] == 0.25
    texts = [text.get_text() for text in ax.texts]
    assert texts == ["4", "0.5", "2", "3", "failed", "0.25"]
    (frame,) = ax.patches
    assert frame.get_xy() == (1.5, 0.5) and frame.get_edgecolor()[:3] == (1.0, 0.0, 0.0)
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["0.001", "0.01", "0.1"]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["0.9", "0.99"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("learning_rate", "rho")
    colorbar_axes = ax.figure.axes[1]
    assert colorbar_axes.get_ylabel() == "score (lower is better), log scale"
    path = tmp_path / "scores.png"
    ax.figure.savefig(path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_scores_over_one_option_with_maximize():
    ax = rmsopt.plot.scores(scored_search(), "learning_rate", maximize=True)
    line, best = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1e-3, 1e-2, 1e-1])
    np.testing.assert_array_equal(line.get_ydata(), [4.0, 0.5, 2.0])
    np.testing.assert_array_equal(best.get_xdata(), [1e-3])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "score (higher is better)"


def test_scores_of_a_real_search_and_its_data_frame():
    quadratic = problems.quadratic(n=3)
    search = rmsopt.tune(
        quadratic.fun, quadratic.x0, {"learning_rate": [1e-3, 1e-2], "method": ["rmsprop", "adam"]},
        jac=quadratic.jac, options={"maxiter": 50},
    )  # fmt: skip
    ax = rmsopt.plot.scores(search, "method", "learning_rate")
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["rmsprop", "adam"]
    grid = ax.get_images()[0].get_array()
    table = search.table
    for j, method in enumerate(["rmsprop", "adam"]):
        for i, rate in enumerate([1e-3, 1e-2]):
            row = table[(table["method"] == method) & (table["learning_rate"] == rate)]
            assert grid[i, j] == row["score"].item()


@pytest.mark.parametrize(
    ("search", "x", "error", "message"),
    [
        ([], "learning_rate", ValueError, "The 'search' argument must be what rmsopt.tune"),
        ([{"trial": 0}], "trial", ValueError, "a table without 'score'"),
        (scored_search(), "beta1", ValueError, "The 'x' argument must be a column of the table"),
    ],
)
def test_scores_refuses_what_it_cannot_draw(search, x, error, message):
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.plot.scores(search, x)
    with pytest.raises(ValueError, match="The 'y' argument must be a column"):
        rmsopt.plot.scores(scored_search(), "rho", "beta1")
