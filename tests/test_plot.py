"""rmsopt.plot: what each figure draws, checked on the Agg backend and in PNG files."""

import io
import re
import sys

import numpy as np
import pytest
from scipy.optimize import OptimizeResult

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


def test_a_negative_objective_on_a_linear_scale_or_as_a_gap():
    problem = problems.styblinski_tang()
    res = rmsopt.minimize(
        problem.fun,
        problem.x0,
        jac=problem.jac,
        options={"maxiter": 50, "history": True, "learning_rate": 0.1},
    )
    ax = rmsopt.plot.convergence(res)
    assert ax.get_yscale() == "linear"
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), res.history["fun"])
    assert "losses are negative: linear scale" in notes(ax)
    ax = rmsopt.plot.convergence(res, minimum=problem.minimum)
    assert np.all(ax.get_lines()[0].get_ydata() > 0)
    assert ax.get_yscale() == "log" and not ax.texts


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


# Runs a figure must survive: diverged, non-finite, constant, one step or none, negative losses.
# Each figure is drawn without an exception and says in a note what it could not draw.


def io_png(ax):
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    return buffer.getvalue()


def notes(ax):
    """What the figure says it left out: the texts written in the Axes."""
    return "\n".join(text.get_text() for text in ax.texts)


def finite_points(line):
    xy = np.asarray(line.get_xydata(), dtype=float)
    return xy[np.all(np.isfinite(xy), axis=1)]


def diverged(learning_rate=1.0):
    """Plain gradient descent with far too large a step: Rosenbrock's values overflow."""
    problem = problems.rosenbrock()
    with np.errstate(over="ignore", invalid="ignore"):  # the objective overflows at the end
        res = rmsopt.minimize(
            problem.fun,
            problem.x0,
            jac=problem.jac,
            method="sgd",
            options={
                "learning_rate": learning_rate,
                "maxiter": 50,
                "history": True,
                "return_all": True,
            },
        )
    assert res.status == rmsopt.Status.NONFINITE
    return problem, res


def stored_in_float32(res):
    """The run as a float32 store keeps it: what overflows float32 becomes inf."""
    with np.errstate(over="ignore"):
        history = {name: column.astype(np.float32) for name, column in res.history.items()}
        allvecs = [x.astype(np.float32) for x in res.allvecs]
    return OptimizeResult({**res, "history": history, "allvecs": allvecs})


def run(problem, x0=None, **options):
    return rmsopt.minimize(
        problem.fun,
        problem.x0 if x0 is None else x0,
        jac=problem.jac,
        options={"history": True, "return_all": True, **options},
    )


def at_the_minimiser():
    """A run started at Rosenbrock's minimiser: zero gradient, stopped at iteration 0."""
    problem = problems.rosenbrock()
    res = run(problem, x0=np.ones(2))
    assert res.nit == 0 and res.history["grad_norm"][0] == 0.0 and res.fun == 0.0
    return problem, res


def with_a_failing_run():
    """compare's results where one run raised (status ERROR: no history, no iterates)."""

    def fails(x):
        raise RuntimeError("the objective failed")

    failing = problems.Problem(
        name="Failing", fun=fails, jac=lambda x: 2 * x, x0=np.ones(2), convex=True,
        character="raises",
    )  # fmt: skip
    _, results = rmsopt.compare(
        [failing, "booth"],
        ["rmsprop"],
        maxiter=20,
        as_frame=False,
        options={"history": True, "return_all": True},
        return_results=True,
    )
    assert [res.status for res in results.values()][0] == rmsopt.Status.ERROR
    return results


def test_convergence_of_a_diverged_run():
    _, res = diverged()
    ax = rmsopt.plot.convergence(res, labels=["SGD"])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), res.history["fun"])
    assert ax.get_yscale() == "log"
    assert "SGD: diverged after iteration 3" in notes(ax)


