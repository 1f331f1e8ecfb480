"""The catalogue as a whole: every entry is a Problem that minimize accepts, with a
consistent record of what is known about it."""

import pathlib
import pickle
import re

import numpy as np
import pytest

import rmsopt
from rmsopt import problems

DOCS = pathlib.Path(__file__).parent.parent / "docs" / "problems.md"
NAMES = list(problems.CATALOGUE)


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_is_a_consistent_problem(name):
    problem = problems.get(name)
    assert isinstance(problem, problems.Problem)
    assert problem.x0.shape == (problem.n,) and not problem.x0.flags.writeable
    value = problem.fun(problem.x0, *problem.args)
    assert isinstance(value, float) and np.isfinite(value)
    grad = problem.jac(problem.x0, *problem.args)
    assert grad.shape == (problem.n,) and np.all(np.isfinite(grad))
    if problem.minimizers is not None:
        assert problem.minimizers.shape[1] == problem.n
        assert problem.distance(problem.minimizers[-1]) == 0.0
        assert problem.minimum is not None
        for point in problem.minimizers:
            assert problem.fun(point, *problem.args) == pytest.approx(problem.minimum, abs=1e-12)
        assert problem.minimum <= value
    else:
        assert np.isnan(problem.distance(problem.x0))
    if problem.args:
        assert problem.n_samples == len(problem.args[0])
    else:
        assert problem.n_samples is None
    assert repr(problem) == (
        f"<Problem {problem.name!r}: {'convex' if problem.convex else 'non-convex'}, n={problem.n}>"
    )


@pytest.mark.parametrize("name", NAMES)
def test_minimize_makes_progress_from_the_recommended_start(name):
    problem = problems.get(name)
    res = rmsopt.minimize(
        problem.fun,
        problem.x0,
        args=problem.args,
        jac=problem.jac,
        method="adam",
        options={"learning_rate": 1e-2, "maxiter": 300},
    )
    assert res.fun < problem.fun(problem.x0, *problem.args)


def test_get_passes_parameters():
    assert problems.get("rosenbrock", n=5).n == 5


def test_get_refuses_unknown_names():
    message = "The problem name must be the name of a problem in the catalogue: sphere, "
    with pytest.raises(ValueError, match=re.escape(message)):
        problems.get("rosenbrok")


def test_the_documentation_lists_every_entry():
    text = DOCS.read_text()
    for name in NAMES:
        assert f"| `{name}` |" in text, name


def test_distance_is_to_the_nearest_minimiser():
    himmelblau = problems.himmelblau()
    point = himmelblau.minimizers[2] + np.array([0.3, -0.4])
    assert himmelblau.distance(point) == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize("name", ["rosenbrock", "quadratic", "logistic_regression", "mlp"])
def test_an_unpickled_problem_is_read_only_and_equal(name):
    problem = problems.get(name)
    copy = pickle.loads(pickle.dumps(problem))
    assert not copy.x0.flags.writeable
    assert all(not item.flags.writeable for item in copy.args)
    assert copy.fun(copy.x0, *copy.args) == problem.fun(problem.x0, *problem.args)
    assert copy.name == problem.name and copy.convex == problem.convex
