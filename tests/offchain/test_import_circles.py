"""The offchain package's import graph has no circles, counting imports inside functions too.

A function-level import hides a circle from Python (it runs after both modules loaded) but
not from a reader, who must still hold both modules in mind to follow either: a circle is a
boundary drawn in the wrong place. Every module of offchain/ is checked (ml/ included: its
own copy of this test is gone).
"""

from __future__ import annotations

import ast
from pathlib import Path

import offchain

ROOT = Path(offchain.__file__).parent


def module_name(path: Path) -> str:
    """offchain/eth/client.py -> offchain.eth.client; a package's __init__ is the package."""
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(source: str, package: str, modules: set[str]) -> set[str]:
    """The offchain modules `source` (a file of `package`) imports anywhere: module level,
    functions, TYPE_CHECKING blocks."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..eth import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from offchain.eth import client` names a module; `from offchain.eth.client import X` its module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph = {}
    for p in paths:
        name = module_name(p)
        package = name if p.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = imports_in(p.read_text(), package, modules) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                return path[path.index(child) :] + [child]
            if child not in state and (cycle := visit(child)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_offchain_modules_import_each_other_without_circles() -> None:
    cycle = find_cycle(import_graph())

    assert cycle is None, " -> ".join(cycle or [])


def test_the_graph_sees_function_level_imports() -> None:
    source = "def f():\n    from offchain.eth.client import Client\n"

    assert imports_in(source, "offchain.eth", set(import_graph())) == {"offchain.eth.client"}


def test_the_cycle_finder_finds_a_hidden_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
