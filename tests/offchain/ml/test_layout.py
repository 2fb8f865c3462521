"""The ml package's import graph has no circles, counting imports inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import offchain.ml

PACKAGE = Path(offchain.ml.__file__).parent


def ml_imports(path: Path) -> set[str]:
    """The offchain.ml modules a file imports anywhere (module level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("offchain.ml"):
            if node.module == "offchain.ml":
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.removeprefix("offchain.ml."))
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("offchain.ml.") for a in node.names if a.name.startswith("offchain.ml."))
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules, or None (depth-first search, bounded by the graph)."""
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


def test_ml_modules_import_each_other_without_circles() -> None:
    graph = {p.stem: ml_imports(p) - {p.stem} for p in PACKAGE.glob("*.py") if p.stem != "__init__"}

    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_hidden_circle() -> None:
    assert find_cycle({"train": {"distributed"}, "distributed": {"train"}}) == ["distributed", "train", "distributed"]
