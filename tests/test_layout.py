"""The package's layout: folders are layers, each importing only those below it, with no
import cycles; a method is its declaration, its equations and one row of the kernel table."""

import ast
import re
from pathlib import Path

import pytest

from rmsopt._methods.registry import METHODS

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rmsopt"

# Lowest first. A module may import from its own folder and from the layers below its own.
LAYERS = (
    ("_checks", "kernels"),  # errors, constraints, options; the public Cython interface
    ("_methods", "schedules"),  # the methods as data; learning-rate schedules
    ("_core", "problems"),  # the native run loop and kernels; the test problems
    ("_front",),  # minimize, the classes, argument checking, results
    ("_search", "plot"),  # multistart, tune, compare; figures
    ("__init__", "__main__"),  # the public namespace; the command line
)
LAYER_OF = {part: index for index, parts in enumerate(LAYERS) for part in parts}

_CYTHON_IMPORT = re.compile(r"^\s*(?:from\s+([.\w]+)\s+c?import\b|c?import\s+([.\w]+))", re.M)


def source_files():
    return sorted(
        path
        for path in PACKAGE.rglob("*")
        if path.suffix in (".py", ".pyx", ".pxd", ".tp") and "__pycache__" not in path.parts
    )


def module_name(path):
    parts = list(path.relative_to(PACKAGE).parts)
    parts[-1] = parts[-1].split(".")[0]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(["rmsopt", *parts])


def resolve(module, path, target, level):
    """The absolute name of an import of ``target`` at ``level`` dots in ``module``."""
    if level == 0:
        return target
    package = module.split(".") if path.name.startswith("__init__") else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports(path, top_level_only=False):
    """The absolute names of the modules (or packages) ``path`` imports."""
    module = module_name(path)
    text = path.read_text()
    if path.suffix != ".py":
        names = []
        for match in _CYTHON_IMPORT.finditer(text):
            target = match.group(1) or match.group(2)
            level = len(target) - len(target.lstrip("."))
            names.append(resolve(module, path, target.lstrip("."), level))
        return names
    tree = ast.parse(text)
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = resolve(module, path, node.module or "", node.level)
            if node.module is None:  # "from . import plot" imports the module rmsopt.plot
                names.extend(f"{base}.{alias.name}" for alias in node.names)
            else:
                names.append(base)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def part(module):
    """The top folder or module of ``module`` inside rmsopt (``"__init__"`` for rmsopt)."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def test_every_file_belongs_to_a_layer():
    assert {part(module_name(path)) for path in source_files()} <= set(LAYER_OF)


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_down_the_layers(path):
    source = part(module_name(path))
    for name in imports(path):
        if name != "rmsopt" and not name.startswith("rmsopt."):
            continue
        target = part(name)
        if target == source:
            continue
        assert LAYER_OF[target] < LAYER_OF[source], (
            f"{module_name(path)} imports {name}: {source} is on layer {LAYER_OF[source]}, "
            f"{target} on layer {LAYER_OF[target]}"
        )


def module_graph():
    """Module-level imports between rmsopt's Python modules."""
    paths = [path for path in source_files() if path.suffix == ".py"]
    modules = {module_name(path) for path in paths}
    graph = {}
    for path in paths:
        targets = set()
        for name in imports(path, top_level_only=True):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                targets.add(name)
        graph[module_name(path)] = targets
    return graph


def longest_chains(graph):
    """The number of nodes on the longest import chain from each node of ``graph``; fails on
    a cycle."""
    depth = {}

    def longest(node, trail):
        assert node not in trail, "import cycle: " + " -> ".join([*trail, node])
        if node not in depth:
            depth[node] = 1 + max(
                (longest(target, (*trail, node)) for target in graph.get(node, ())), default=0
            )
        return depth[node]

    for node in graph:
        longest(node, ())
    return depth


def test_modules_import_each_other_without_cycles():
    longest_chains(module_graph())


def test_folders_import_each_other_at_most_six_deep():
    # Between folders (and the top-level modules), module-level imports of Python and Cython
    # code form chains of at most six: a floor per layer.
    graph = {}
    for path in source_files():
        source = part(module_name(path))
        targets = graph.setdefault(source, set())
        for name in imports(path):
            if name.startswith("rmsopt.") and part(name) != source:
                targets.add(part(name))
    assert max(longest_chains(graph).values()) <= 6


def test_the_top_of_the_package_holds_the_layers_and_the_public_modules():
    entries = {path.name for path in PACKAGE.iterdir() if path.name != "__pycache__"}
    assert len(entries) <= 12, sorted(entries)


@pytest.mark.parametrize("name", sorted({method.kernel for method in METHODS.values()}))
def test_a_kernel_is_named_in_its_equations_its_declaration_and_the_table(name):
    # Adding a method touches its declaration (_methods/<name>.py and the registry's list),
    # its equations (kernels/<name>.pxd) and one row of _core/method_kernels.pyx.tp: no
    # per-method glue elsewhere, no per-method lines in the build.
    pattern = re.compile(rf"\b{name}\b", re.I)
    named = {
        str(path.relative_to(PACKAGE))
        for path in [*source_files(), *PACKAGE.rglob("meson.build")]
        if pattern.search(path.read_text()) and "__pycache__" not in path.parts
    }
    assert {f"kernels/{name}.pxd", f"_methods/{name}.py", "_core/method_kernels.pyx.tp"} <= named
    glue = named - {
        f"kernels/{name}.pxd",
        f"_methods/{name}.py",
        "_methods/registry.py",
        "_core/method_kernels.pyx.tp",
    }
    # Documentation may mention a method by name; code outside these files may not.
    for relative in glue:
        code = _code_only(PACKAGE / relative)
        assert not pattern.search(code), f"{relative} names {name!r} outside its docs"


def _code_only(path):
    """``path``'s text without comments, docstrings and string literals (Python), or without
    comments (Cython and meson)."""
    text = path.read_text()
    if path.suffix != ".py":
        return "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.unparse(tree)
