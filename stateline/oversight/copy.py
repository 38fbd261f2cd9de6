"""The analytical copy of the ledgers: typed, columnar Parquet that DuckDB queries, brought up to
date incrementally from each state's ledger.

Layout, under ``<data>/analytics`` by default::

    requests/state=NY/part-000000000000.parquet    (rows of ``oversight.extract``)
    reviews/...  late_disclosures/...  notices/...
    manifest.json                                  (per state: the first ledger index not read)

An export reads each state's ledger from where the last one stopped: its tree, then what its
journal holds beyond it (beside a serving node too: it reads, never writes, the ledger). Each
batch of entries goes to DuckDB as text, which parses and joins it into rows
(``oversight.extract``) with the requesters' facts from the directory and each request's
destinations from the hub, and writes one part per table and batch, named by the first index
the batch read. The parts are written under temporary names and renamed, and the manifest
last: an export that stops half-way leaves the copy as it was, and the next one writes the
same parts again under the same names.

:func:`connect` opens a DuckDB connection with one view per table and ``requests_full``, one row
per request with its review, late answers and notices joined.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from stateline.config import Config
from stateline.directory.model import Agency
from stateline.errors import StorageError
from stateline.ledger.read import Entry
from stateline.oversight import rollups
from stateline.oversight.ports import Sources

TABLES = ("requests", "reviews", "late_disclosures", "notices")

_LIST = pa.list_(pa.string())
_TIME = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "requests": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("at", _TIME),
            ("request_index", pa.int64()),
            ("requester", pa.string()),
            ("requester_name", pa.string()),
            ("requester_type", pa.string()),
            ("requester_home", pa.string()),
            ("requester_category", pa.string()),
            ("key", pa.string()),
            ("destinations", pa.string()),
            ("purpose", pa.string()),
            ("legacy_codes", _LIST),
            ("search", pa.string()),
            ("acting_for", _LIST),
            ("asker", pa.string()),
            ("legal_process", pa.string()),
            ("legal_process_document", pa.bool_()),
            ("subjects", pa.int32()),
            ("outcome", pa.string()),
            ("classes_released", _LIST),
            ("classes_withheld", _LIST),
            ("classes_review", _LIST),
            ("duties", _LIST),
            ("policy_ids", _LIST),
            ("decision_index", pa.int64()),
            ("disclosed_classes", _LIST),
            ("disclosure_index", pa.int64()),
            ("found", pa.int32()),
        ]
    ),
    "reviews": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("index", pa.int64()),
            ("at", _TIME),
            ("action", pa.string()),
            ("outcome", pa.string()),
            ("reviewer", pa.string()),
            ("role", pa.string()),
        ]
    ),
    "late_disclosures": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("index", pa.int64()),
            ("at", _TIME),
            ("classes", _LIST),
            ("recipient", pa.string()),
        ]
    ),
    "notices": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("index", pa.int64()),
            ("at", _TIME),
            ("notice", pa.string()),
            ("event", pa.string()),
            ("notice_id", pa.string()),
            ("due", pa.date32()),
            ("requester", pa.string()),
            ("statute", pa.string()),
            ("delay_requested", pa.bool_()),
        ]
    ),
}
"""Each table's columns and types."""

CHUNK = 100_000
"""Ledger entries read at a time."""


