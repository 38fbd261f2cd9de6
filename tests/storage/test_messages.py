"""The hub's message log: buffered metadata, written in batches, read back as it was."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, inspect, text

from stateline.storage.engine import StorageError, open_engine, sqlite_url
from stateline.storage.messages import MessageLog, MessageRecord

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


def test_flushed_records_read_back_as_they_were(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    records = [record(n) for n in range(5)] + [record(5, sender=None, accepted=False)]
    for r in records:
        log.append(r)
    assert log.flush() == 6 and log.flush() == 0
    newest_first = log.for_sender("NYSTP0000")
    assert [r.id for r in newest_first] == [r.id for r in reversed(records[:5])]
    for got, want in zip(reversed(newest_first), records, strict=False):
        assert got.received.replace(tzinfo=UTC) == want.received
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


def test_a_failed_flush_keeps_its_records_for_the_next(engine: Engine) -> None:
    log = MessageLog(engine)  # no table yet: the write fails
    log.append(record(1))
    with pytest.raises(StorageError):
        log.flush()
    log.create_schema()
    assert log.flush() == 1
    assert log.get(record(1).id) is not None


def test_an_append_does_not_wait_for_a_flush_writing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The event loop appends while a flush writes on another thread: it takes the buffer and
    # goes on; what it appended goes in the next flush, after the records being written.
    log = MessageLog(engine)
    log.create_schema()
    log.append(record(1))
    writing, release = threading.Event(), threading.Event()
    write = log._write

    def held(rows: list[tuple[object, ...]]) -> None:
        writing.set()
        release.wait()
        write(rows)

    monkeypatch.setattr(log, "_write", held)
    flusher = threading.Thread(target=log.flush)
    flusher.start()
    writing.wait()
    appender = threading.Thread(target=log.append, args=(record(2),))
    appender.start()
    appender.join(timeout=30)
    blocked = appender.is_alive()
    release.set()
    flusher.join()
    appender.join()
    assert not blocked, "an append waited for the write of an earlier flush"
    assert log.get(record(1).id) is not None
    assert log.flush() == 0  # the read flushed record 2 already
    assert log.get(record(2).id) is not None


def test_an_older_log_gets_the_index_that_lists_a_sender_newest_first(engine: Engine) -> None:
    log = MessageLog(engine)
    log.create_schema()
    with engine.begin() as connection:  # the log as it was made before: indexed by sender alone
        connection.execute(text("DROP INDEX ix_messages_sender_received"))
        connection.execute(text("CREATE INDEX ix_messages_sender ON messages (sender)"))
    records = [record(n, sender="NYSTP0000" if n % 2 else "NJSP00000") for n in range(8)]
    for r in records:
        log.append(r)
    log.flush()
    log.create_schema()
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("messages")}
    assert indexes == {"ix_messages_sender_received": ["sender", "received"]}
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
