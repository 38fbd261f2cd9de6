"""Read the package's imports and print what the architecture's health is measured by: import
cycles between packages and between modules, and the largest modules.

    .venv/bin/python scripts/imports.py [ROOT]     (ROOT: a checkout, this one by default)

Run it on two checkouts to compare before and after a change. Every import counts, including
those inside functions and under ``TYPE_CHECKING``. The layers themselves are checked by
``lint-imports`` (pyproject.toml), and the one place that joins services and stores by
tests/test_architecture.py.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted((root / "stateline").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The Stateline modules ``path`` imports (``from a import b`` counts ``a.b`` if a module)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out.update(
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known
            )
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {name for name in out if name in known}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def package(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else name


def show(title: str, rows: Iterable[str]) -> None:
    listed = list(rows)
    print(f"{title}: {len(listed)}")
    for row in listed:
        print(f"  {row}")


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    known = modules(root)
    graph = {name: imports(path, known) for name, path in known.items()}
    packages: dict[str, set[str]] = {}
    for name, targets in graph.items():
        for target in targets:
            if package(target) != package(name):
                packages.setdefault(package(name), set()).add(package(target))
    lines = {name: len(path.read_text().splitlines()) for name, path in known.items()}
    print(f"{root}: {len(known)} modules, {sum(lines.values()):,} lines")
    show("package cycles", (" <-> ".join(c) for c in cycles(packages)))
    show("module cycles", (" <-> ".join(c) for c in cycles(graph)))
    largest = sorted(lines.items(), key=lambda item: -item[1])[:10]
    show("largest modules", (f"{n:5d}  {name}" for name, n in largest))


if __name__ == "__main__":
    main()
