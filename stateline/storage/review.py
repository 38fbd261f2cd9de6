"""The review queue in the state node's own database: held requests, their documents, actions.

Held requests carry personal data (the query fields, the legal process), so they live in the
node's database (``node_metadata``) and nowhere else. Documents sit in their own table so that
listing the queue never reads them. Every move is a compare-and-set on the item's state, written
in one transaction with its action record: of two reviewers deciding at once, one wins and the
other gets ``ItemChanged``. Driver errors become ``StorageError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from stateline.directory.file import agency_entry, agency_from_entry
from stateline.directory.model import Agency
from stateline.errors import StorageError
from stateline.node.review.model import (
    DECISIONS,
    OPEN,
    Action,
    CitedProcess,
    Document,
    DocumentRef,
    HeldItem,
    ItemChanged,
    RequesterHistory,
    ReviewAction,
    ReviewState,
    Role,
)
from stateline.storage.failures import translated
from stateline.storage.schema import node_metadata
from stateline.wire.grammar import MKE, DataClass
from stateline.wire.messages import Header, Query

review_items = Table(
    "review_items",
    node_metadata,
    Column("message_id", String(64), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("requester_ori", String(9), nullable=False),
    Column("received", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("mke", String(2), nullable=False),
    Column("sender", String(9), nullable=False),
    Column("destinations", Text, nullable=False),  # JSON list
    Column("control", String(10)),
    Column("destination", String(9), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list of [tag, value]
    Column("requester", Text, nullable=False),  # JSON: the directory entry when held
    Column("requested", Text, nullable=False),  # JSON lists from here on
    Column("under_review", Text, nullable=False),
    Column("released_by_policy", Text, nullable=False, default="[]"),
    Column("policy_ids", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("duties", Text, nullable=False),
    Column("purpose", String(40)),
    Column("legal_process", Text),  # JSON object
    Column("document_type", String(100)),
    Column("document_name", String(200)),
    Column("document_size", Integer),
    Column("document_sha256", String(64)),
    Column("released", Text, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_reason", Text),
    Column("replied_at", DateTime(timezone=True)),  # when the late reply left
)
Index("ix_review_items_state_received", review_items.c.state, review_items.c.received)
Index("ix_review_items_requester", review_items.c.requester_ori, review_items.c.received)

review_documents = Table(
    "review_documents",
    node_metadata,
    Column("message_id", ForeignKey("review_items.message_id"), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

review_actions = Table(
    "review_actions",
    node_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", ForeignKey("review_items.message_id"), nullable=False, index=True),
    Column("requester", String(9), nullable=False),
    Column("action", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("target", String(20), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(10)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text),
    Column("released", Text, nullable=False),
    Column("audited_at", DateTime(timezone=True)),  # when the audit ledger took it
    UniqueConstraint("message_id", "target"),  # an item never returns to a state
)

TABLES = (review_items, review_documents, review_actions)

HISTORY_DAYS = 30
"""The window of a requester's recent history shown to reviewers."""

DECIDED = tuple(s for s in ReviewState if s not in OPEN)
"""States of items decided: approved in full or in part, or denied. None ever moves again."""


Items = list[HeldItem]
Actions = list[ReviewAction]


class AlreadyHeld(StorageError):
    """An item with this message id is already in the queue."""


