"""Docstring examples of the public API run as doctests against the installed package."""

import doctest
import importlib.util

import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

PUBLIC = [getattr(rmsopt, name) for name in rmsopt.__all__ if callable(getattr(rmsopt, name))]
PUBLIC += [getattr(rmsopt.schedules, name) for name in rmsopt.schedules.__all__]
PUBLIC += [rmsopt.problems, rmsopt.problems.Problem, *rmsopt.problems.CATALOGUE.values()]
PUBLIC += [rmsopt.plot] if importlib.util.find_spec("matplotlib") else []


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda obj: obj.__name__)
def test_docstring_examples(obj):
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, obj.__name__, globs={}):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} doctest example(s) failed in {obj.__name__}"


SOLVERS = ["minimize", *METHODS, *(method.class_name for method in METHODS.values())]


@pytest.mark.parametrize("name", SOLVERS)
def test_solvers_have_examples(name):
    assert ">>> " in getattr(rmsopt, name).__doc__


WITH_EXAMPLES = [
    rmsopt.compare,
    rmsopt.effective_step_size,
    rmsopt.multistart,
    rmsopt.tune,
    *rmsopt.problems.CATALOGUE.values(),
]


@pytest.mark.parametrize("obj", WITH_EXAMPLES, ids=lambda obj: obj.__name__)
def test_tools_and_problems_have_examples(obj):
    assert ">>> " in obj.__doc__
