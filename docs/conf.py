"""Sphinx configuration of rmsopt's documentation.

Build it with ``python -m sphinx -W -b html docs docs/_build/html`` (the ``docs`` extra);
warnings are errors.
"""

import warnings

import matplotlib

matplotlib.use("Agg")
# numpydoc does not know SciPy's "Options" section; setup() below shows it as "Other
# Parameters" before numpydoc renders a page, so its warning about the raw docstring is noise.
warnings.filterwarnings("ignore", message="Unknown section Options", category=UserWarning)

import rmsopt  # noqa: E402

project = "rmsopt"
author = "the rmsopt developers"
copyright = "2026, the rmsopt developers"
release = rmsopt.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples", "gallery/README.rst"]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_gallery",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}

html_theme = "alabaster"
html_static_path = []
html_title = "rmsopt"


def _options_as_other_parameters(app, what, name, obj, options, lines):
    """Show SciPy's ``Options`` sections (which numpydoc does not know and would drop) as
    ``Other Parameters``, with the same entries."""
    for index in range(len(lines) - 1):
        if lines[index].strip() == "Options" and set(lines[index + 1].strip()) == {"-"}:
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            lines[index] = indent + "Other Parameters"
            lines[index + 1] = indent + "-" * len("Other Parameters")


def setup(app):
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _options_as_other_parameters, priority=100)
