"""processing's modules import each other without cycles (issue 15).

The graph is read from the sources with :mod:`ast`: an edge for every ``import`` of one of
processing's modules, at module level or inside a function. A cycle through lazy imports
is still a cycle (a module that cannot be understood without the one that imports it), so
function-level imports count, except inside ``processing/_backend/``: a launch backend
module may reach up lazily (a child adopts the start method it was made with).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import processing

PACKAGE = Path(processing.__file__).parent
BACKEND = "processing._backend"

@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool

    def __str__(self) -> str:
        where = "inside a function" if self.lazy else "at module level"
        return f"{self.source} -> {self.target} (line {self.line}, {where})"


def _module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, is_package: bool, node: ast.AST) -> list[str]:
    """processing's modules that ``node`` (an import statement in ``module``) imports."""
    found = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                found.append(name)
    elif isinstance(node, ast.ImportFrom):
        base = _resolve(module, is_package, node)
        if base in MODULES:
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(sub if sub in MODULES else base)
    return found


def _type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) with no ``else``."""
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _edges(module: str, path: Path) -> list[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    edges = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue  # never run: an annotation's import makes no cycle
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda))
            for target in _targets(module, is_package, child):
                if target != module:
                    edges.append(Edge(module, target, child.lineno, lazy))
            visit(child, inner)

    visit(tree, False)
    return edges


def _in_backend(module: str) -> bool:
    return module == BACKEND or module.startswith(BACKEND + ".")


def import_graph(*, backend_lazy: bool = False) -> dict[str, list[Edge]]:
    """Every module's imports of processing's modules; a ``_backend`` module's lazy ones only
    with ``backend_lazy``."""
    graph: dict[str, list[Edge]] = {name: [] for name in MODULES}
    for name, path in MODULES.items():
        for edge in _edges(name, path):
            if edge.lazy and _in_backend(name) and not backend_lazy:
                continue
            graph[name].append(edge)
    return graph


def cycles(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph[node]:
            if edge.target not in index:
                connect(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _describe(graph: dict[str, list[Edge]], component: list[str]) -> str:
    members = set(component)
    edges = [str(e) for m in component for e in graph[m] if e.target in members]
    return "import cycle among " + ", ".join(component) + ":\n  " + "\n  ".join(edges)


def reachable(graph: dict[str, list[Edge]], start: str) -> dict[str, list[Edge]]:
    """Every module ``start`` imports, directly or not, with the path of edges to it."""
    paths: dict[str, list[Edge]] = {start: []}
    todo = [start]
    while todo:
        node = todo.pop()
        for edge in graph[node]:
            if edge.target not in paths:
                paths[edge.target] = [*paths[node], edge]
                todo.append(edge.target)
    return paths


def test_processing_has_no_import_cycle():
    graph = import_graph()
    assert [_describe(graph, c) for c in cycles(graph)] == []


def test_the_backend_reaches_up_only_lazily_and_never_through_itself_at_import():
    """Even counting the backend's lazy imports, a cycle may only pass through them."""
    graph = import_graph(backend_lazy=True)
    for component in cycles(graph):
        members = set(component)
        lazy_backend = [e for m in component for e in graph[m]
                        if e.target in members and e.lazy and _in_backend(e.source)]
        assert lazy_backend, _describe(graph, component)


@pytest.mark.parametrize("module", ["processing.process", "processing._backend.signals",
                                    "processing._backend.mainmodule"])
def test_process_imports_no_context(module):
    """``process.py`` (and what it imports) never imports ``processing.context``, lazily or
    not: a default-context Process finds its launcher through ``processing._defaultctx``."""
    paths = reachable(import_graph(backend_lazy=True), module)
    assert "processing.context" not in paths, " -> ".join(
        str(e) for e in paths.get("processing.context", []))


def test_the_graph_sees_lazy_imports_and_relative_ones(tmp_path, monkeypatch):
    """The reader itself: a lazy import, a relative one and an import of a name from a
    package are edges; an import of a module outside processing is not."""
    source = tmp_path / "probe.py"
    source.write_text(
        "import os\n"
        "from processing import context\n"
        "from . import process as p\n"
        "from processing import Queue\n"
        "def later():\n"
        "    from processing._backend.launch import recognise\n"
        "    import processing.queues\n"
    )
    edges = _edges("processing.probe", source)
    assert [(e.target, e.lazy) for e in edges] == [
        ("processing.context", False),
        ("processing.process", False),
        ("processing", False),
        ("processing._backend.launch", True),
        ("processing.queues", True),
    ]


def test_an_import_only_for_type_checkers_is_no_edge(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from processing import context\n"
        "if typing.TYPE_CHECKING:\n"
        "    import processing.queues\n"
        "if TYPE_CHECKING:\n"
        "    pass\n"
        "else:\n"
        "    from processing import pool\n"
    )
    assert [e.target for e in _edges("processing.probe", source)] == ["processing.pool"]


def test_a_cycle_is_found_and_named():
    graph = {
        "a": [Edge("a", "b", 1, False)],
        "b": [Edge("b", "c", 2, True)],
        "c": [Edge("c", "a", 3, False)],
        "d": [Edge("d", "a", 4, False)],
    }
    assert cycles(graph) == [["a", "b", "c"]]
    assert "b -> c (line 2, inside a function)" in _describe(graph, ["a", "b", "c"])
