"""The journal of a ledger database: entries durable but not yet folded into their log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    select,
)

from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.ports import Journaled, JournalRow
from stateline.storage.compiled import Compiled, fetch
from stateline.storage.failures import translated
from stateline.storage.schema import NAMING
from stateline.storage.writer import Work

journal = Table(
    "ledger_journal",
    MetaData(naming_convention=NAMING),
    Column("log", String(300), primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("body", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("tags", Text, nullable=False),  # the subject tags, comma-separated
    sqlite_with_rowid=False,
)
_JOURNAL_COLUMNS = ("log", "idx", "body", "leaf_hash", "tags")


class SqlJournal:
    """The journal of one ledger database: entries durable but not yet in their log's tree.

    An append commits its entries here and nowhere else, one small transaction for every
    ledger of the database; the ledgers fold them into their trees, tables and signed heads
    later, in larger batches, deleting them from the journal in the same transaction. The
    journal stays small, so each append writes a few pages, whichever states it serves.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.insert = Compiled(journal.insert(), engine, _JOURNAL_COLUMNS)
        c = journal.c
        # A fold removes exactly the entries it folded: a row it did not fold is never lost.
        self.delete = Compiled(
            journal.delete().where(
                c.log == bindparam("log"), c.idx >= bindparam("start"), c.idx < bindparam("below")
            ),
            engine,
        )
        self.remove = Compiled(
            journal.delete().where(c.log == bindparam("log"), c.idx == bindparam("idx")), engine
        )
        self._pending = Compiled(
            select(c.idx, c.body, c.leaf_hash, c.tags)
            .where(c.log == bindparam("log"), c.idx >= bindparam("start"))
            .order_by(c.idx),
            engine,
        )
        self._orphans = Compiled(
            select(c.idx, c.body, c.leaf_hash, c.tags)
            .where(c.log == bindparam("log"), c.idx < bindparam("below"))
            .order_by(c.idx),
            engine,
        )

    def create_schema(self) -> None:
        with translated("cannot create the ledger journal", LedgerUnavailable, detail=True):
            journal.create(self._engine, checkfirst=True)

    def append_work(self, rows: Sequence[JournalRow]) -> list[Work]:
        return [(self.insert, _JOURNAL_COLUMNS, rows)]

    def settle_work(self, log: str, start: int, below: int) -> list[Work]:
        """Removing ``log``'s journaled entries ``[start, below)``, folded into its tree in the
        same transaction."""
        return [(self.delete, ("log", "start", "below"), [(log, start, below)])]

    def remove_work(self, log: str, indexes: Sequence[int]) -> list[Work]:
        """Removing ``log``'s journaled entries at ``indexes`` (appended again elsewhere)."""
        return [(self.remove, ("log", "idx"), [(log, i) for i in indexes])]

    def pending(self, log: str, start: int) -> list[Journaled]:
        """``log``'s journaled entries from index ``start``, in index order."""
        return self._read(self._pending, {"log": log, "start": start})

    def orphans(self, log: str, below: int) -> list[Journaled]:
        """``log``'s journaled entries at indexes below ``below``, which its tree holds already:
        entries no fold will take, journaled by a second writer that reused those indexes."""
        return self._read(self._orphans, {"log": log, "below": below})

    def _read(self, statement: Compiled, values: dict[str, Any]) -> list[Journaled]:
        rows = fetch(self._engine, statement, values, failure=LedgerUnavailable, what="ledger")
        return [(int(i), bytes(b), bytes(h), str(t)) for i, b, h, t in rows]
