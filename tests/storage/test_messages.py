"""The hub's message log and mailbox: durable when written, read back as they were."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect, text

from stateline.errors import StorageError
from stateline.hub.records import Answer, Kept, MessageRecord, answers_column
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.messages import MessageLog

START = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)


def record(n: int, sender: str | None = "NYSTP0000", accepted: bool = True) -> MessageRecord:
    return MessageRecord(
        id=f"{n:032x}",
        sender=sender,
        mke="DQ" if accepted else None,
        destinations="NY NJ" if accepted else "",
        form="text",
        received=START + timedelta(seconds=n),
        accepted=accepted,
        reason=None if accepted else 12,
        replies=1,
    )


def written(log: MessageLog, *records: MessageRecord) -> list[BaseException | None]:
    """Log ``records`` as concurrent requests do (one group commit), each one's failure."""

    async def together() -> list[BaseException | None]:
        outcomes = await asyncio.gather(*(log.record(r) for r in records), return_exceptions=True)
        return [o if isinstance(o, BaseException) else None for o in outcomes]

    return asyncio.run(together())


def test_records_are_durable_once_logged(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    records = [record(n) for n in range(5)] + [record(5, sender=None, accepted=False)]
    assert written(log, *records) == [None] * 6
    newest_first = log.for_sender("NYSTP0000")
    assert [r.id for r in newest_first] == [r.id for r in reversed(records[:5])]
    for got, want in zip(reversed(newest_first), records, strict=False):
        assert got.received == want.received
        assert (got.sender, got.mke, got.destinations, got.form) == (
            want.sender,
            want.mke,
            want.destinations,
            want.form,
        )
        assert (got.accepted, got.reason, got.replies) == (want.accepted, want.reason, 1)
    refused = log.get(records[5].id)
    assert refused is not None and refused.sender is None and refused.accepted is False
    assert refused.reason == 12
    log.close()


def test_a_failed_write_fails_only_its_own_request(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    assert written(log, record(1)) == [None]
    outcomes = written(log, record(2), record(1), record(3))  # 1 again: its id is taken
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], StorageError)
    assert {r.id for r in log.for_sender("NYSTP0000")} == {record(n).id for n in (1, 2, 3)}
    log.close()


def test_answers_go_with_their_message_and_late_ones_to_the_mailbox(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    first = replace(record(1), answers=answers_column([("NY", "ab" * 32), ("NJ", "ef" * 32)]))
    assert written(log, first) == [None]
    late_answer = Answer(first.id, "NY", START + timedelta(hours=2), "cd" * 32, late=True)
    later = START + timedelta(hours=2)
    late = Kept(first.id, "NYSTP0000", "late", "DR.NYOLN0000\n(late)", later, later + DAY)
    log.late(late_answer, late)
    at = first.received
    in_time = [Answer(first.id, "NY", at, "ab" * 32), Answer(first.id, "NJ", at, "ef" * 32)]
    assert [a for batch in log.answered() for a in batch] == [*in_time, late_answer]
    assert log.answers_to([first.id]) == [*in_time, late_answer]
    got = log.get(first.id)
    assert got is not None and got.replies == 2  # the late one counts
    fetched = log.held_for(first.id, "NYSTP0000", later + timedelta(minutes=1))
    assert fetched is not None and [k.body for k in fetched] == [late.body]
    assert log.held_for(first.id, "NJSTP0000", later) is None  # never another agency's
    (waiting,) = log.waiting("NYSTP0000", later + timedelta(minutes=2))
    assert waiting.kind == "late" and waiting.fetched is not None
    # Fetched again with a shorter keeping: a fetched reply is not held for the week.
    soon = later + timedelta(hours=1)
    assert log.held_for(first.id, "NYSTP0000", later, until=soon) is not None
    (waiting,) = log.waiting("NYSTP0000", later)
    assert waiting.expires == later + DAY  # fetched before: its keeping stands
    another = Kept(first.id, "NYSTP0000", "late", "DR.NYOLN0000\n(later)", later, later + DAY)
    log.late(None, another)
    assert log.held_for(first.id, "NYSTP0000", later, until=soon) is not None
    assert {w.expires for w in log.waiting("NYSTP0000", later)} == {later + DAY, soon}
    assert log.purge(later + 2 * DAY) == 2  # all expired: gone from the table
    assert log.held_for(first.id, "NYSTP0000", later) is None
    log.close()


DAY = timedelta(days=1)


def test_a_retry_finds_its_message_by_key(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    keyed = replace(record(1), idempotency_key="k-1")
    assert written(log, keyed) == [None]
    assert log.by_key("NYSTP0000", "k-1") == keyed
    assert log.by_key("NJSTP0000", "k-1") is None
    # One message per key and sender.
    (taken,) = written(log, replace(record(2), idempotency_key="k-1"))
    assert isinstance(taken, StorageError)
    assert written(log, replace(record(3), sender="NJSTP0000", idempotency_key="k-1")) == [None]
    log.close()


def test_an_older_log_gets_the_index_that_lists_a_sender_newest_first(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    with engine.begin() as connection:  # the log as it was made before: indexed by sender alone
        connection.execute(text("DROP INDEX ix_messages_sender_received"))
        connection.execute(text("CREATE INDEX ix_messages_sender ON messages (sender)"))
    records = [record(n, sender="NYSTP0000" if n % 2 else "NJSP00000") for n in range(8)]
    assert written(log, *records) == [None] * len(records)
    log.create_schema()
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("messages")}
    assert indexes == {
        "ix_messages_sender_received": ["sender", "received"],
        "ix_messages_sender_idempotency_key": ["sender", "idempotency_key"],
    }
    assert [r.id for r in log.for_sender("NYSTP0000", limit=3)] == [
        records[n].id for n in (7, 5, 3)
    ]
    log.create_schema()  # and again: nothing left to change
    assert [r.id for r in log.for_sender("NJSP00000")] == [records[n].id for n in (6, 4, 2, 0)]


def test_a_senders_newest_messages_come_off_the_index_unsorted(tmp_path: Path) -> None:
    # However many messages an agency has sent, listing its newest reads only those.
    engine = open_engine(sqlite_url(str(tmp_path / "hub.sqlite")))
    log = MessageLog(engine)
    log.create_schema()
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _keep(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    log.for_sender("NYSTP0000", limit=10)
    query, parameters = next(s for s in statements if s[0].lstrip().upper().startswith("SELECT"))
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", parameters).all()
    steps = " / ".join(str(step[-1]) for step in plan)
    assert "USING INDEX ix_messages_sender_received (sender=?)" in steps, steps
    assert "TEMP B-TREE" not in steps, steps
    engine.dispose()
