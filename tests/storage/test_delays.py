"""Tests for stateline/storage/delays.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from stateline.node.notices.delays import Delay, DelayBasis, DelayEvent
from stateline.node.notices.letters import letter_text
from stateline.storage.delays import SqlDelayStore
from stateline.storage.notices import SqlNoticeStore

from ..node.test_notices import IL_NOTICE, RECEIVED, notices


@pytest.fixture
def store(engine: Engine) -> SqlDelayStore:
    outbox = SqlNoticeStore(engine)
    outbox.create_schema()
    outbox.add([replace(n, letter=letter_text(n)) for n in notices(IL_NOTICE)], "system")
    made = SqlDelayStore(engine)
    made.create_schema()
    made.create_schema()  # twice is harmless
    return made


def step(notice_id: str, minutes: int, **changes: object) -> Delay:
    made = Delay(
        notice_id,
        DelayEvent.GRANTED,
        DelayBasis.COURT_ORDER,
        date(2026, 8, 1),
        "carl",
        RECEIVED + timedelta(minutes=minutes),
        "sealed order",
        "26-MJ-0042",
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_the_latest_step_of_each_notice_decides(store: SqlDelayStore) -> None:
    first, second = notices(IL_NOTICE)
    assert store.latest([first.notice_id, second.notice_id]) == {}
    granted = step(first.notice_id, 1)
    store.add(granted)
    moved = step(first.notice_id, 2, until=date(2026, 9, 1), reason=None)
    store.add(moved)
    other = step(second.notice_id, 3, basis=DelayBasis.COUNSEL, reference=None)
    store.add(other)
    lifted = step(second.notice_id, 4, event=DelayEvent.LIFTED, until=None, reason="vacated")
    store.add(lifted)
    latest = store.latest([first.notice_id, second.notice_id, "N-NOPE", first.notice_id])
    assert latest == {first.notice_id: moved, second.notice_id: lifted}
    assert store.latest([]) == {}
    assert store.history(first.notice_id) == [granted, moved]


def test_times_must_say_their_zone(store: SqlDelayStore) -> None:
    first, _ = notices(IL_NOTICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.add(step(first.notice_id, 1, at=RECEIVED.replace(tzinfo=None)))