def utc(moment: datetime) -> datetime:
    """An aware UTC time; a naive one (SQLite returns them so) was written as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("review times must be timezone-aware")
    return moment.astimezone(UTC)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _classes(values: Any) -> list[str]:
    return sorted(DataClass(v).value for v in values)


class SqlReviewStore:
    """Holds requests for review and moves them through the queue's states."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        with translated("review queue schema creation failed"):
            node_metadata.create_all(self.engine, tables=list(TABLES))

    def hold(self, item: HeldItem, document: Document | None = None) -> HeldItem:
        """Put a held request in the queue, with its document if one came; returns it as stored."""
        if document is not None:
            item = replace(item, document=document.ref)
        row = _row(item)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(review_items), [row])
                if document is not None:
                    conn.execute(
                        insert(review_documents),
                        [{"message_id": item.message_id, "content": document.content}],
                    )
        except IntegrityError as error:
            raise AlreadyHeld(f"message {item.message_id} is already held") from error
        except SQLAlchemyError as error:
            raise StorageError("review queue write failed") from error
        return item

    def get(self, message_id: str) -> HeldItem | None:
        query = select(review_items).where(review_items.c.message_id == message_id)
        rows = self._read(query)
        return _item(rows[0]._mapping) if rows else None

    def list(self, *states: ReviewState, limit: int = 500) -> Items:
        """Items in any of ``states`` (every state when none is given), oldest first."""
        query = select(review_items)
        if states:
            query = query.where(review_items.c.state.in_([s.value for s in states]))
        query = query.order_by(review_items.c.received, review_items.c.message_id).limit(limit)
        return [_item(row._mapping) for row in self._read(query)]

    def decided(
        self,
        *,
        message_id: str = "",
        requester: str = "",
        outcome: ReviewState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Items:
        """Decided items, the latest decision first, that match every filter given (see
        ``count_decided``); ``offset`` and ``limit`` cut one page of them."""
        query = (
            self._decided(message_id, requester, outcome)
            .order_by(review_items.c.decided_at.desc(), review_items.c.message_id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_item(row._mapping) for row in self._read(query)]

    def count_decided(
        self, *, message_id: str = "", requester: str = "", outcome: ReviewState | None = None
    ) -> int:
        """How many decided items match: ``message_id`` anywhere in the id (any case),
        ``requester`` at the start of the requesting ORI, ``outcome`` the state decided to."""
        query = self._decided(message_id, requester, outcome).with_only_columns(func.count())
        return int(self._read(query)[0][0])

    def _decided(self, message_id: str, requester: str, outcome: ReviewState | None) -> Any:
        query = select(review_items).where(review_items.c.state.in_([s.value for s in DECIDED]))
        if message_id.strip():
            term = message_id.strip().lower()
            query = query.where(
                func.lower(review_items.c.message_id).contains(term, autoescape=True)
            )
        if requester.strip():
            ori = requester.strip().upper()
            query = query.where(review_items.c.requester_ori.startswith(ori, autoescape=True))
        if outcome is not None:
            query = query.where(review_items.c.state == outcome.value)
        return query

    def overdue(self, now: datetime) -> Items:
        """Held items at or past their deadline, oldest first: the ones to escalate."""
        query = (
            select(review_items)
            .where(review_items.c.state == ReviewState.HELD.value)
            .where(review_items.c.deadline <= _aware(now))
            .order_by(review_items.c.received, review_items.c.message_id)
        )
        return [_item(row._mapping) for row in self._read(query)]

    def document(self, message_id: str) -> Document | None:
        query = (
            select(review_documents.c.content, review_items)
            .join(review_items, review_items.c.message_id == review_documents.c.message_id)
            .where(review_documents.c.message_id == message_id)
        )
        rows = self._read(query)
        if not rows:
            return None
        row = rows[0]._mapping
        return Document(bytes(row["content"]), row["document_type"], row["document_name"])

    def apply(self, action: ReviewAction) -> HeldItem:
        """Move an item as ``action`` says, if it is still where the action found it.

        The state change and the action record are one transaction. ``ItemChanged`` when the
        item has moved meanwhile (or does not exist): nothing is written then.
        """
        values: dict[str, Any] = {"state": action.target.value}
        if action.action in DECISIONS:
            values |= {
                "released": _json(_classes(action.released)),
                "decided_by": action.actor,
                "decided_at": _aware(action.at),
                "decision_reason": action.reason,
            }
        statement = (
            update(review_items)
            .where(review_items.c.message_id == action.message_id)
            .where(review_items.c.state == action.source.value)
            .values(**values)
        )
        with translated("review queue write failed"), self.engine.begin() as conn:
            if conn.execute(statement).rowcount != 1:
                raise ItemChanged(f"request {action.message_id} was already moved")
            conn.execute(insert(review_actions), [_action_row(action)])
        item = self.get(action.message_id)
        if item is None:  # only if deleted between the two statements: nothing deletes items
            raise ItemChanged(f"request {action.message_id} is gone")
        return item

    def actions(self, message_id: str) -> Actions:
        """Every action taken on an item, in order."""
        query = (
            select(review_actions)
            .where(review_actions.c.message_id == message_id)
            .order_by(review_actions.c.id)
        )
        return [_action(row._mapping) for row in self._read(query)]

    def unaudited(self) -> Actions:
        """Actions the audit ledger has not confirmed yet, oldest first."""
        query = (
            select(review_actions)
            .where(review_actions.c.audited_at.is_(None))
            .order_by(review_actions.c.id)
        )
        return [_action(row._mapping) for row in self._read(query)]

    def mark_audited(self, action: ReviewAction, now: datetime) -> None:
        statement = (
            update(review_actions)
            .where(review_actions.c.message_id == action.message_id)
            .where(review_actions.c.target == action.target.value)
            .values(audited_at=_aware(now))
        )
        self._write(statement)

    def unreplied(self) -> Items:
        """Decided items whose late reply has not left yet, oldest first."""
        decided = [s.value for s in ReviewState if s not in OPEN]
        query = (
            select(review_items)
            .where(review_items.c.state.in_(decided))
            .where(review_items.c.replied_at.is_(None))
            .order_by(review_items.c.received, review_items.c.message_id)
        )
        return [_item(row._mapping) for row in self._read(query)]

    def mark_replied(self, message_id: str, now: datetime) -> None:
        statement = (
            update(review_items)
            .where(review_items.c.message_id == message_id)
            .values(replied_at=_aware(now))
        )
        self._write(statement)

    def history(self, ori: str, now: datetime, days: int = HISTORY_DAYS) -> RequesterHistory:
        """How many of ``ori``'s requests this node held in the last ``days``, by state."""
        since = _aware(now) - timedelta(days=days)
        query = (
            select(review_items.c.state, func.count())
            .where(review_items.c.requester_ori == ori)
            .where(review_items.c.received >= since)
            .group_by(review_items.c.state)
        )
        counts = {ReviewState(state): int(count) for state, count in self._read(query)}
        return RequesterHistory(ori, days, counts)

    def _read(self, query: Any) -> Sequence[Any]:
        with translated("review queue read failed"), self.engine.connect() as conn:
            return conn.execute(query).all()

    def _write(self, statement: Any) -> None:
        with translated("review queue write failed"), self.engine.begin() as conn:
            conn.execute(statement)


def _agency_json(agency: Agency) -> str:
    return _json(agency_entry(agency, certifications=False))


def _agency(text: str) -> Agency:
    return agency_from_entry(orjson.loads(text), check=False)


def _legal_json(process: CitedProcess | None) -> str | None:
    if process is None:
        return None
    return _json(
        {
            "kind": process.kind,
            "number": process.number,
            "court": process.court,
            "judge": process.judge,
            "issued": process.issued.isoformat() if process.issued else None,
            "covers": _classes(process.covers) if process.covers is not None else None,
        }
    )


def _legal(text: str | None) -> CitedProcess | None:
    if text is None:
        return None
    data = orjson.loads(text)
    covers = data["covers"]
    return CitedProcess(
        kind=data["kind"],
        number=data["number"],
        court=data["court"],
        judge=data["judge"],
        issued=date.fromisoformat(data["issued"]) if data["issued"] else None,
        covers=frozenset(DataClass(c) for c in covers) if covers is not None else None,
    )


def _row(item: HeldItem) -> dict[str, Any]:
    header = item.query.header
    doc = item.document
    return {
        "message_id": item.message_id,
        "state": item.state.value,
        "requester_ori": item.requester.ori,
        "received": _aware(item.received),
        "deadline": _aware(item.deadline),
        "mke": header.mke.value,
        "sender": header.ori,
        "destinations": _json(list(header.destinations)),
        "control": header.control,
        "destination": item.destination,
        "fields": _json([list(pair) for pair in item.query.fields]),
        "requester": _agency_json(item.requester),
        "requested": _json(_classes(item.requested)),
        "under_review": _json(_classes(item.under_review)),
        "released_by_policy": _json(_classes(item.released_by_policy)),
        "policy_ids": _json(list(item.policy_ids)),
        "reasons": _json(list(item.reasons)),
        "duties": _json(list(item.duties)),
        "purpose": item.purpose,
        "legal_process": _legal_json(item.legal_process),
        "document_type": doc.content_type if doc else None,
        "document_name": doc.filename if doc else None,
        "document_size": doc.size if doc else None,
        "document_sha256": doc.sha256 if doc else None,
        "released": _json(_classes(item.released)),
        "decided_by": item.decided_by,
        "decided_at": _aware(item.decided_at) if item.decided_at else None,
        "decision_reason": item.decision_reason,
    }


def _item(row: Any) -> HeldItem:
    header = Header(
        MKE(row["mke"]),
        row["sender"],
        tuple(orjson.loads(row["destinations"])),
        row["control"],
    )
    fields = tuple((tag, value) for tag, value in orjson.loads(row["fields"]))
    document = None
    if row["document_type"] is not None:
        document = DocumentRef(
            row["document_type"],
            row["document_name"],
            int(row["document_size"]),
            row["document_sha256"],
        )
    return HeldItem(
        message_id=row["message_id"],
        query=Query(header, fields),
        destination=row["destination"],
        requester=_agency(row["requester"]),
        received=utc(row["received"]),
        deadline=utc(row["deadline"]),
        requested=frozenset(DataClass(c) for c in orjson.loads(row["requested"])),
        under_review=frozenset(DataClass(c) for c in orjson.loads(row["under_review"])),
        released_by_policy=frozenset(DataClass(c) for c in orjson.loads(row["released_by_policy"])),
        policy_ids=tuple(orjson.loads(row["policy_ids"])),
        reasons=tuple(orjson.loads(row["reasons"])),
        duties=tuple(orjson.loads(row["duties"])),
        purpose=row["purpose"],
        legal_process=_legal(row["legal_process"]),
        document=document,
        state=ReviewState(row["state"]),
        released=frozenset(DataClass(c) for c in orjson.loads(row["released"])),
        decided_by=row["decided_by"],
        decided_at=utc(row["decided_at"]) if row["decided_at"] else None,
        decision_reason=row["decision_reason"],
    )


def _action_row(action: ReviewAction) -> dict[str, Any]:
    return {
        "message_id": action.message_id,
        "requester": action.requester,
        "action": action.action.value,
        "source": action.source.value,
        "target": action.target.value,
        "actor": action.actor,
        "role": action.role.value if action.role is not None else None,
        "at": _aware(action.at),
        "reason": action.reason,
        "released": _json(_classes(action.released)),
    }


def _action(row: Any) -> ReviewAction:
    return ReviewAction(
        message_id=row["message_id"],
        requester=row["requester"],
        action=Action(row["action"]),
        source=ReviewState(row["source"]),
        target=ReviewState(row["target"]),
        actor=row["actor"],
        role=Role(row["role"]) if row["role"] is not None else None,
        at=utc(row["at"]),
        reason=row["reason"],
        released=frozenset(DataClass(c) for c in orjson.loads(row["released"])),
    )