class CopyError(Exception):
    """The analytical copy cannot be made or read; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Exported:
    """What one export of one state added."""

    state: str
    entries: int  # ledger entries read
    rows: int  # rows written, all tables
    through: int  # the first ledger index the next export reads


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
def _exclusive(out: Path) -> Iterator[None]:
    """One export of a copy at a time (a second waits)."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def export(
    sources: Sources,
    states: Sequence[str],
    out: Path,
    progress: Any = None,
) -> list[Exported]:
    """Bring the copy at ``out`` of ``states``' ledgers up to date; returns what each export
    added.

    ``progress(state, done, total)`` is called as entries are read, if given.
    """
    import duckdb

    from stateline.ledger.keys import origin_for
    from stateline.ledger.read import read_once

    done: list[Exported] = []
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")  # a rollup's day is a UTC day
    try:
        with sources.hub() as hub, _exclusive(out):
            agencies = hub.agencies()
            kept = manifest(out)
            for state in states:
                before = kept["states"].get(state, {})
                start = int(before.get("through", 0))
                listed = _listing(out, state, before)
                if start and before.get("rollups") != rollups.VERSION:
                    listed.update(_roll_up_again(db, out, state, listed["requests"]))
                db.register("agencies", _agencies(agencies, state))
                db.register("roles", _roles(sources.roles(state)))
                with sources.ledger(state) as (store, journal):
                    reading = read_once(store, journal, origin_for(state), start, chunk=CHUNK)
                    size = reading.size
                    run = _Run(db, state, out, hub.log)
                    for first, count, table in _prefetched(reading.batches):
                        run.batch(first, count, table)
                        if progress is not None:
                            progress(state, min(run.last + 1, size), size)
                # The signed head the copy was read up to: a reader can check it is the log's.
                run.finish(start, listed)
                for table, names in run.added.items():
                    listed[table] = list(dict.fromkeys([*listed.get(table, []), *names]))
                gone = _compact(db, out, state, listed)
                kept["states"][state] = {
                    "through": run.resume(start),
                    "size": size,
                    "head": reading.head[1] if reading.head is not None else None,
                    "rollups": rollups.VERSION,
                    "parts": listed,
                    "superseded": gone,
                }
                # The manifest names the parts a reader reads, and goes last. The parts a
                # compaction replaced go one refresh later, once readers have moved on.
                _remove(out, state, before.get("superseded", {}))
                _save(out, kept)
                done.append(Exported(state, run.read, run.written, run.resume(start)))
    except StorageError as error:
        raise CopyError(f"cannot read the ledgers: {error}") from error
    except duckdb.Error as error:
        raise CopyError(f"cannot make the analytical copy: {_first_line(error)}") from error
    finally:
        db.close()
    return done


def _roll_up_again(db: Any, out: Path, state: str, parts: list[str]) -> dict[str, list[str]]:
    """The rollups of a state's parts written before its copy had them (or in another form):
    made from each part's rows, under the part's name; returns their listing."""
    for stale in (out / "rollups").glob(f"*/state={state}/*.parquet"):
        stale.unlink()
    made: dict[str, list[str]] = {f"rollups/{name}": [] for name in rollups.NAMES}
    for name in parts:
        part = out / "requests" / f"state={state}" / name
        first = int(part.stem.removeprefix("part-").split("-")[0])
        source = f"(SELECT * FROM read_parquet('{part.as_posix()}'))"
        rollups.write(db, source, out, state, first)
        for table in made:
            made[table].append(f"part-{first:012d}.parquet")
    return made


PARTED = (*TABLES, *(f"rollups/{name}" for name in rollups.NAMES))
"""Every table of the copy kept in parts, by its folder under the copy."""

COMPACT_AT = 32
"""Parts of one table and state beyond which a refresh merges them into one."""


def _listing(out: Path, state: str, kept: Mapping[str, Any]) -> dict[str, list[str]]:
    """The parts of ``state``'s tables a reader reads, by table: the manifest's, or (a copy
    made before the manifest named them) the parts on disk."""
    if "parts" in kept:
        return {table: list(names) for table, names in kept["parts"].items()}
    return {
        table: sorted(p.name for p in (out / table / f"state={state}").glob("*.parquet"))
        for table in PARTED
    }


def _compact(db: Any, out: Path, state: str, listed: dict[str, list[str]]) -> dict[str, list[str]]:
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


def _remove(out: Path, state: str, gone: Mapping[str, list[str]]) -> None:
    for table, names in gone.items():
        for name in names:
            (out / table / f"state={state}" / name).unlink(missing_ok=True)


def _table(rows: list[Entry]) -> pa.Table:
    """A batch of entries as DuckDB reads them: index and text."""
    return pa.table(
        {
            "idx": pa.array([index for index, _ in rows], pa.int64()),
            "j": pa.array([None if b is None else b.decode() for _, b in rows], pa.string()),
        }
    )


