"""The delays of notices in the node's database: every grant and lift, the latest one deciding.

A table of its own beside the outbox's (``storage.notices``): a notice may be delayed, the
delay moved and lifted several times, each step a row, and ``create_all`` adds the table to a
node database made before delays existed. The ledger holds the same steps as ``notice-delay``
entries; this table is how the outbox knows, without reading the ledger, which letters wait.
Driver errors become ``StorageError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from stateline.node.notices.delays import Delay, DelayBasis, DelayEvent
from stateline.storage.failures import translated
from stateline.storage.notices import notices
from stateline.storage.review import utc
from stateline.storage.schema import node_metadata

notice_delays = Table(
    "notice_delays",
    node_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", ForeignKey(notices.c.notice_id), nullable=False, index=True),
    Column("event", String(12), nullable=False),
    Column("basis", String(16), nullable=False),
    Column("delayed_until", Date),  # a grant's last day, in the state's calendar
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("reference", Text),  # the court order's number and court
)


def _day(value: date | str | None) -> date | None:
    # SQLite hands a Date column back as a date already; keep a string reading for safety.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _delay(row: Any) -> Delay:
    return Delay(
        notice_id=row["notice_id"],
        event=DelayEvent(row["event"]),
        basis=DelayBasis(row["basis"]),
        until=_day(row["delayed_until"]),
        actor=row["actor"],
        at=utc(row["at"]),
        reason=row["reason"],
        reference=row["reference"],
    )


class SqlDelayStore:
    """Grants and lifts of notices' delays, oldest first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        with translated("notice delays schema creation failed"):
            node_metadata.create_all(self.engine, tables=[notices, notice_delays])

    def add(self, delay: Delay) -> None:
        if delay.at.tzinfo is None:
            raise ValueError("delay times must be timezone-aware")
        row = {
            "notice_id": delay.notice_id,
            "event": delay.event.value,
            "basis": delay.basis.value,
            "delayed_until": delay.until,
            "actor": delay.actor,
            "at": utc(delay.at),
            "reason": delay.reason,
            "reference": delay.reference,
        }
        with translated("notice delays write failed"), self.engine.begin() as conn:
            conn.execute(insert(notice_delays), [row])

    def latest(self, notice_ids: Iterable[str]) -> dict[str, Delay]:
        """Each notice's latest step, for those with any."""
        wanted = list(dict.fromkeys(notice_ids))
        if not wanted:
            return {}
        newest = (
            select(func.max(notice_delays.c.id))
            .where(notice_delays.c.notice_id.in_(wanted))
            .group_by(notice_delays.c.notice_id)
        )
        query = select(notice_delays).where(notice_delays.c.id.in_(newest))
        return {row.notice_id: _delay(row._mapping) for row in self._read(query)}

    def history(self, notice_id: str) -> list[Delay]:
        """Every step of one notice's delays, oldest first."""
        query = (
            select(notice_delays)
            .where(notice_delays.c.notice_id == notice_id)
            .order_by(notice_delays.c.id)
        )
        return [_delay(row._mapping) for row in self._read(query)]

    def _read(self, query: Any) -> Sequence[Any]:
        with translated("notice delays read failed"), self.engine.connect() as conn:
            return conn.execute(query).all()


def delays_beside(store: Any) -> SqlDelayStore:
    """The delays kept in the same database as the notice store ``store`` (an
    ``SqlNoticeStore``), their table made if it is missing (an outbox from before delays)."""
    delays = SqlDelayStore(store.engine)
    delays.create_schema()
    return delays
