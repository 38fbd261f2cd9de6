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

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from stateline.directory.model import Agency
from stateline.errors import StorageError
from stateline.ledger.read import Entry
from stateline.oversight import rollups
from stateline.oversight.parts import (
    CopyError,
    compact,
    exclusive,
    first_line,
    listing,
    manifest,
    parts_read,
    remove,
    save,
)
from stateline.oversight.ports import Sources
from stateline.oversight.tables import REQUESTS_FULL, SCHEMAS, TABLES

CHUNK = 100_000
"""Ledger entries read at a time."""


@dataclass(frozen=True, slots=True)
class Exported:
    """What one export of one state added."""

    state: str
    entries: int  # ledger entries read
    rows: int  # rows written, all tables
    through: int  # the first ledger index the next export reads


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
        with sources.hub() as hub, exclusive(out):
            agencies = hub.agencies()
            kept = manifest(out)
            for state in states:
                before = kept["states"].get(state, {})
                start = int(before.get("through", 0))
                listed = listing(out, state, before)
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
                gone = compact(db, out, state, listed)
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
                remove(out, state, before.get("superseded", {}))
                save(out, kept)
                done.append(Exported(state, run.read, run.written, run.resume(start)))
    except StorageError as error:
        raise CopyError(f"cannot read the ledgers: {error}") from error
    except duckdb.Error as error:
        raise CopyError(f"cannot make the analytical copy: {first_line(error)}") from error
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


def connect(out: Path) -> Any:
    """A DuckDB connection over the copy at ``out``: a view per table, and ``requests_full``."""
    import duckdb

    if not (out / "manifest.json").exists():
        raise CopyError(f"no analytical copy at {out}: run `stateline report refresh` first")
    db = duckdb.connect()
    kept = manifest(out)["states"]
    try:
        for name in TABLES:
            files = parts_read(out, name, kept)
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
                db, {name: parts_read(out, f"rollups/{name}", kept) for name in rollups.NAMES}
            )
            _agree(db)
        db.execute("SELECT count(*) FROM requests_full").fetchone()  # a corrupt part shows here
    except duckdb.Error as error:
        db.close()
        raise CopyError(f"the analytical copy cannot be read: {first_line(error)}") from error
    return db


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
