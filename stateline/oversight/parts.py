"""The analytical copy on disk: its folder, its manifest, the parts a reader reads, and their
compaction.

Each table is kept in Parquet parts, one folder per state (``requests/state=NY/part-*.parquet``).
The manifest names, for each state, the parts a reader reads and the first ledger index not yet
exported; a part on disk it does not name is one an export had not finished. One export runs at
a time (:func:`exclusive`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from stateline.config import Config
from stateline.oversight import rollups
from stateline.oversight.tables import TABLES


class CopyError(Exception):
    """The analytical copy cannot be made or read; the message says why, in one line."""


def default_dir(config: Config) -> Path:
    return config.data_dir / "analytics"


def manifest(out: Path) -> dict[str, Any]:
    """The copy's manifest: for each state, the first ledger index not yet exported."""
    path = out / "manifest.json"
    if not path.exists():
        return {"version": 1, "states": {}}
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CopyError(f"the analytical copy's manifest cannot be read: {error}") from error
    return loaded


def signed_heads(out: Path, states: Sequence[str] | None = None) -> list[tuple[str, int, str]]:
    """Each ledger's size and root (base64) at the signed head the copy at ``out`` was read up
    to (of ``states``, or all): what a published figure can be checked against."""
    import base64

    from stateline.ledger.checkpoint import Checkpoint, parse_note

    heads = []
    for state, kept in sorted(manifest(out)["states"].items()):
        if (states is None or state in states) and kept.get("head"):
            checkpoint = Checkpoint.parse(parse_note(kept["head"]).text)
            heads.append((state, checkpoint.size, base64.b64encode(checkpoint.root).decode()))
    return heads


@contextlib.contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """One export of a copy at a time (a second waits)."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


PARTED = (*TABLES, *(f"rollups/{name}" for name in rollups.NAMES))
"""Every table of the copy kept in parts, by its folder under the copy."""


COMPACT_AT = 32
"""Parts of one table and state beyond which a refresh merges them into one."""


def listing(out: Path, state: str, kept: Mapping[str, Any]) -> dict[str, list[str]]:
    """The parts of ``state``'s tables a reader reads, by table: the manifest's, or (a copy
    made before the manifest named them) the parts on disk."""
    if "parts" in kept:
        return {table: list(names) for table, names in kept["parts"].items()}
    return {
        table: sorted(p.name for p in (out / table / f"state={state}").glob("*.parquet"))
        for table in PARTED
    }


def compact(db: Any, out: Path, state: str, listed: dict[str, list[str]]) -> dict[str, list[str]]:
    """Merge each table's parts into one where there are more than :data:`COMPACT_AT`
    (``listed`` then names the merged part); returns the parts replaced, by table."""
    gone: dict[str, list[str]] = {}
    for table, names in listed.items():
        if len(names) <= COMPACT_AT:
            continue
        folder = out / table / f"state={state}"
        first = names[0].removeprefix("part-").split("-")[0].removesuffix(".parquet")
        last = names[-1].removeprefix("part-").split("-")[-1].removesuffix(".parquet")
        merged = folder / f"part-{first}-{last}.parquet"
        files = ", ".join(f"'{(folder / n).as_posix()}'" for n in names)
        temporary = merged.with_suffix(".parquet.tmp")
        db.execute(
            f"COPY (SELECT * FROM read_parquet([{files}], union_by_name = true)) "
            f"TO '{temporary.as_posix()}' (FORMAT parquet)"
        )
        temporary.replace(merged)
        gone[table] = [n for n in names if n != merged.name]
        listed[table] = [merged.name]
    return gone


def remove(out: Path, state: str, gone: Mapping[str, list[str]]) -> None:
    for table, names in gone.items():
        for name in names:
            (out / table / f"state={state}" / name).unlink(missing_ok=True)


def save(out: Path, kept: Mapping[str, Any]) -> None:
    temporary = out / "manifest.json.tmp"
    temporary.write_text(json.dumps(kept, indent=1, sort_keys=True))
    temporary.replace(out / "manifest.json")


def parts_read(out: Path, table: str, kept: Mapping[str, Any]) -> list[Path]:
    """The parts of ``table`` a reader reads: those the manifest names for each state (a part
    on disk it does not name is an export's that had not finished)."""
    files: list[Path] = []
    for state, facts in sorted(kept.items()):
        files += [out / table / f"state={state}" / n for n in listing(out, state, facts)[table]]
    return files


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
