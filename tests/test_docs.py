"""The documentation site builds, with Sphinx's warnings as errors, from a copy of docs/."""

import pathlib
import shutil
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).parent.parent / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("sphinx", "numpydoc", "myst_parser", "sphinx_gallery", "matplotlib"):
        pytest.importorskip(module)
    root = tmp_path_factory.mktemp("docs")
    source, output = root / "docs", root / "html"
    # The gallery and autosummary write into the source tree: build from a copy.
    ignored = shutil.ignore_patterns("_build", "auto_gallery", "generated", "sg_execution_*")
    shutil.copytree(DOCS, source, ignore=ignored)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(source),
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr
    return output


def test_the_site_builds_without_warnings(site):
    assert (site / "index.html").is_file()
    for page in ("rmsprop", "methods", "stochastic", "problems", "diagnostics", "api"):
        assert (site / f"{page}.html").is_file(), page


def test_api_pages_show_every_option(site):
    page = (site / "generated" / "rmsopt.rmsprop.html").read_text()
    for option in ("learning_rate", "rho", "epsilon_in_sqrt", "batch_size", "history"):
        assert option in page, option
    assert "Other Parameters" in page


def test_the_gallery_runs_its_examples_and_shows_their_figures(site):
    gallery = site / "auto_gallery"
    for example in ("plot_sparse_feature_regression", "plot_rosenbrock"):
        assert (gallery / f"{example}.html").is_file()
        images = list((site / "_images").glob(f"sphx_glr_{example}_*.png"))
        assert images, example
