"""The analytical copy of the ledgers: typed, columnar Parquet that DuckDB queries, brought up to
date incrementally from each state's ledger.

Layout, under ``<data>/analytics`` by default::

    requests/state=NY/part-000000000000.parquet    (rows of ``oversight.analytics``)
    reviews/...  late_disclosures/...  notices/...
    manifest.json                                  (per state: the first ledger index not read)

An export reads each state's ledger from where the last one stopped: its tree, then what its
journal holds beyond it (beside a serving node too: it reads, never writes, the ledger). It
turns the entries into rows (``oversight.analytics``), adds what the hub knows (each request's
destinations) and writes one part per table, named by the first index it covers. The parts
are written under temporary names and renamed, and the manifest last: an export that stops
half-way leaves the copy as it was, and the next one writes the same parts again under the
same names.

:func:`connect` opens a DuckDB connection with one view per table and ``requests_full``, one row
per request with its review, late answers and notices joined.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from stateline.config import Config
from stateline.oversight.analytics import Folding, Row, Tables
from stateline.storage.engine import StorageError

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
    config: Config,
    states: Sequence[str],
    out: Path | None = None,
    progress: Any = None,
) -> list[Exported]:
    """Bring the copy of ``states``' ledgers up to date; returns what each export added.

    ``progress(state, done, total)`` is called as entries are read, if given.
    """
    from stateline.bootstrap import ledger_prefix, open_hub, open_ledger_engine
    from stateline.ledger.keys import origin_for
    from stateline.ledger.proofs import signed_head
    from stateline.storage.accounts import AccountStore
    from stateline.storage.ledger import JournalStore, LedgerStore

    out = out or default_dir(config)
    done: list[Exported] = []
    hub_engine, directory, log = open_hub(config)
    try:
        agencies = directory.snapshot()
        with _exclusive(out):
            kept = manifest(out)
            for state in states:
                start = int(kept["states"].get(state, {}).get("through", 0))
                engine = open_ledger_engine(config, state)
                try:
                    store = LedgerStore(engine, ledger_prefix(config, state))
                    # The journal first, then the tree: an entry a fold moves in between is in
                    # the tree as read then; read the other way round, it would be in neither.
                    journaled: list[tuple[int, bytes, bytes, str]] = []
                    with contextlib.suppress(StorageError):  # no journal table: nothing there
                        journaled = JournalStore(engine).pending(origin_for(state), start)
                    head = signed_head(store)
                    size = head[0] if head is not None else 0
                    roles = _roles(config, state, AccountStore)
                    folding = Folding(state, agencies, roles, start)
                    read = 0
                    for rows in store.stream_entries(size, CHUNK, start):
                        for index, body, _leaf in rows:
                            folding.feed(index, None if body is None else orjson.loads(body))
                        read += len(rows)
                        if progress is not None:
                            progress(state, start + read, size)
                    # Durable, not yet folded into the tree (a serving node folds within a
                    # second): their indexes are final, the one writer gave them.
                    for index, body, _leaf, _tags in journaled:
                        if index >= max(start, size):
                            folding.feed(index, orjson.loads(body))
                            read += 1
                finally:
                    engine.dispose()
                tables = folding.tables
                _destinations(tables.requests, log)
                written = _write(out, state, start, tables)
                # The signed head the copy was read up to: a reader can check it is the log's.
                kept["states"][state] = {
                    "through": folding.resume,
                    "size": size,
                    "head": head[1] if head is not None else None,
                }
                _save(out, kept)
                done.append(Exported(state, read, written, folding.resume))
    except StorageError as error:
        raise CopyError(f"cannot read the ledgers: {error}") from error
    finally:
        log.close()
        hub_engine.dispose()
    return done


def _roles(config: Config, state: str, accounts: Any) -> dict[str, str]:
    """Each console account of ``state``'s node and its role (reviews name accounts)."""
    from stateline.bootstrap import open_node_engine

    engine = open_node_engine(config, state)
    try:
        store = accounts(engine)
        store.create_schema()
        return {s.account.username: s.account.role.value for s in store.list_accounts()}
    except StorageError:
        return {}
    finally:
        engine.dispose()


def _destinations(rows: list[Row], log: Any) -> None:
    """Each request's destinations as the hub logged them (``NL``: every state)."""
    ids = [row["message_id"] for row in rows]
    for start in range(0, len(ids), 10_000):
        known = log.routed(ids[start : start + 10_000])
        for row in rows[start : start + 10_000]:
            record = known.get(row["message_id"])
            row["destinations"] = record.destinations if record is not None else None


def _write(out: Path, state: str, start: int, tables: Tables) -> int:
    """One part per table, named by ``start``; returns how many rows."""
    written = 0
    for name in TABLES:
        rows: list[Row] = getattr(tables, name)
        folder = out / name / f"state={state}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{start:012d}.parquet"
        if not rows and any(folder.glob("*.parquet")):
            continue  # nothing new; an empty part only where the table has none yet
        schema = SCHEMAS[name]
        # Column by column: building a table from row dicts costs four times as much.
        columns = {column: [row[column] for row in rows] for column in schema.names}
        # RFC 3339 text, parsed a whole column at a time by Arrow rather than row by row.
        columns["at"] = pa.array(columns["at"], pa.string()).cast(_TIME)
        table = pa.Table.from_pydict(columns, schema=schema)
        temporary = path.with_suffix(".parquet.tmp")
        pq.write_table(table, temporary)
        temporary.replace(path)
        written += len(rows)
    return written


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
    try:
        for name in TABLES:
            files = sorted((out / name).glob("state=*/*.parquet"))
            if files:
                listed = ", ".join(f"'{f}'" for f in files)
                db.execute(
                    f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{listed}], "
                    "hive_partitioning = false)"
                )
            else:
                empty = pa.Table.from_pylist([], schema=SCHEMAS[name])
                db.register(f"_{name}_empty", empty)
                db.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
        db.execute(REQUESTS_FULL)
        db.execute("SELECT count(*) FROM requests_full").fetchone()  # a corrupt part shows here
    except duckdb.Error as error:
        db.close()
        raise CopyError(f"the analytical copy cannot be read: {_first_line(error)}") from error
    return db


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
