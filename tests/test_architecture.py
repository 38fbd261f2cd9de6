"""The composition root is the one place that puts a service and a concrete store together.

The import contract in pyproject.toml keeps the layers; this keeps adapters chosen in one
place: a module that imports a service (the node, the review service, the outbox, the hub's
exchange and switch, the ledger, the alerts' watch) types against ports, and one that opens a
concrete store (a class of ``stateline.storage`` made over a database engine) is not a service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stateline

PACKAGE = Path(stateline.__file__).parent

SERVICES = {
    "stateline.node.service": {"StateNode"},
    "stateline.node.review.service": {"ReviewService"},
    "stateline.node.review.hooks": {"NodeReview"},
    "stateline.node.notices.service": {"Outbox"},
    "stateline.node.notices.owed": {"NodeNotices"},
    "stateline.hub.exchange": {"Exchange"},
    "stateline.hub.switch": {"Switch"},
    "stateline.ledger.log": {"Ledger"},
    "stateline.oversight.watch": {"Watch"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))}


def concrete_stores(parsed: dict[str, ast.Module]) -> dict[str, set[str]]:
    """Each storage module's classes made over a database engine (and ``open_engine``)."""
    found: dict[str, set[str]] = {}
    for name, tree in parsed.items():
        if not name.startswith("stateline.storage"):
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    made = isinstance(item, ast.FunctionDef) and item.name == "__init__"
                    if made and any(a.arg == "engine" for a in item.args.args):  # type: ignore[union-attr]
                        found.setdefault(name, set()).add(node.name)
    found.setdefault("stateline.storage.engine", set()).add("open_engine")
    return found


def imported(tree: ast.Module) -> set[tuple[str, str]]:
    return {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
    }


def test_only_bootstrap_imports_a_service_and_a_concrete_store() -> None:
    parsed = modules()
    stores = concrete_stores(parsed)
    assert "SqlRecordStore" in stores["stateline.storage.records"]  # the scan finds stores
    both = set()
    for name, tree in parsed.items():
        names = imported(tree)
        service = any(n in SERVICES.get(m, ()) for m, n in names)
        store = any(n in stores.get(m, ()) for m, n in names)
        if service and store:
            both.add(name)
    assert both == {"stateline.bootstrap"}
