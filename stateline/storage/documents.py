"""The documents agencies attached at the hub, in the hub's database until they expire.

One table, ``documents``: one row per attached document (its id, the ORI that attached it, its
SHA-256, type, file name, size, when it was attached and when it expires) with its bytes (a
BLOB on SQLite, ``bytea`` on PostgreSQL). A document is kept durably before its receipt goes
out: an agency names it in a query later, perhaps after a restart. These are personal data:
they leave the table when they expire (:meth:`DocumentStore.purge`), and are not yet encrypted
at rest.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)

from stateline.documents import Attached, Document, Holding
from stateline.storage.compiled import Compiled
from stateline.storage.failures import translated
from stateline.storage.schema import hub_metadata
from stateline.storage.writer import DurableWriter

documents = Table(
    "documents",
    hub_metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(9), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False, index=True),
    Column("content", LargeBinary, nullable=False),
)

by_owner = Index("ix_documents_owner_expires", documents.c.owner, documents.c.expires)
"""What an agency holds now is read off this index: its quota is checked on every upload."""

_COLUMNS = tuple(c.name for c in documents.columns)


class DocumentStore:
    """Keeps, finds and purges the hub's attached documents; database errors become
    :class:`StorageError`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = DurableWriter(engine)
        self._writing = threading.Lock()  # the writer's one connection serves one call at once
        self._insert = Compiled(insert(documents), engine, _COLUMNS)
        dialect = engine.dialect
        self._convert = [
            documents.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in _COLUMNS
        ]

    def create_schema(self) -> None:
        with translated("cannot create the documents table", detail=True):
            hub_metadata.create_all(self.engine, tables=[documents])
            by_owner.create(self.engine, checkfirst=True)

    def holding(self, owner: str, now: datetime) -> Holding:
        """How many documents ``owner`` holds unexpired at ``now``, and their bytes."""
        c = documents.c
        query = select(func.count(), func.coalesce(func.sum(c.size), 0)).where(
            c.owner == owner, c.expires >= _utc(now)
        )
        count, size = self._rows(query)[0]
        return Holding(int(count), int(size))

    def keep(self, attached: Attached) -> None:
        """Keep ``attached``; on disk when this returns (on SQLite, ``synchronous=FULL``)."""
        document = attached.document
        values = {
            "id": attached.id,
            "owner": attached.owner,
            "sha256": attached.sha256,
            "content_type": document.content_type,
            "filename": document.filename,
            "size": len(document.content),
            "created": _utc(attached.created),
            "expires": _utc(attached.expires),
            "content": document.content,
        }
        row = tuple(
            values[name] if convert is None else convert(values[name])
            for name, convert in zip(_COLUMNS, self._convert, strict=True)
        )
        with self._writing:
            self._writer.transaction([(self._insert, _COLUMNS, [row])])

    def find(self, doc_id: str, owner: str) -> Attached | None:
        """The document ``doc_id`` if ``owner`` attached it, expired or not yet purged."""
        c = documents.c
        rows = self._rows(select(documents).where(c.id == doc_id, c.owner == owner))
        return _attached(rows[0]) if rows else None

    def drop(self, doc_id: str) -> None:
        """Remove one document (an expired one found before the purge came to it)."""
        self._execute(delete(documents).where(documents.c.id == doc_id))

    def purge(self, now: datetime) -> int:
        """Remove every document expired at ``now``; returns how many."""
        return self._execute(delete(documents).where(documents.c.expires < _utc(now)))

    def close(self) -> None:
        """Let go of the writer's connection."""
        with self._writing:
            self._writer.close()

    def _rows(self, statement: Any) -> list[Any]:
        with translated("documents read failed"), self.engine.connect() as conn:
            return list(conn.execute(statement).all())

    def _execute(self, statement: Any) -> int:
        with translated("documents write failed"), self.engine.begin() as conn:
            return int(conn.execute(statement).rowcount)


def _utc(moment: datetime) -> datetime:
    """As UTC: SQLite keeps times without their zone, so every one written must be in one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _attached(row: Any) -> Attached:
    document = Document(bytes(row.content), row.content_type, row.filename)
    return Attached(row.id, row.owner, document, row.sha256, _utc(row.created), _utc(row.expires))