@pytest.mark.parametrize("column", ["fun", "grad_norm"])
def test_convergence_leaves_out_non_finite_values(column):
    _, res = diverged(learning_rate=1e3)
    stored = stored_in_float32(res)
    values = stored.history[column]
    missing = int(np.sum(~np.isfinite(values)))
    assert missing > 0
    ax = rmsopt.plot.convergence(stored, column=column)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(finite_points(line)[:, 1], values[np.isfinite(values)])
    assert ax.get_yscale() == "log"
    noun = "value" if missing == 1 else "values"
    assert f"{missing} non-finite {noun} not shown" in notes(ax)
    assert io_png(ax).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("column", ["fun", "grad_norm"])
def test_convergence_of_a_constant_zero_run(column):
    _, res = at_the_minimiser()
    ax = rmsopt.plot.convergence(res, column=column)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(finite_points(line), [[0.0, 0.0]])
    assert line.get_marker() == "o"  # a single point is a marker
    assert ax.get_yscale() == "linear"
    assert f"{column!r} is 0 throughout (a log scale cannot show 0): linear scale" in notes(ax)


def test_convergence_leaves_out_zero_gradient_norms_on_the_log_scale():
    res = rmsopt.minimize(
        lambda x: float(x @ x),
        np.ones(2),
        jac=lambda x: 2 * x,
        method="sgd",
        options={"learning_rate": 0.5, "maxiter": 3, "gtol": 0.0, "history": True},
    )
    assert res.history["grad_norm"][-1] == 0.0
    ax = rmsopt.plot.convergence(res, column="grad_norm", labels=["SGD"])
    (line,) = ax.get_lines()
    assert ax.get_yscale() == "log"
    assert np.all(finite_points(line)[:, 1] > 0) and len(finite_points(line)) >= 1
    assert "SGD: 1 value ≤ 0 not shown (log scale)" in notes(ax)


def test_convergence_of_one_iteration_is_a_marker():
    res = run(problems.rosenbrock(), maxiter=1)
    ax = rmsopt.plot.convergence(res, column="step_norm")
    (line,) = ax.get_lines()
    assert line.get_marker() == "o"
    np.testing.assert_array_equal(finite_points(line), [[1.0, res.history["step_norm"][1]]])
    assert not ax.texts  # the NaN before the first step is no missing value


def test_convergence_of_zero_iterations_says_there_is_no_step():
    res = run(problems.rosenbrock(), maxiter=0)
    ax = rmsopt.plot.convergence(res, column="step_norm")
    assert "no step taken: no 'step_norm' to draw" in notes(ax)
    ax = rmsopt.plot.convergence(res, column="fun")  # the start is still a point
    np.testing.assert_array_equal(finite_points(ax.get_lines()[0]), [[0.0, res.fun]])


def test_convergence_of_negative_losses():
    problem = problems.six_hump_camel()
    res = run(problem, learning_rate=0.05, maxiter=200)
    assert res.history["fun"].min() < 0
    ax = rmsopt.plot.convergence(res)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), res.history["fun"])
    assert ax.get_yscale() == "linear"
    assert "losses are negative: linear scale" in notes(ax)
    ax = rmsopt.plot.convergence(res, minimum=problem.minimum)  # the gap, on a log scale
    assert ax.get_yscale() == "log" and np.all(ax.get_lines()[0].get_ydata() > 0)


def test_step_sizes_of_a_diverged_run():
    _, res = diverged()
    ax = rmsopt.plot.step_sizes(res, labels=["SGD"])
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), res.history["step_size_median"])
    assert ax.collections and ax.get_yscale() == "log"
    assert "SGD: diverged after iteration 3" in notes(ax)


def test_step_sizes_leave_out_non_finite_values(runs):
    _, (res, _) = runs
    history = {name: column.copy() for name, column in res.history.items()}
    history["step_size_max"][5] = np.inf  # a record with gaps, as a lossy store leaves it
    history["step_size_median"][7] = np.nan
    ax = rmsopt.plot.step_sizes(OptimizeResult({**res, "history": history}))
    (line,) = ax.get_lines()
    assert len(finite_points(line)) == len(history["nit"]) - 2  # neither step 0 nor step 7
    assert ax.get_yscale() == "log" and ax.collections
    assert "2 non-finite values not shown" in notes(ax)


