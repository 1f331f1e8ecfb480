"""Every ```python block of the documentation pages runs as written: each page's blocks pasted
in order into one session, in a fresh directory, as a reader would. (docs/native.md's ctypes
block loads the library docs/examples/native_objective.py compiles, which this test builds first
in the page's directory, as the page says.)"""

import importlib.util
import os
import pathlib
import re
import shutil

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(page.name for page in DOCS.glob("*.md") if "```python\n" in page.read_text())


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
    for index, code in enumerate(blocks(page)):
        if code.lstrip().startswith(">>>"):
            continue  # a session transcript: doctests run those (tests/test_docstrings.py)
        exec(compile(code, f"{page}, block {index}", "exec"), namespace)
    assert os.getcwd() == str(tmp_path)


def test_every_page_with_python_is_run():
    assert {"optimizers.md", "scipy.md", "stochastic.md", "parallel.md", "native.md"} <= set(PAGES)
