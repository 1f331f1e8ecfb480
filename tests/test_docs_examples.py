"""Every ```python block of the documentation pages runs as written: each page's blocks pasted
in order into one session, in a fresh directory, as a reader would. (docs/native.md's ctypes
block loads the library docs/examples/native_objective.py compiles, which this test builds first
in the page's directory, as the page says.)"""

import importlib.util
import os
import pathlib
import re
import shutil

import numpy as np
import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(page.name for page in DOCS.glob("*.md") if "```python\n" in page.read_text())


# What a block may need that rmsopt's test extra does not install everywhere.
OPTIONAL = ("torch", "statsmodels", "dask", "matplotlib")


def installed(name):
    return importlib.util.find_spec(name) is not None


def blocks(page):
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_python_blocks_run_in_order(page, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    if page == "native.md":
        if shutil.which("cc") is None:
            pytest.skip("no C compiler: the page's library cannot be built")
        spec = importlib.util.spec_from_file_location(
            "native_objective", DOCS / "examples" / "native_objective.py"
        )
        example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(example)
        example.compile_rosenbrock(tmp_path)
    namespace = {"__name__": "__main__"}
    skipped = []
    for index, code in enumerate(blocks(page)):
        if code.lstrip().startswith(">>>"):
            continue  # a session transcript: doctests run those (tests/test_docstrings.py)
        missing = [name for name in OPTIONAL if f"import {name}" in code and not installed(name)]
        if missing:
            skipped.append((index, missing))  # the page says the block needs it
            continue
        exec(compile(code, f"{page}, block {index}", "exec"), namespace)
    assert os.getcwd() == str(tmp_path)
    if skipped:
        pytest.skip(f"blocks not run for want of optional packages: {skipped}")


def test_every_page_with_python_is_run():
    assert {"optimizers.md", "scipy.md", "stochastic.md", "parallel.md", "native.md"} <= set(PAGES)


def test_the_guides_uncertainties_are_statsmodels_and_curve_fits(tmp_path, monkeypatch):
    # docs/fitting.md: rmsopt's fit with SciPy's covariance gives statsmodels' standard errors
    # for the logistic regression; the curve fit restarted at rmsopt's solution moves little.
    sm = pytest.importorskip("statsmodels.api")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for index, code in enumerate(blocks("fitting.md")):
        exec(compile(code, f"fitting.md, block {index}", "exec"), namespace)
    reference = sm.Logit(namespace["labels"], namespace["X"]).fit(disp=0)
    np.testing.assert_allclose(namespace["fit"].x, reference.params, atol=1e-3)
    np.testing.assert_allclose(namespace["standard_errors"], reference.bse, rtol=1e-3)
    np.testing.assert_allclose(namespace["popt"], namespace["res"].x, atol=1e-3)
    assert namespace["res"].status == 0 and namespace["more"].status == 0
    assert namespace["short"].nit + namespace["more"].nit == namespace["res"].nit
