"""Durable writes: one connection that commits whole transactions, and a writer thread that
groups the transactions of many callers into one commit.

An answer leaves only once what it depends on is on disk (its ledger entries at the node, its
line in the hub's message log), so these writes are synchronous: on SQLite the connection runs
with ``synchronous=FULL``, since in WAL mode the engine's default ``NORMAL`` syncs the WAL only
at checkpoints, and a power cut could lose a commit that has returned. Grouping makes that
fsync cheap: a burst of callers shares one.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from stateline.storage.compiled import Compiled
from stateline.storage.engine import StorageError

Work = tuple[Compiled, Sequence[str], Sequence[tuple[Any, ...]]]
"""One statement of a transaction: the statement, its column names, its rows."""

log = logging.getLogger(__name__)


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
            try:
                connection = engine.raw_connection()
            except SQLAlchemyError as exc:
                raise self._failure(f"cannot reach the database: {exc}") from exc
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


_Job = tuple[list[Work], Future[None]]


class GroupWriter:
    """A writer thread: callers queue a transaction's work and get a future; the thread takes
    everything queued, commits it as one transaction and then resolves every future.

    If the shared transaction fails, each caller's work is tried again on its own, so one bad
    row fails only its own caller.
    """

    def __init__(
        self, engine: Engine, name: str, failure: type[StorageError] = StorageError
    ) -> None:
        self._writer = DurableWriter(engine, failure)
        self._failure = failure
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name} writer", daemon=True)
        self._thread.start()

    def submit(self, work: list[Work]) -> Future[None]:
        """Queue ``work`` as (part of) one transaction; the future resolves once it is durable."""
        future: Future[None] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(self._failure("the writer is closed"))
                return future
            self._queue.put((work, future))
        return future

    def write(self, work: list[Work]) -> None:
        """Queue ``work`` and wait until it is durable."""
        self.submit(work).result()

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()
        self._writer.close()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs = [job]
            stop = False
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            self._commit(jobs)
            if stop:
                return

    def _commit(self, jobs: list[_Job]) -> None:
        try:
            self._writer.transaction(_merged([work for work, _ in jobs]))
        except StorageError as error:
            if len(jobs) > 1:
                for job in jobs:
                    self._commit([job])
                return
            log.error("durable write failed: %s", type(error.__cause__).__name__)
            _settle(jobs[0][1], error)
            return
        for _, future in jobs:
            _settle(future, None)


def _settle(future: Future[None], error: StorageError | None) -> None:
    """Resolve a caller's future, unless the caller gave up on it (cancelled it): the writer
    thread must outlive every caller."""
    try:
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
    except InvalidStateError:
        pass  # cancelled: the write itself stands, or failed, all the same


def _merged(works: list[list[Work]]) -> list[Work]:
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