@pytest.mark.parametrize(
    "start", [pytest.param(None, id="no-iteration"), pytest.param(np.ones(2), id="zero-gradient")]
)
def test_step_sizes_of_a_run_without_a_step(start):
    res = run(problems.rosenbrock(), x0=start, maxiter=0 if start is None else 100)
    assert res.nit == 0
    ax = rmsopt.plot.step_sizes(res, labels=["RMSprop"])
    assert "RMSprop: no step taken: no 'step_size_median' to draw" in notes(ax)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["RMSprop"]
    io_png(ax)


def test_step_sizes_of_one_iteration_are_a_marker_and_a_bar():
    res = run(problems.rosenbrock(), maxiter=1)
    ax = rmsopt.plot.step_sizes(res)
    (line,) = ax.get_lines()
    assert line.get_marker() == "o"
    np.testing.assert_array_equal(finite_points(line), [[1.0, res.history["step_size_median"][1]]])
    (bar,) = ax.collections
    (segment,) = bar.get_segments()
    np.testing.assert_allclose(
        segment, [[1.0, res.history["step_size_min"][1]], [1.0, res.history["step_size_max"][1]]]
    )


def test_trajectories_of_a_diverged_run():
    problem, res = diverged()
    ax = rmsopt.plot.trajectories(problem, res, labels=["SGD"])
    path = next(line for line in ax.get_lines() if line.get_label() == "SGD")
    np.testing.assert_array_equal(path.get_xydata(), np.array(res.allvecs))
    assert ax.collections, "contours are drawn"
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    allvecs = np.array(res.allvecs)
    assert x_low < allvecs[:, 0].min() and x_high > allvecs[:, 0].max()
    assert y_low < allvecs[:, 1].min() and y_high > allvecs[:, 1].max()
    assert "SGD: diverged after iteration 3" in notes(ax)
    io_png(ax)


def test_trajectories_leave_out_non_finite_iterates():
    problem, res = diverged(learning_rate=1e3)
    stored = stored_in_float32(res)
    allvecs = np.array(stored.allvecs, dtype=float)
    finite = np.all(np.isfinite(allvecs), axis=1)
    assert not np.all(finite)
    ax = rmsopt.plot.trajectories(problem, stored)
    path = ax.get_lines()[0]
    np.testing.assert_array_equal(finite_points(path), allvecs[finite])
    assert np.all(np.isfinite(ax.get_xlim() + ax.get_ylim()))
    assert ax.collections, "contours are drawn"
    count = int(np.sum(~finite))
    assert f"{count} non-finite iterate{'' if count == 1 else 's'} not shown" in notes(ax)
    io_png(ax)


def test_trajectories_where_the_objective_is_not_finite():
    def barrier(x):  # not finite for x <= 0, which the window's margin reaches
        return float(np.sum(x - np.log(x)))

    res = rmsopt.minimize(
        barrier,
        np.array([3.0, 0.2]),
        jac=lambda x: 1 - 1 / x,
        options={"learning_rate": 0.05, "maxiter": 200, "return_all": True},
    )
    ax = rmsopt.plot.trajectories(barrier, res)
    assert ax.collections, "contours are drawn where f is finite"
    assert ax.get_ylim()[0] < 0
    assert "f is not finite on" in notes(ax) and "of the window: no contours there" in notes(ax)


def test_trajectories_over_a_constant_objective(runs):
    _, results = runs
    ax = rmsopt.plot.trajectories(lambda x: 1.0, results[0])
    assert not ax.collections
    assert len(finite_points(ax.get_lines()[0])) == len(results[0].allvecs)
    assert "f is constant (1): no contours" in notes(ax)


@pytest.mark.parametrize(
    "draw",
    [
        rmsopt.plot.convergence,
        rmsopt.plot.step_sizes,
        lambda results: rmsopt.plot.trajectories(problems.booth(), results),
    ],
    ids=["convergence", "step_sizes", "trajectories"],
)
def test_a_run_that_raised_is_named_and_the_others_drawn(draw):
    ax = draw(with_a_failing_run())
    assert "Failing rmsprop: the run raised (RuntimeError: the objective failed)" in notes(ax)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "Failing rmsprop" in labels and "Booth rmsprop" in labels
    booth = next(line for line in ax.get_lines() if line.get_label() == "Booth rmsprop")
    assert len(finite_points(booth)) > 0
