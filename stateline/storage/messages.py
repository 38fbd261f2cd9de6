"""The hub's message log: what each agency sent and when, with no field values.

Only metadata is persisted (id, sender, key, destinations, times, outcome, reply count): query
fields and answers carry personal data, and the audit ledger is the one place a disclosure is
recorded. Reply bodies wait in the hub's in-memory mailbox until fetched or expired.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    insert,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from stateline.storage.compiled import Compiled
from stateline.storage.engine import StorageError
from stateline.storage.schema import hub_metadata

messages = Table(
    "messages",
    hub_metadata,
    Column("id", String(32), primary_key=True),
    Column("sender", String(9)),
    Column("mke", String(2)),
    Column("destinations", String(64)),
    Column("form", String(4), nullable=False),
    Column("received", DateTime(timezone=True), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("reason", Integer),  # ER reason number when refused
    Column("replies", Integer, nullable=False),
)

by_sender = Index("ix_messages_sender_received", messages.c.sender, messages.c.received)
"""An agency's messages in time order: its newest are read off the end, never sorted."""

_SENDER_ONLY = "ix_messages_sender"
"""The index by sender alone of logs made before :data:`by_sender`, which replaces it."""


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One line of the message log."""

    id: str
    sender: str | None
    mke: str | None
    destinations: str
    form: str
    received: datetime
    accepted: bool
    reason: int | None
    replies: int


class MessageLog:
    """Appends to and reads the hub's message log.

    Appends are buffered and written in one transaction by ``flush``, which the server calls a
    few times a second: one commit per message would cost more than the message itself. A read
    flushes first, so an agency always sees its own latest messages.
    """

    def __init__(self, engine: Engine, batch: int = 500) -> None:
        self.engine = engine
        self.batch = batch
        self._pending: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()  # the buffer
        self._writing = threading.Lock()  # one flush at a time, so records go in order
        # The insert goes to the driver's executemany with each value converted once by its
        # column type: through Connection.execute, a flush held the interpreter for
        # milliseconds, stalling the requests in flight beside it.
        self._insert = Compiled(insert(messages), engine, _COLUMNS)
        dialect = engine.dialect
        self._convert = [
            messages.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _COLUMNS
        ]

    def create_schema(self) -> None:
        """Create the log, or bring an older one up to date: older logs were indexed by sender
        alone, so listing an agency's newest messages read and sorted all it had ever sent."""
        hub_metadata.create_all(self.engine, tables=[messages])
        with self.engine.begin() as connection:
            by_sender.create(connection, checkfirst=True)
            connection.execute(text(f"DROP INDEX IF EXISTS {_SENDER_ONLY}"))

    def append(self, record: MessageRecord) -> None:
        row = _row(record)
        with self._lock:
            self._pending.append(row)
            full = len(self._pending) >= self.batch
        if full:
            self.flush()

    def flush(self) -> int:
        """Write every buffered record in one transaction; returns how many."""
        # Appends take only the buffer's lock, never the write's: a request on the event loop
        # must not wait while a flush on another thread writes and commits.
        with self._writing:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                self._write(rows)
            except (SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error) as error:
                with self._lock:
                    self._pending[:0] = rows  # keep them for the next try, in order
                raise StorageError("message log write failed") from error
            return len(rows)

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        convert = self._convert
        values = [
            tuple(v if c is None or v is None else c(v) for c, v in zip(convert, row, strict=True))
            for row in rows
        ]
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.executemany(self._insert.sql, self._insert.rows(_COLUMNS, values))
            finally:
                cursor.close()
            connection.commit()
        finally:
            connection.close()  # rolled back on its way to the pool, if the write failed

    def for_sender(self, ori: str, limit: int = 100) -> list[MessageRecord]:
        self.flush()
        query = (
            select(messages)
            .where(messages.c.sender == ori)
            .order_by(messages.c.received.desc())
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as error:
            raise StorageError("message log read failed") from error
        return [MessageRecord(**row._mapping) for row in rows]

    def get(self, message_id: str) -> MessageRecord | None:
        self.flush()
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
        except SQLAlchemyError as error:
            raise StorageError("message log read failed") from error
        return MessageRecord(**row._mapping) if row is not None else None


_COLUMNS = tuple(column.name for column in messages.columns)
"""The log's columns, in the table's order; a :class:`MessageRecord` has a field for each."""

_row: Callable[[MessageRecord], tuple[Any, ...]] = operator.attrgetter(*_COLUMNS)
"""A record's values in column order."""