def _prefetched(batches: Iterator[list[Entry]]) -> Iterator[tuple[int, int, pa.Table]]:
    """The batches as tables, the next read and built on a thread of its own while DuckDB
    works on this one (it lets go of the interpreter while it does)."""
    ahead: queue.Queue[tuple[int, int, pa.Table] | BaseException | None] = queue.Queue(2)

    def read() -> None:
        try:
            for rows in batches:
                ahead.put((rows[0][0], len(rows), _table(rows)))
        except BaseException as error:  # handed to the reader, which raises it
            ahead.put(error)
            return
        ahead.put(None)

    reader = threading.Thread(target=read, name="copy reader", daemon=True)
    reader.start()
    while (item := ahead.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    reader.join()


class _Run:
    """One state's export: each batch through DuckDB, one part per table and batch."""

    def __init__(self, db: Any, state: str, out: Path, log: Any) -> None:
        self.db = db
        self.state = state
        self.out = out
        self.log = log
        self.carried: pa.Table | None = None  # a request still waiting for its answer's
        self.read = 0
        self.written = 0
        self.last = -1
        self.open: int | None = None
        self.parts: list[Path] = []  # the request parts written
        self.added: dict[str, list[str]] = {}  # every part written, by table

    def batch(self, first: int, count: int, read: pa.Table) -> None:
        """``count`` entries from index ``first`` (``read``), after those carried over."""
        from stateline.oversight import extract
        from stateline.oversight.categories import UNKNOWN

        self.read += count
        table = read if self.carried is None else pa.concat_tables([self.carried, read])
        self.last = table.column("idx")[-1].as_py()
        db, state = self.db, self.state
        db.register("batch", table)
        db.execute(extract.KINDS).fetchall()
        db.execute(extract.PARTS).fetchall()
        complete = [
            m
            for (m,) in db.execute(
                "SELECT message_id FROM parts WHERE decision IS NOT NULL AND disclosure IS NOT NULL"
            ).fetchall()
        ]
        db.register("routes", self._routes(complete))
        queries = {
            "requests": (extract.REQUESTS, [state, UNKNOWN]),
            "reviews": (extract.REVIEWS, [state]),
            "late_disclosures": (extract.LATE_DISCLOSURES, [state]),
            "notices": (extract.NOTICES, [state]),
        }
        for name, (sql, values) in queries.items():
            rows_out = db.sql(sql, params=values).to_arrow_table().cast(SCHEMAS[name])
            self._part(name, first, rows_out)
        ((self.open,),) = db.execute(extract.OPEN, [self.last]).fetchall()
        self.carried = (
            None
            if self.open is None
            else table.filter(pc.greater_equal(table.column("idx"), self.open))
        )

    def _routes(self, message_ids: list[str]) -> pa.Table:
        """Each message's destinations as the hub logged them (``NL``: every state)."""
        known = self.log.routed(message_ids)
        return pa.table(
            {
                "message_id": pa.array(list(known), pa.string()),
                "destinations": pa.array([r.destinations for r in known.values()], pa.string()),
            }
        )

    def _part(self, name: str, first: int, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        folder = self.out / name / f"state={self.state}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{first:012d}.parquet"
        temporary = path.with_suffix(".parquet.tmp")
        pq.write_table(rows, temporary)
        temporary.replace(path)
        self.written += rows.num_rows
        self.added.setdefault(name, []).append(path.name)
        if name == "requests":
            self.parts.append(path)

    def resume(self, start: int) -> int:
        """Where the next export starts: an open request's index, else past the last read."""
        if self.open is not None:
            return int(self.open)
        return self.last + 1 if self.last >= 0 else start

    def finish(self, start: int, listed: Mapping[str, list[str]]) -> None:
        """The rollups of the request parts this export wrote (in one scan, named by its
        first); an empty part for each table that has none, so that every view has its
        columns."""
        if self.parts:
            named = ", ".join(f"'{p.as_posix()}'" for p in self.parts)
            source = f"(SELECT * FROM read_parquet([{named}]))"
            first = int(self.parts[0].stem.removeprefix("part-"))
            self.written += rollups.write(self.db, source, self.out, self.state, first)
            for name in rollups.NAMES:
                self.added.setdefault(f"rollups/{name}", []).append(f"part-{first:012d}.parquet")
        for name in TABLES:
            if not listed.get(name) and not self.added.get(name):
                self._part_empty(name, start)

    def _part_empty(self, name: str, start: int) -> None:
        folder = self.out / name / f"state={self.state}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{start:012d}.parquet"
        temporary = path.with_suffix(".parquet.tmp")
        pq.write_table(pa.Table.from_pylist([], schema=SCHEMAS[name]), temporary)
        temporary.replace(path)
        self.added.setdefault(name, []).append(path.name)


def _agencies(agencies: Mapping[str, Agency], state: str) -> pa.Table:
    """Each requester's facts, its category as ``state`` sees it."""
    from stateline.oversight.categories import requester_category

    listed = list(agencies.values())
    return pa.table(
        {
            "ori": pa.array([a.ori for a in listed], pa.string()),
            "name": pa.array([a.name for a in listed], pa.string()),
            "type": pa.array([a.agency_type.value for a in listed], pa.string()),
            "home": pa.array([a.home_state for a in listed], pa.string()),
            "category": pa.array([requester_category(a, state) for a in listed], pa.string()),
        }
    )


def _roles(found: Mapping[str, str]) -> pa.Table:
    """Each console account of the node and its role (reviews name accounts)."""
    return pa.table(
        {
            "username": pa.array(list(found), pa.string()),
            "role": pa.array(list(found.values()), pa.string()),
        }
    )


def _save(out: Path, kept: Mapping[str, Any]) -> None:
    temporary = out / "manifest.json.tmp"
    temporary.write_text(json.dumps(kept, indent=1, sort_keys=True))
    temporary.replace(out / "manifest.json")


def connect(out: Path) -> Any:
    """A DuckDB connection over the copy at ``out``: a view per table, and ``requests_full``."""
    import duckdb

    if not (out / "manifest.json").exists():
        raise CopyError(f"no analytical copy at {out}: run `stateline report refresh` first")
    db = duckdb.connect()
    kept = manifest(out)["states"]
    try:
        for name in TABLES:
            files = _files(out, name, kept)
            if files:
                listed = ", ".join(f"'{f}'" for f in files)
                db.execute(
                    # By name: parts written before a column was added read it as NULL.
                    f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}], "
                    "hive_partitioning = false, union_by_name = true)"
                )
            else:
                empty = pa.Table.from_pylist([], schema=SCHEMAS[name])
                db.register(f"_{name}_empty", empty)
                db.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
        db.execute(REQUESTS_FULL)
        db.execute("SET TimeZone = 'UTC'")  # a day of a report is a UTC day, as a rollup's
        if all(state.get("rollups") == rollups.VERSION for state in kept.values()):
            rollups.views(
                db, {name: _files(out, f"rollups/{name}", kept) for name in rollups.NAMES}
            )
            _agree(db)
        db.execute("SELECT count(*) FROM requests_full").fetchone()  # a corrupt part shows here
    except duckdb.Error as error:
        db.close()
        raise CopyError(f"the analytical copy cannot be read: {_first_line(error)}") from error
    return db


