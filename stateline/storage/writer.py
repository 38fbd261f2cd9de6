"""Durable writes: one connection that commits whole transactions, and the work of several
callers joined into one.

An answer leaves only once what it depends on is on disk (its ledger entries at the node, its
line in the hub's message log), so these writes are synchronous: on SQLite the connection runs
with ``synchronous=FULL``, since in WAL mode the engine's default ``NORMAL`` syncs the WAL only
at checkpoints, and a power cut could lose a commit that has returned. Grouping makes that
fsync cheap: a burst of callers shares one (``stateline.batching``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from stateline.errors import StorageError
from stateline.storage.compiled import Compiled
from stateline.storage.failures import translated

Work = tuple[Compiled, Sequence[str], Sequence[tuple[Any, ...]]]
"""One statement of a transaction: the statement, its column names, its rows."""


class DurableWriter:
    """One connection; every call is one committed transaction, on disk when it returns.

    A failed transaction is rolled back, the connection dropped (the next call opens a fresh
    one), and ``failure`` (a :class:`StorageError`) raised.
    """

    def __init__(self, engine: Engine, failure: type[StorageError] = StorageError) -> None:
        self._engine = engine
        self._failure = failure
        self._connection: Any = None

    def _connect(self) -> Any:
        if self._connection is None:
            engine = self._engine
            with translated("cannot reach the database", self._failure, detail=True):
                connection = engine.raw_connection()
            if engine.dialect.name == "sqlite":
                cursor = connection.cursor()
                cursor.execute("PRAGMA synchronous=FULL")
                cursor.close()
                connection.commit()
            self._connection = connection
        return self._connection

    def transaction(self, work: Sequence[Work]) -> None:
        """Run ``work`` as one committed transaction."""
        connection = self._connect()
        try:
            cursor = connection.cursor()
            try:
                for statement, names, rows in work:
                    if len(rows) == 1:
                        cursor.execute(statement.sql, statement.rows(names, rows)[0])
                    elif rows:
                        cursor.executemany(statement.sql, statement.rows(names, rows))
            finally:
                cursor.close()
            connection.commit()
        except Exception as exc:
            self._drop()
            raise self._failure(f"cannot write: {exc}") from exc

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):  # it is going away: its own error is moot
            connection.rollback()
        try:
            connection.invalidate()
        finally:
            connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def merged(works: list[list[Work]]) -> list[Work]:
    """The callers' work in order, each statement's rows joined into one ``executemany`` where
    the same statement follows itself with the same columns."""
    merged: list[Work] = []
    for work in works:
        for statement, names, rows in work:
            if merged and merged[-1][0] is statement and merged[-1][1] == names:
                merged[-1] = (statement, names, [*merged[-1][2], *rows])
            else:
                merged.append((statement, names, list(rows)))
    return merged
