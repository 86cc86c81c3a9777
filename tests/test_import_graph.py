"""No import cycle inside `chalicelib/` or isctl's package, and no import across layers.

Each module is read with `ast`, never imported, so the test needs nothing installed and
sees imports that run only when a function is called. Every import counts, at module level
or inside a function: a function-level import is how a cycle usually hides, working until
someone moves it up. Imports under `if TYPE_CHECKING:` are left out, as they never run
(services/import_pool.py and services/imports.py name each other's types that way: a cycle
for type checkers only). Relative imports are resolved against the module's package.

An edge goes to the most specific module that exists: `from a.b import c` is an edge to
`a.b.c` when that is a module, and to `a.b` when `c` is a name defined there. Parent
packages that Python loads on the way (`a`, for `import a.b`) are not edges: within one
package they are loaded before any of their modules (counting them finds no other cycle
today).
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {  # package name: the folder that holds it
    "chalicelib": ROOT / "chalicelib",
    "isctl": ROOT / "isctl" / "src" / "isctl",
}

Graph = dict[str, set[str]]


def module_names(package: str, folder: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name; a package by its `__init__.py`."""
    modules = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of the tree, at any depth, except under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _most_specific(name: str, modules: dict[str, Path]) -> str | None:
    """`name` when it is one of the modules, else its longest prefix that is, else None."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of `modules` that `module` imports."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            # `from base import x`: x is a submodule when one has that name, else a name in base
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                     for alias in node.names]
        for name in names:
            target = _most_specific(name, modules)
            if target and target != module:
                targets.add(target)
    return targets


def import_graph(package: str, folder: Path) -> Graph:
    modules = module_names(package, folder)
    return {module: imported_modules(module, path, modules) for module, path in modules.items()}


def cyclic_sets(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    members = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.add(member)
                        if member == node:
                            break
                    if len(members) > 1:
                        found.append(frozenset(members))
    return found


def one_cycle(graph: Graph, members: frozenset[str]) -> list[str]:
    """A shortest import path from the set's first module back to itself, inside the set."""
    start = min(members)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & members):
                if successor == start:
                    return paths[node] + [start]
                if successor not in paths:
                    paths[successor] = paths[node] + [successor]
                    following.append(successor)
        frontier = following
    raise AssertionError(f"{sorted(members)} is not cyclic")


def describe(graph: Graph, members: frozenset[str]) -> str:
    return (" -> ".join(one_cycle(graph, members))
            + f"  (all of {len(members)} in the cycle: {', '.join(sorted(members))})")


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle(package: str) -> None:
    graph = import_graph(package, PACKAGES[package])
    cycles = cyclic_sets(graph)
    assert not cycles, "import cycles:\n" + "\n".join(describe(graph, c) for c in cycles)


def test_the_graph_sees_function_level_relative_and_type_checking_imports(tmp_path: Path
                                                                        ) -> None:
    folder = tmp_path / "pkg"
    (folder / "sub").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "sub" / "__init__.py").write_text("from .b import thing\n")
    (folder / "a.py").write_text("def f():\n    from .sub import b\n")
    (folder / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import c\n"
        "else:\n    from ..a import f\nthing = 1\n")
    (folder / "c.py").write_text("import pkg.sub.b\nfrom pkg import a\n")
    graph = import_graph("pkg", folder)
    assert graph == {"pkg": set(), "pkg.sub": {"pkg.sub.b"}, "pkg.a": {"pkg.sub.b"},
                     "pkg.sub.b": {"pkg.a"}, "pkg.c": {"pkg.sub.b", "pkg.a"}}
    assert cyclic_sets(graph) == [frozenset({"pkg.a", "pkg.sub.b"})]
    assert one_cycle(graph, frozenset({"pkg.a", "pkg.sub.b"})) == ["pkg.a", "pkg.sub.b", "pkg.a"]


# Which top-level packages each may import: the service never imports development code;
# tests, benchmarks and the local stack share `testbed` rather than import one another
# (tests of the benchmarks' own computations, under tests/bench, import `bench`).
TOP_LEVEL = ("chalicelib", "isctl", "local", "bench", "testbed", "tests")
MAY_NOT_IMPORT = {
    "chalicelib": {"isctl", "local", "bench", "testbed", "tests"},
    "isctl": {"chalicelib", "local", "bench", "testbed", "tests"},
    "local": {"bench", "tests"},
    "bench": {"tests"},
    "testbed": {"bench", "tests"},
    "tests": {"bench"},
}
FOLDERS = {"isctl": ROOT / "isctl" / "src" / "isctl"}


def top_level_imports(path: Path) -> set[str]:
    """The top-level packages of TOP_LEVEL an absolute import of the file names."""
    found = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if not node.level else [])
        found |= {name.split(".")[0] for name in names} & set(TOP_LEVEL)
    return found


@pytest.mark.parametrize("package", sorted(MAY_NOT_IMPORT))
def test_packages_import_only_what_their_layer_may(package: str) -> None:
    folder = FOLDERS.get(package, ROOT / package)
    wrong = []
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" in path.parts or (package == "tests" and "bench" in
                                           path.relative_to(folder).parts[:1]):
            continue
        names = top_level_imports(path) & MAY_NOT_IMPORT[package]
        wrong.extend(f"{path.relative_to(ROOT)} imports {name}" for name in sorted(names))
    assert not wrong, "\n".join(wrong)


def test_the_layer_check_sees_absolute_imports_at_any_depth(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import bench.report\nfrom . import tests\n"
                      "def f():\n    from testbed.dynamodb import x\n"
                      "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import local\n")
    assert top_level_imports(module) == {"bench", "testbed"}
