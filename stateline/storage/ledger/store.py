"""One log's tables: reads on pooled connections, and the statements of its writes.

Hot statements are Core statements compiled once and run on the DBAPI cursor. On SQLite an
append's entries, subject rows and nodes go as one statement each that reads its rows from one
blob and a JSON array (see the package's docstring).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import orjson
from sqlalchemy import BigInteger, Engine, Table, bindparam, func, literal_column, select, text
from sqlalchemy.sql.expression import ClauseElement, Executable

from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import BUCKET_BITS
from stateline.ledger.ports import EntryRow
from stateline.storage.compiled import Compiled, fetch
from stateline.storage.engine import open_engine
from stateline.storage.failures import translated
from stateline.storage.ledger.database import SqlLedgerDatabase
from stateline.storage.ledger.rebucket import rebucket
from stateline.storage.ledger.tables import bucket_of, ledger_tables
from stateline.storage.witness_memory import WitnessMemory
from stateline.storage.writer import Work

_ENTRY_COLUMNS = ("idx", "body", "leaf_hash")
_SUBJECT_COLUMNS = ("bucket", "subject", "idx")
_NODE_COLUMNS = ("id", "hash")
_HEAD_COLUMNS = ("id", "size", "note")
_CHECKPOINT_COLUMNS = ("size", "signed_at", "note")
_COSIGNATURE_COLUMNS = ("checkpoint_id", "witness", "cosigned_at", "line")


class SqlLedgerStore:
    """One ledger's tables in a database (the ledger's ``LedgerStore``): reads from pooled
    connections, and the statements of writes for the database's writer."""

    def __init__(self, engine: Engine, prefix: str = "") -> None:
        self._engine = engine
        self.prefix = prefix
        self.tables = t = ledger_tables(prefix)
        self._memory = WitnessMemory(engine, t.witnessed, LedgerUnavailable)
        entries, subjects, nodes, head = t.entries, t.subjects, t.nodes, t.head
        checkpoints, cosignatures = t.checkpoints, t.cosignatures
        sql = self._compile
        self.insert_entry = sql(entries.insert(), _ENTRY_COLUMNS)
        self.insert_subject = sql(subjects.insert(), _SUBJECT_COLUMNS)
        self.insert_node = sql(nodes.insert(), _NODE_COLUMNS)
        self.update_head = sql(head.update().where(head.c.id == bindparam("row")), ("size", "note"))
        self.insert_head = sql(head.insert(), _HEAD_COLUMNS)
        self.insert_checkpoint = sql(checkpoints.insert(), _CHECKPOINT_COLUMNS)
        self.insert_cosignature = sql(cosignatures.insert(), _COSIGNATURE_COLUMNS)
        self._head = sql(select(head.c.size, head.c.note).where(head.c.id == bindparam("row")))
        self._end = sql(select(func.max(entries.c.idx)))
        self._entry = sql(select(entries).where(entries.c.idx == bindparam("idx")))
        self._chunk = sql(
            select(entries)
            .where(entries.c.idx >= bindparam("lo"), entries.c.idx < bindparam("hi"))
            .order_by(entries.c.idx)
        )
        self._subjects_between = sql(
            select(subjects.c.idx, subjects.c.subject).where(
                # The bucket bounds let the primary key narrow the scan to the range's buckets.
                subjects.c.bucket >= bindparam("first"),
                subjects.c.bucket <= bindparam("last"),
                subjects.c.idx >= bindparam("lo"),
                subjects.c.idx < bindparam("hi"),
                # A row in the wrong bucket is one a look-up never finds: as good as missing.
                subjects.c.bucket == bucket_of(subjects.c.idx),
            )
        )
        self._held_from = sql(select(func.min(entries.c.idx)).where(entries.c.body.is_not(None)))
        self._node_chunk = sql(
            select(nodes.c.id, nodes.c.hash)
            .where(nodes.c.id >= bindparam("lo"), nodes.c.id < bindparam("hi"))
            .order_by(nodes.c.id)
        )
        # One index seek per bucket: the buckets come from a recursive CTE, so the look-up
        # never scans the subject table (on either database).
        buckets = select(literal_column("0", BigInteger).label("n")).cte("buckets", recursive=True)
        buckets = buckets.union_all(
            select((buckets.c.n + literal_column("1")).label("n")).where(
                buckets.c.n < bindparam("last")
            )
        )
        found = (
            select(subjects.c.idx)
            .join(buckets, subjects.c.bucket == buckets.c.n)
            .where(subjects.c.subject == bindparam("subject"))
        )
        self._by_subject = sql(
            select(entries).where(entries.c.idx.in_(found)).order_by(entries.c.idx)
        )
        # SQLite 3.38 made the JSON functions part of every build.
        self._bulk = engine.dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 38)
        if self._bulk:
            self._bulk_entries = sql(
                text(
                    # :ends holds where each body ends in the :bodies blob.
                    f"INSERT INTO {entries.name} (idx, body, leaf_hash) "
                    "SELECT :start + key, substr(:bodies, after + 1, value - after), "
                    "substr(:hashes, key * 32 + 1, 32) FROM ("
                    "SELECT key, value, coalesce(lag(value) OVER (ORDER BY key), 0) AS after "
                    "FROM json_each(:ends))"
                )
            )
            self._bulk_subjects = sql(
                text(
                    f"INSERT INTO {subjects.name} (bucket, subject, idx) SELECT "
                    "value ->> 0, value ->> 1, value ->> 2 FROM json_each(:rows)"
                )
            )
            self._bulk_nodes = sql(
                text(
                    f"INSERT INTO {nodes.name} (id, hash) "
                    "SELECT value, substr(:hashes, key * 32 + 1, 32) FROM json_each(:ids)"
                )
            )
        self._leaves: dict[int, Compiled] = {}
        self._nodes: dict[int, Compiled] = {}
        self.remembered: dict[tuple[int, int], bytes] = {}  # (level, index) -> hash, read once

    @property
    def engine(self) -> Engine:
        return self._engine

    def database(self) -> SqlLedgerDatabase:
        return SqlLedgerDatabase(self._engine)

    def reopener(self) -> Callable[[], SqlLedgerStore] | None:
        """How a worker process opens these tables: from the database's URL and the schema
        mapping of a node on a shared PostgreSQL (``None`` for an in-memory SQLite one)."""
        url = self._engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return None
        schemas = self._engine.get_execution_options().get("schema_translate_map")
        return partial(reopen, url.render_as_string(hide_password=False), self.prefix, schemas)

    def close(self) -> None:
        self._engine.dispose()

    def _compile(self, statement: ClauseElement, columns: Sequence[str] | None = None) -> Compiled:
        return Compiled(statement, self._engine, columns)

    def create_schema(self) -> None:
        """Create the ledger's tables that do not exist yet, and bring older ones up to date."""
        with translated("cannot create the ledger tables", LedgerUnavailable, detail=True):
            self.tables.metadata.create_all(self._engine, tables=self.tables.all())
            rebucket(self._engine, self.tables)

    # Writes, as statements for a writer's transaction -------------------------------------

    def append_work(
        self,
        rows: Sequence[EntryRow],
        subject_rows: Sequence[tuple[int, int, int]],
        node_rows: Sequence[tuple[int, bytes]],
        size: int,
        note: str,
        first: bool,
    ) -> list[Work]:
        """Entries, their subject rows, the completed tree nodes and the new signed head: the
        statements of one append, for the database's writer."""
        if first:
            head_row: Work = (self.insert_head, _HEAD_COLUMNS, [(1, size, note)])
        else:
            head_row = (self.update_head, ("row", "size", "note"), [(1, size, note)])
        if not self._bulk or len(rows) < 2:
            return [
                (self.insert_entry, _ENTRY_COLUMNS, rows),
                (self.insert_subject, _SUBJECT_COLUMNS, subject_rows),
                (self.insert_node, _NODE_COLUMNS, node_rows),
                head_row,
            ]
        start = rows[0][0]
        bodies: list[bytes] = []
        for n, (index, body, _leaf) in enumerate(rows):
            if index != start + n or body is None:
                raise ValueError("appended entries have bodies and consecutive indexes")
            bodies.append(body)
        ends = orjson.dumps(list(itertools.accumulate(map(len, bodies))))
        hashes = b"".join(row[2] for row in rows)  # fixed-size: cut in SQL by position
        work: list[Work] = [
            (
                self._bulk_entries,
                ("start", "bodies", "ends", "hashes"),
                [(start, b"".join(bodies), ends, hashes)],
            ),
            (self._bulk_subjects, ("rows",), [(orjson.dumps(subject_rows),)]),
        ]
        if node_rows:
            ids, hashes = orjson.dumps([r[0] for r in node_rows]), b"".join(r[1] for r in node_rows)
            work.append((self._bulk_nodes, ("ids", "hashes"), [(ids, hashes)]))
        work.append(head_row)
        return work

    def checkpoint_work(self, size: int, signed_at: int, note: str) -> list[Work]:
        """Storing a published checkpoint."""
        return [(self.insert_checkpoint, _CHECKPOINT_COLUMNS, [(size, signed_at, note)])]

    def cosignature_work(
        self, checkpoint_id: int, witness: str, cosigned_at: int, line: str
    ) -> list[Work]:
        """Storing a witness's cosignature of a stored checkpoint."""
        rows = [(checkpoint_id, witness, cosigned_at, line)]
        return [(self.insert_cosignature, _COSIGNATURE_COLUMNS, rows)]

    # Reads -------------------------------------------------------------------------------

    def fetch(self, statement: Compiled, values: dict[str, Any]) -> list[Any]:
        """Run a compiled read on a pooled connection; driver errors become ours."""
        return fetch(self._engine, statement, values, failure=LedgerUnavailable, what="ledger")

    def head(self) -> tuple[int, str] | None:
        """The ledger's own signed head: its size and checkpoint note, if it has one."""
        rows = self.fetch(self._head, {"row": 1})
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def end(self) -> int:
        """One past the highest entry index stored (0 for an empty log)."""
        value = self.fetch(self._end, {})[0][0]
        return 0 if value is None else int(value) + 1

    def entry(self, index: int) -> EntryRow | None:
        rows = self.fetch(self._entry, {"idx": index})
        return _entry_row(rows[0]) if rows else None

    def entries(self, lo: int, hi: int) -> list[EntryRow]:
        """Entry rows with ``lo <= idx < hi``, in index order."""
        return [_entry_row(r) for r in self.fetch(self._chunk, {"lo": lo, "hi": hi})]

    def for_subject(self, subject: int) -> list[EntryRow]:
        """The entries naming a subject with tag ``subject`` (``ledger.layout.subject_tag``)."""
        last = max(self.end() - 1, 0) >> BUCKET_BITS
        values = {"subject": subject, "last": last}
        return [_entry_row(r) for r in self.fetch(self._by_subject, values)]

    def _in(
        self, cache: dict[int, Compiled], table: Table, key: Any, value: Any, n: int
    ) -> Compiled:
        compiled = cache.get(n)
        if compiled is None:
            where = key.in_([bindparam(f"k{i}") for i in range(n)])
            compiled = cache[n] = self._compile(select(key, value).where(where))
        return compiled

    def _lookup(self, cache: dict[int, Compiled], table: Table, keys: set[int]) -> dict[int, bytes]:
        if not keys:
            return {}
        t = self.tables
        key, value = (
            (t.entries.c.idx, t.entries.c.leaf_hash)
            if table is t.entries
            else (t.nodes.c.id, t.nodes.c.hash)
        )
        statement = self._in(cache, table, key, value, len(keys))
        values = {f"k{i}": k for i, k in enumerate(sorted(keys))}
        return {int(k): bytes(h) for k, h in self.fetch(statement, values)}

    def leaf_hashes(self, indexes: set[int]) -> dict[int, bytes]:
        return self._lookup(self._leaves, self.tables.entries, indexes)

    def node_hashes(self, keys: set[int]) -> dict[int, bytes]:
        return self._lookup(self._nodes, self.tables.nodes, keys)

    def stream(self, statement: Compiled, lo: int, hi: int, chunk: int) -> Iterator[list[Any]]:
        """Rows of a keyed range query, ``chunk`` keys at a time (bounded memory)."""
        while lo < hi:
            top = min(hi, lo + chunk)
            yield self.fetch(statement, {"lo": lo, "hi": top})
            lo = top

    def stream_entries(
        self, end: int, chunk: int = 100_000, start: int = 0
    ) -> Iterator[list[EntryRow]]:
        """Entry rows ``[start, end)`` in index order, ``chunk`` indexes at a time."""
        # SQLite and psycopg hand back int and bytes already: no conversion per row.
        yield from self.stream(self._chunk, start, end, chunk)

    def held_from(self) -> int | None:
        """The index of the first entry whose body is still held (``None``: no body held)."""
        value = self.fetch(self._held_from, {})[0][0]
        return None if value is None else int(value)

    def subjects_between(self, lo: int, hi: int) -> set[tuple[int, int]]:
        """The ``(entry index, subject tag)`` pairs of entries ``[lo, hi)``."""
        bounds = {"first": lo >> BUCKET_BITS, "last": (hi - 1) >> BUCKET_BITS, "lo": lo, "hi": hi}
        return set(self.fetch(self._subjects_between, bounds))  # (int, int) tuples already

    def stream_nodes(
        self, end: int, chunk: int = 100_000, start: int = 0
    ) -> Iterator[list[tuple[int, bytes]]]:
        """Stored nodes completed by leaves ``[start, end)``, in key order."""
        for rows in self.stream(self._node_chunk, start << 6, end << 6, chunk << 6):
            yield [(int(k), bytes(h)) for k, h in rows]

    def beyond(self, size: int) -> tuple[int, list[int], list[int]]:
        """What is stored for leaves from ``size`` on: the end of the entries, the entries
        that subject rows name, and the keys of tree nodes there, in order."""
        subjects = sorted({idx for idx, _tag in self.subjects_between(size, 1 << 62)})
        nodes = self.fetch(self._node_chunk, {"lo": size << 6, "hi": 1 << 62})
        return self.end(), subjects, [int(key) for key, _hash in nodes]

    def run(self, statement: Executable) -> list[Any]:
        """A one-off Core statement on its own transaction (rare reads and admin writes)."""
        with (
            translated("ledger database error", LedgerUnavailable, detail=True),
            self._engine.begin() as conn,
        ):
            result = conn.execute(statement)
            return list(result.all()) if result.returns_rows else [result.rowcount]

    def checkpoints(self) -> list[tuple[int, int, int, str]]:
        """Every published checkpoint: id, size, signing time (POSIX s), note; by size."""
        c = self.tables.checkpoints.c
        rows = self.run(select(c.id, c.size, c.signed_at, c.note).order_by(c.size, c.id))
        return [(int(i), int(s), int(t), str(n)) for i, s, t, n in rows]

    def cosignatures(self) -> list[tuple[int, str, int, str]]:
        """Every stored cosignature: checkpoint id, witness vkey, time, signature line."""
        c = self.tables.cosignatures.c
        rows = self.run(select(c.checkpoint_id, c.witness, c.cosigned_at, c.line).order_by(c.id))
        return [(int(i), str(w), int(t), str(line)) for i, w, t, line in rows]

    def prune(self, through: int) -> int:
        """Drop the bodies and subject rows of entries before index ``through``; leaf hashes
        stay. Returns how many bodies were dropped."""
        entries, subjects = self.tables.entries, self.tables.subjects
        old = (entries.c.idx < through) & entries.c.body.is_not(None)
        with (
            translated("cannot apply retention", LedgerUnavailable, detail=True),
            self._engine.begin() as conn,
        ):
            conn.execute(
                subjects.delete().where(
                    subjects.c.bucket <= through >> BUCKET_BITS, subjects.c.idx < through
                )
            )
            return int(conn.execute(entries.update().where(old).values(body=None)).rowcount)

    def witnessed(self, origin: str) -> tuple[int, str] | None:
        """The last checkpoint this node cosigned for ``origin``, as a witness."""
        return self._memory.witnessed(origin)

    def remember_witnessed(self, origin: str, size: int, note: str) -> None:
        """Record the checkpoint this node just cosigned for ``origin``."""
        self._memory.remember_witnessed(origin, size, note)


def reopen(url: str, prefix: str, schemas: dict[str | None, str] | None) -> SqlLedgerStore:
    """A ledger's tables opened anew from ``url``, in another process."""
    engine = open_engine(url)
    if schemas:  # a node's own schema on a shared PostgreSQL
        engine = engine.execution_options(schema_translate_map=schemas)
    return SqlLedgerStore(engine, prefix)


def _entry_row(row: Sequence[Any]) -> EntryRow:
    idx, body, leaf = row
    return int(idx), None if body is None else bytes(body), bytes(leaf)
