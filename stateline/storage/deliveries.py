"""The answers a node kept for deliveries that may come again, in the node's database
(``stateline.node.deliveries`` says why and when they are read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Engine,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    update,
)

from stateline.node.deliveries import Kept
from stateline.storage.failures import translated
from stateline.storage.review import utc
from stateline.storage.schema import node_metadata

node_deliveries = Table(
    "node_deliveries",
    node_metadata,
    Column("state", String(2), primary_key=True),
    Column("message_id", String(64), primary_key=True),
    Column("reply", Text, nullable=False),  # the answer's wire text: personal data
    Column("ledger_from", BigInteger, nullable=False),
    Column("sent", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)


class SqlDeliveryStore:
    """:class:`stateline.node.deliveries.DeliveryStore` on the node's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        with translated("cannot create the kept answers' table", detail=True):
            node_metadata.create_all(self.engine, tables=[node_deliveries])

    def get(self, state: str, message_id: str) -> Kept | None:
        query = select(node_deliveries).where(_key(state, message_id))
        with translated("cannot read a kept answer", detail=True), self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Kept(
            row.state, row.message_id, row.reply, int(row.ledger_from), utc(row.at), row.sent
        )

    def keep(self, kept: Kept) -> None:
        row = {
            "state": kept.state,
            "message_id": kept.message_id,
            "reply": kept.reply,
            "ledger_from": kept.ledger_from,
            "sent": kept.sent,
            "at": kept.at,
        }
        with translated("cannot keep an answer", detail=True), self.engine.begin() as conn:
            conn.execute(delete(node_deliveries).where(_key(kept.state, kept.message_id)))
            conn.execute(insert(node_deliveries), [row])

    def sent(self, state: str, message_id: str) -> None:
        statement = update(node_deliveries).where(_key(state, message_id)).values(sent=True)
        with translated("cannot mark an answer sent", detail=True), self.engine.begin() as conn:
            conn.execute(statement)

    def purge(self, before: datetime) -> int:
        statement = delete(node_deliveries).where(node_deliveries.c.at < before)
        with translated("cannot remove kept answers", detail=True), self.engine.begin() as conn:
            return int(conn.execute(statement).rowcount)


def _key(state: str, message_id: str) -> ColumnElement[bool]:
    return and_(node_deliveries.c.state == state, node_deliveries.c.message_id == message_id)
