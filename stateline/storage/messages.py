"""The hub's message log and mailbox: what each agency sent, which states answered, and the
replies waiting for their agency.

Three tables in the hub's database, written together, durably, before an answer goes out:

- ``messages``: one row per input (id, sender, key, destinations, times, outcome, reply count,
  the idempotency key a retry names it by), and the states whose nodes answered it in time,
  each with the SHA-256 of its answer's bytes as the node sent it: the digest the node's ledger
  records in its disclosure entry. ``stateline ledger reconcile`` matches the two, answer for
  disclosure. No field values.
- ``answers``: the answers that came after the reply went out (a reviewed request's answer, a
  state that answered after the deadline), one row each, with the same digest.
- ``mailbox``: late replies (wire text, as stamped) and AMs waiting for an agency until they
  expire. These are personal data: they leave the table when they expire
  (:meth:`MessageLog.purge`). Replies sent in the HTTP answer are not written here.

A message's row must be as durable as its ledger entries (reconcile compares them), so it is
committed before its reply goes out, on the event loop with every other message ready at the
same turn (:class:`~stateline.batching.IdleGroup`): a burst of requests shares a commit,
and a message is one row in one table and its index by sender.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
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
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    inspect,
    literal_column,
    null,
    select,
    text,
    update,
)

from stateline.batching import IdleGroup
from stateline.errors import StorageError
from stateline.hub.records import Answer, Kept, MessageRecord
from stateline.storage.compiled import Compiled
from stateline.storage.failures import translated
from stateline.storage.schema import hub_metadata
from stateline.storage.writer import DurableWriter, Work, merged

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
    Column("idempotency_key", String(100)),  # a retry's name for it, unique per sender
    Column("input_sha256", String(64)),  # of the input's text, where it has a key
    Column("answers", Text),  # "NY:<sha256> NJ:<sha256>": who answered in time, and what
)

by_sender = Index("ix_messages_sender_received", messages.c.sender, messages.c.received)
"""An agency's messages in time order: its newest are read off the end, never sorted."""

by_key = Index(
    "ix_messages_sender_idempotency_key",
    messages.c.sender,
    messages.c.idempotency_key,
    unique=True,
    sqlite_where=messages.c.idempotency_key.is_not(None),
    postgresql_where=messages.c.idempotency_key.is_not(None),
)
"""A retry finds the first message by its key; a key names one message of its sender. Only
keyed messages are in it: most have none, and every index is one more write a message."""

_SENDER_ONLY = "ix_messages_sender"
"""The index by sender alone of logs made before :data:`by_sender`, which replaces it."""

answers = Table(
    "answers",
    hub_metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(32), nullable=False, index=True),
    Column("state", String(2), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("answer_sha256", String(64), nullable=False),
    Column("late", Boolean, nullable=False),
)

mailbox = Table(
    "mailbox",
    hub_metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(32), nullable=False, index=True),
    Column("recipient", String(9), nullable=False),
    Column("kind", String(5), nullable=False),  # reply, late, am
    Column("body", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False, index=True),
    Column("fetched", DateTime(timezone=True)),
)
Index("ix_mailbox_recipient_at", mailbox.c.recipient, mailbox.c.at)


def _answers_in(record: MessageRecord) -> list[Answer]:
    if not record.answers:
        return []
    return [
        Answer(record.id, state, record.received, digest)
        for state, _, digest in (part.partition(":") for part in record.answers.split())
    ]