def _files(out: Path, table: str, kept: Mapping[str, Any]) -> list[Path]:
    """The parts of ``table`` a reader reads: those the manifest names for each state (a part
    on disk it does not name is an export's that had not finished)."""
    files: list[Path] = []
    for state, facts in sorted(kept.items()):
        files += [out / table / f"state={state}" / n for n in _listing(out, state, facts)[table]]
    return files


def _agree(db: Any) -> None:
    """The rollups count what the rows hold (a part lost or left over would show here)."""
    rows, counted = db.execute(
        "SELECT (SELECT count(*) FROM requests), (SELECT coalesce(sum(n), 0) FROM rollup_counts)"
    ).fetchone()
    if rows != counted:
        raise CopyError(
            f"the analytical copy's rollups count {counted:,} requests but it holds {rows:,}: "
            "run `stateline report refresh`"
        )


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


REQUESTS_FULL = """
CREATE VIEW requests_full AS
WITH decided AS (
    SELECT state, message_id,
           min("at") FILTER (WHERE action <> 'escalate') AS decided_at,
           arg_max(outcome, "at") FILTER (WHERE action <> 'escalate') AS review_outcome,
           arg_max(role, "at") FILTER (WHERE action <> 'escalate') AS decided_by_role,
           count(*) FILTER (WHERE action = 'escalate') AS escalations
    FROM reviews GROUP BY state, message_id
),
late AS (
    SELECT state, message_id, count(*) AS late_answers,
           list_distinct(flatten(list(classes))) AS late_classes
    FROM late_disclosures GROUP BY state, message_id
),
owed AS (
    SELECT state, message_id,
           count(DISTINCT notice_id) FILTER (WHERE event = 'created') AS notices_owed,
           count(DISTINCT notice_id) FILTER (WHERE event = 'sent') AS notices_sent,
           count(DISTINCT notice_id) FILTER (WHERE event = 'cancelled') AS notices_cancelled,
           min(due) AS notice_due,
           bool_or(delay_requested) AS notice_delay_requested
    FROM notices GROUP BY state, message_id
)
SELECT r.*,
       d.decided_at, d.review_outcome, d.decided_by_role, coalesce(d.escalations, 0) AS escalations,
       coalesce(l.late_answers, 0) AS late_answers, l.late_classes,
       coalesce(o.notices_owed, 0) AS notices_owed, coalesce(o.notices_sent, 0) AS notices_sent,
       coalesce(o.notices_cancelled, 0) AS notices_cancelled, o.notice_due,
       coalesce(o.notice_delay_requested, false) AS notice_delay_requested,
       coalesce(o.notices_owed, 0) - coalesce(o.notices_sent, 0)
           - coalesce(o.notices_cancelled, 0) AS notices_open
FROM requests r
LEFT JOIN decided d USING (state, message_id)
LEFT JOIN late l USING (state, message_id)
LEFT JOIN owed o USING (state, message_id)
"""
"""One row per request: the request's own columns, then its review (when it was decided, how,
by whose role), its late answers, and its notices (owed, sent, cancelled, still open)."""
