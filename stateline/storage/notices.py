"""The notices outbox in the state node's own database: notices, their letters, their events.

A notice holds the person's name and mailing address and the letter written to them, so it
lives in the node's database (``node_metadata``) and nowhere else; the ledger gets only the
subject key. Every event (created, sent, cancelled) is a row written in the same transaction
as the change it records, with the time the ledger took it (``logged_at``): an event the
ledger has not confirmed yet is found by ``unlogged`` and appended again. Sending and
cancelling are compare-and-set on a pending notice, so of two clerks marking one letter sent,
one wins and the other is told (``NoticeChanged``). Driver errors become ``StorageError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from stateline.node.notices.model import (
    Disclosed,
    LoggedEvent,
    Notice,
    NoticeChanged,
    NoticeEvent,
    NoticeStatus,
)
from stateline.storage.failures import translated
from stateline.storage.review import utc
from stateline.storage.schema import node_metadata
from stateline.wire.grammar import DataClass

notices = Table(
    "notices",
    node_metadata,
    Column("notice_id", String(24), primary_key=True),
    Column("state", String(2), nullable=False),
    Column("message_id", String(64), nullable=False, index=True),
    Column("subject", String(64), nullable=False),
    Column("requester_ori", String(9), nullable=False),
    Column("requester_name", Text, nullable=False),
    Column("received", DateTime(timezone=True), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("due", Date, nullable=False),
    Column("within_days", Integer, nullable=False),
    Column("business_days", Boolean, nullable=False),
    Column("statute", Text, nullable=False),
    Column("policy_id", String(200)),
    Column("disclosed", String(20), nullable=False),
    Column("requested", Text, nullable=False),  # JSON lists of data classes
    Column("released", Text, nullable=False),
    Column("recipient_name", Text, nullable=False),
    Column("recipient_address", Text, nullable=False),  # JSON list of mailing lines
    Column("delay_requested", Boolean, nullable=False),
    Column("letter", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),
    Column("cancel_reason", Text),
)
Index("ix_notices_status_due", notices.c.status, notices.c.due)

notice_events = Table(
    "notice_events",
    node_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", ForeignKey("notices.notice_id"), nullable=False, index=True),
    Column("event", String(12), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("logged_at", DateTime(timezone=True)),  # when the ledger took it
    UniqueConstraint("notice_id", "event"),  # each happens once to a notice
)

TABLES = (notices, notice_events)

Notices = list[Notice]


Events = list[LoggedEvent]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("notice times must be timezone-aware")
    return utc(moment)


def _classes(values: frozenset[DataClass]) -> str:
    return orjson.dumps(sorted(c.value for c in values)).decode()


def _row(notice: Notice) -> dict[str, Any]:
    return {
        "notice_id": notice.notice_id,
        "state": notice.state,
        "message_id": notice.message_id,
        "subject": notice.subject,
        "requester_ori": notice.requester_ori,
        "requester_name": notice.requester_name,
        "received": _aware(notice.received),
        "created": _aware(notice.created),
        "due": notice.due,
        "within_days": notice.within_days,
        "business_days": notice.business_days,
        "statute": notice.statute,
        "policy_id": notice.policy_id,
        "disclosed": notice.disclosed.value,
        "requested": _classes(notice.requested),
        "released": _classes(notice.released),
        "recipient_name": notice.recipient_name,
        "recipient_address": orjson.dumps(list(notice.recipient_address)).decode(),
        "delay_requested": notice.delay_requested,
        "letter": notice.letter,
        "status": notice.status.value,
        "closed_at": _aware(notice.closed_at) if notice.closed_at else None,
        "closed_by": notice.closed_by,
        "cancel_reason": notice.cancel_reason,
    }


def _day(value: date | str) -> date:
    # SQLite hands a Date column back as a date already; keep a string reading for safety.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _notice(row: Any) -> Notice:
    return Notice(
        notice_id=row["notice_id"],
        state=row["state"],
        message_id=row["message_id"],
        subject=row["subject"],
        requester_ori=row["requester_ori"],
        requester_name=row["requester_name"],
        received=utc(row["received"]),
        created=utc(row["created"]),
        due=_day(row["due"]),
        within_days=int(row["within_days"]),
        business_days=bool(row["business_days"]),
        statute=row["statute"],
        policy_id=row["policy_id"],
        disclosed=Disclosed(row["disclosed"]),
        requested=frozenset(DataClass(c) for c in orjson.loads(row["requested"])),
        released=frozenset(DataClass(c) for c in orjson.loads(row["released"])),
        recipient_name=row["recipient_name"],
        recipient_address=tuple(orjson.loads(row["recipient_address"])),
        delay_requested=bool(row["delay_requested"]),
        letter=row["letter"],
        status=NoticeStatus(row["status"]),
        closed_at=utc(row["closed_at"]) if row["closed_at"] else None,
        closed_by=row["closed_by"],
        cancel_reason=row["cancel_reason"],
    )


class SqlNoticeStore:
    """The outbox: notices waiting to be sent, sent, or cancelled, and their events."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        with translated("notices outbox schema creation failed"):
            node_metadata.create_all(self.engine, tables=list(TABLES))

    def add(self, new: Sequence[Notice], actor: str) -> Notices:
        """Store notices with their ``created`` events; returns those not stored before.

        A notice whose id is already there is left as it is, so making the notices of a
        request again (a retried delivery) creates none twice.
        """
        if not new:
            return []
        ids = [notice.notice_id for notice in new]
        with translated("notices outbox write failed"), self.engine.begin() as conn:
            query = select(notices.c.notice_id).where(notices.c.notice_id.in_(ids))
            known = set(conn.execute(query).scalars())
            fresh = list({n.notice_id: n for n in new if n.notice_id not in known}.values())
            if fresh:
                conn.execute(insert(notices), [_row(n) for n in fresh])
                events = [_event_row(n, NoticeEvent.CREATED, actor, n.created) for n in fresh]
                conn.execute(insert(notice_events), events)
        return fresh

    def get(self, notice_id: str) -> Notice | None:
        rows = self._read(select(notices).where(notices.c.notice_id == notice_id))
        return _notice(rows[0]._mapping) if rows else None

    def list(self, *statuses: NoticeStatus, limit: int = 500) -> Notices:
        """Notices in any of ``statuses`` (all when none is given), soonest due first."""
        query = select(notices)
        if statuses:
            query = query.where(notices.c.status.in_([s.value for s in statuses]))
        query = query.order_by(notices.c.due, notices.c.created, notices.c.notice_id)
        return [_notice(row._mapping) for row in self._read(query.limit(limit))]

    def for_message(self, message_id: str) -> Notices:
        query = select(notices).where(notices.c.message_id == message_id)
        return [_notice(row._mapping) for row in self._read(query.order_by(notices.c.notice_id))]

    def counts(self) -> dict[NoticeStatus, int]:
        """How many notices are in each status."""
        query = select(notices.c.status, func.count()).group_by(notices.c.status)
        return {NoticeStatus(status): int(count) for status, count in self._read(query)}

    def rewrite(self, notice: Notice) -> bool:
        """Store a pending notice's new outcome and letter; False if it is no longer pending."""
        statement = (
            update(notices)
            .where(notices.c.notice_id == notice.notice_id)
            .where(notices.c.status == NoticeStatus.PENDING.value)
            .values(
                disclosed=notice.disclosed.value,
                released=_classes(notice.released),
                letter=notice.letter,
            )
        )
        with translated("notices outbox write failed"), self.engine.begin() as conn:
            return bool(conn.execute(statement).rowcount == 1)

    def close(self, notice: Notice, event: NoticeEvent) -> Notice:
        """Record a pending notice as sent or cancelled (``notices.close`` made ``notice``),
        with its event, in one transaction; ``NoticeChanged`` if it is no longer pending."""
        if notice.closed_at is None or notice.closed_by is None:
            raise ValueError("a closed notice says when and by whom")
        statement = (
            update(notices)
            .where(notices.c.notice_id == notice.notice_id)
            .where(notices.c.status == NoticeStatus.PENDING.value)
            .values(
                status=notice.status.value,
                closed_at=_aware(notice.closed_at),
                closed_by=notice.closed_by,
                cancel_reason=notice.cancel_reason,
            )
        )
        with translated("notices outbox write failed"), self.engine.begin() as conn:
            if conn.execute(statement).rowcount != 1:
                raise NoticeChanged(f"notice {notice.notice_id} is no longer pending")
            row = _event_row(notice, event, notice.closed_by, notice.closed_at)
            conn.execute(insert(notice_events), [row])
        return notice

    def unlogged(self) -> Events:
        """Events the ledger has not confirmed yet, oldest first, with their notices."""
        query = (
            select(notice_events.c.event, notice_events.c.actor, notice_events.c.at, notices)
            .join(notices, notices.c.notice_id == notice_events.c.notice_id)
            .where(notice_events.c.logged_at.is_(None))
            .order_by(notice_events.c.id)
        )
        return [
            LoggedEvent(
                _notice(row._mapping),
                NoticeEvent(row.event),
                row.actor,
                utc(row.at),
            )
            for row in self._read(query)
        ]

    def mark_logged(self, notice_id: str, event: NoticeEvent, now: datetime) -> None:
        statement = (
            update(notice_events)
            .where(notice_events.c.notice_id == notice_id)
            .where(notice_events.c.event == event.value)
            .values(logged_at=_aware(now))
        )
        with translated("notices outbox write failed"), self.engine.begin() as conn:
            conn.execute(statement)

    def _read(self, query: Any) -> Sequence[Any]:
        with translated("notices outbox read failed"), self.engine.connect() as conn:
            return conn.execute(query).all()


def _event_row(notice: Notice, event: NoticeEvent, actor: str, at: datetime) -> dict[str, Any]:
    return {"notice_id": notice.notice_id, "event": event.value, "actor": actor, "at": _aware(at)}
