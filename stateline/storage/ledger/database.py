"""A database of ledgers as its writer thread sees it: its journal and its writing connection."""

from __future__ import annotations

from sqlalchemy import Engine

from stateline.ledger.errors import LedgerUnavailable
from stateline.storage.ledger.journal import SqlJournal
from stateline.storage.writer import DurableWriter

PAGE_SIZE = 16_384
"""The page size of a SQLite ledger database: an append writes a few hundred bytes an entry to
the same few pages, and with 16 KiB pages a batch is fewer pages to log and write back
(docs/performance.md)."""


class SqlLedgerDatabase:
    """A database of ledgers as its writer thread sees it (the ledger's ``LedgerDatabase``): its
    journal, and connections to write with."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def journal(self) -> SqlJournal:
        return SqlJournal(self._engine)

    def writer(self) -> DurableWriter:
        """The one connection appends go through; every call is one committed transaction.

        One writer can serve several ledgers in the same database (their statements name their
        own tables), so a single commit, and a single fsync, makes all their entries durable. A
        failure raises :class:`LedgerUnavailable`.
        """
        return DurableWriter(self._engine, LedgerUnavailable)