class MessageLog:
    """Writes and reads the hub's message log and mailbox."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = DurableWriter(engine)
        self._writing = threading.Lock()  # the loop's group commits and other threads' writes
        # Committed on the loop at its next turn, not once it is idle: the ledgers' commit has
        # waited for that already, and a second wait for idleness raises the p99; a writer
        # thread costs more CPU a commit in waking it and being woken by it (docs/performance.md).
        self._group: IdleGroup[list[Work]] = IdleGroup(
            self._commit, turns=0, name="message log commit"
        )
        self._insert_message = _Insert(messages, engine)
        self._insert_answer = _Insert(answers, engine, skip=("id",))
        self._insert_kept = _Insert(mailbox, engine, skip=("id",))
        self._one_more_reply = Compiled(
            update(messages)
            .where(messages.c.id == bindparam("message_id"))
            .values(replies=messages.c.replies + literal_column("1")),
            engine,
        )

        self._unkey = Compiled(
            update(messages)
            .where(messages.c.id == bindparam("message_id"))
            .values(idempotency_key=null()),
            engine,
        )

    def create_schema(self) -> None:
        """Create the log, or bring an older one up to date: older logs were indexed by sender
        alone, and had no idempotency keys."""
        with translated("cannot create the message log", detail=True):
            hub_metadata.create_all(self.engine, tables=[messages, answers, mailbox])
            columns = {c["name"] for c in inspect(self.engine).get_columns("messages")}
            with self.engine.begin() as connection:
                for name, kind in (
                    ("idempotency_key", "VARCHAR(100)"),
                    ("input_sha256", "VARCHAR(64)"),
                    ("answers", "TEXT"),
                ):
                    if name not in columns:
                        connection.execute(text(f"ALTER TABLE messages ADD COLUMN {name} {kind}"))
                by_sender.create(connection, checkfirst=True)
                by_key.create(connection, checkfirst=True)
                connection.execute(text(f"DROP INDEX IF EXISTS {_SENDER_ONLY}"))

    async def record(self, record: MessageRecord, kept: Sequence[Kept] = ()) -> None:
        """Log a message (with its nodes' answers, :func:`answers_column`) and what its AMs
        leave in mailboxes, in one transaction; returns once it is durable, raises
        :class:`StorageError` if it could not be written."""
        work = self._insert_message.work([record])
        if kept:
            work += self._insert_kept.work(kept)
        await self._group.add(work)

    def late(self, answer: Answer | None, kept: Kept) -> None:
        """Log a reply that came after the others (the node's answer behind it, if a node gave
        one) and keep it for its recipient; the message counts one more reply. Returns once
        it is durable."""
        work: list[Work] = []
        if answer is not None:
            work += self._insert_answer.work([answer])
        work += self._insert_kept.work([kept])
        if kept.kind != "am":
            work.append((self._one_more_reply, ("message_id",), [(kept.message_id,)]))
        self._write(work)

    def unkey(self, message_id: str) -> None:
        """Free the idempotency key of ``message_id`` for a later message to take."""
        self._write([(self._unkey, ("message_id",), [(message_id,)])])

    def _write(self, work: list[Work]) -> None:
        with self._writing:
            self._writer.transaction(work)

    def _commit(self, works: list[list[Work]]) -> list[BaseException | None]:
        """One transaction for every message of a group; if it fails, each is tried on its own,
        so one bad row fails only its own request."""
        with self._writing:
            try:
                self._writer.transaction(merged(works))
                return [None] * len(works)
            except StorageError:
                if len(works) == 1:
                    raise
            outcomes: list[BaseException | None] = []
            for work in works:
                try:
                    self._writer.transaction(work)
                    outcomes.append(None)
                except StorageError as error:
                    outcomes.append(error)
            return outcomes

    def close(self) -> None:
        """Release the writer's connection."""
        with self._writing:
            self._writer.close()

    # Reads -----------------------------------------------------------------------------------

    def _rows(self, statement: Any) -> list[Any]:
        with translated("message log read failed"), self.engine.connect() as conn:
            return list(conn.execute(statement).all())

    def for_sender(self, ori: str, limit: int = 100) -> list[MessageRecord]:
        query = (
            select(messages)
            .where(messages.c.sender == ori)
            .order_by(messages.c.received.desc())
            .limit(limit)
        )
        return [_record(row) for row in self._rows(query)]

    def get(self, message_id: str) -> MessageRecord | None:
        rows = self._rows(select(messages).where(messages.c.id == message_id))
        return _record(rows[0]) if rows else None

    def by_key(self, sender: str, key: str) -> MessageRecord | None:
        """The message ``sender`` sent under idempotency key ``key``, if any."""
        query = select(messages).where(
            messages.c.sender == sender, messages.c.idempotency_key == key
        )
        rows = self._rows(query)
        return _record(rows[0]) if rows else None

    def held_for(
        self, message_id: str, ori: str, now: datetime, until: datetime | None = None
    ) -> list[Kept] | None:
        """The replies to ``message_id`` kept for ``ori``, oldest first, marked fetched now,
        and kept no later than ``until`` from now on, if given (``None``: no such message of
        ``ori``'s, or all its replies expired)."""
        c = mailbox.c
        mine = and_(c.message_id == message_id, c.recipient == ori, c.kind != "am")
        fetched: dict[str, Any] = {"fetched": now}
        if until is not None:
            fetched["expires"] = case((c.expires > until, until), else_=c.expires)
        with translated("mailbox read failed"), self.engine.begin() as conn:
            rows = conn.execute(select(mailbox).where(mine, c.expires >= now).order_by(c.id)).all()
            if rows:
                conn.execute(update(mailbox).where(mine, c.fetched.is_(None)).values(fetched))
        return [_kept(row) for row in rows] or None

    def waiting(self, ori: str, now: datetime, limit: int = 1000) -> list[Kept]:
        """What the mailbox holds for ``ori`` that it did not ask for by message id: late
        replies and AMs, newest first, unexpired (fetched ones say so)."""
        c = mailbox.c
        query = (
            select(mailbox)
            .where(c.recipient == ori, c.kind != "reply", c.expires >= now)
            .order_by(c.at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_kept(row) for row in self._rows(query)]

    def purge(self, now: datetime) -> int:
        """Remove the mailbox's expired replies and AMs; returns how many."""
        with translated("mailbox purge failed"), self.engine.begin() as conn:
            return int(conn.execute(delete(mailbox).where(mailbox.c.expires < now)).rowcount)

    def answered(self, chunk: int = 10_000) -> Iterator[list[Answer]]:
        """Every node's answer the hub logged, ``chunk`` messages or late answers at a time:
        those in time by message id, then the late ones in the order logged."""
        after = ""
        while True:
            rows = self._rows(
                select(messages)
                .where(messages.c.id > after, messages.c.answers.is_not(None))
                .order_by(messages.c.id)
                .limit(chunk)
            )
            if not rows:
                break
            after = rows[-1].id
            yield [answer for row in rows for answer in _answers_in(_record(row))]
        last = 0
        while True:
            rows = self._rows(
                select(answers).where(answers.c.id > last).order_by(answers.c.id).limit(chunk)
            )
            if not rows:
                return
            last = rows[-1].id
            yield [_answer(r) for r in rows]

    def answers_to(self, message_ids: Sequence[str]) -> list[Answer]:
        """Every node's answer the hub logged to these messages."""
        found: list[Answer] = []
        for start in range(0, len(message_ids), 500):
            part = list(message_ids[start : start + 500])
            rows = self._rows(select(messages).where(messages.c.id.in_(part)))
            found += [answer for row in rows for answer in _answers_in(_record(row))]
            rows = self._rows(select(answers).where(answers.c.message_id.in_(part)))
            found += [_answer(r) for r in rows]
        return found

    def count(self) -> int:
        return int(self._rows(select(func.count()).select_from(messages))[0][0])

    def routed(self, message_ids: Sequence[str]) -> dict[str, MessageRecord]:
        """The records of these messages, by id (those the log holds)."""
        found: dict[str, MessageRecord] = {}
        for start in range(0, len(message_ids), 5_000):  # SQLite binds up to 32,766
            part = list(message_ids[start : start + 5_000])
            rows = self._rows(select(messages).where(messages.c.id.in_(part)))
            found |= {row.id: _record(row) for row in rows}
        return found


class _Insert:
    """A table's insert compiled once, with each value converted by its column type once, as
    the driver's ``executemany`` takes rows (Connection.execute would cost more than the row)."""

    def __init__(self, table: Table, engine: Engine, skip: tuple[str, ...] = ()) -> None:
        self.columns = tuple(c.name for c in table.columns if c.name not in skip)
        self.statement = Compiled(insert(table), engine, self.columns)
        dialect = engine.dialect
        self._convert = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.columns
        ]
        self._values: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*self.columns)

    def work(self, items: Sequence[Any]) -> list[Work]:
        rows = [
            tuple(
                v if c is None or v is None else c(v)
                for c, v in zip(self._convert, self._values(item), strict=True)
            )
            for item in items
        ]
        return [(self.statement, self.columns, rows)]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _record(row: Any) -> MessageRecord:
    values = dict(row._mapping)
    values["received"] = _utc(values["received"])
    return MessageRecord(**values)


def _answer(row: Any) -> Answer:
    return Answer(row.message_id, row.state, _utc(row.at), row.answer_sha256, bool(row.late))


def _kept(row: Any) -> Kept:
    return Kept(
        row.message_id,
        row.recipient,
        row.kind,
        row.body,
        _utc(row.at),
        _utc(row.expires),
        None if row.fetched is None else _utc(row.fetched),
    )
