"""Docstring examples of the public API run as doctests against the installed package."""

import doctest
import importlib.util
import inspect

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


# Functions and classes (the modules' docstrings run their examples above, without a section).
EVERY_PUBLIC = (
    [obj for obj in PUBLIC if not inspect.ismodule(obj)]
    + [getattr(rmsopt.plot, name) for name in rmsopt.plot.__all__]
    + [getattr(rmsopt.problems, name) for name in rmsopt.problems.__all__ if name != "CATALOGUE"]
)


@pytest.mark.parametrize("obj", EVERY_PUBLIC, ids=lambda obj: obj.__name__)
def test_every_public_name_has_an_examples_section(obj):
    assert "\n    Examples\n    --------\n" in (obj.__doc__ or "") or (
        "\nExamples\n--------\n" in (obj.__doc__ or "")
    ), f"{obj.__name__} has no numpydoc Examples section"
