"""Tests for stateline/storage/notices.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from stateline.node.notices.letters import letter_text
from stateline.node.notices.model import (
    Disclosed,
    Notice,
    NoticeChanged,
    NoticeEvent,
    NoticeStatus,
    close,
    decided,
)
from stateline.node.review.model import Reviewer, Role
from stateline.storage.notices import SqlNoticeStore
from stateline.wire.grammar import DataClass

from ..node.test_notices import IL_NOTICE, RECEIVED, notices

RITA = Reviewer("rita", Role.REVIEWER)


@pytest.fixture
def store(engine: Engine) -> SqlNoticeStore:
    made = SqlNoticeStore(engine)
    made.create_schema()
    made.create_schema()  # twice is harmless
    return made


def written(disclosed: Disclosed = Disclosed.DENIED) -> list[Notice]:
    return [replace(n, letter=letter_text(n)) for n in notices(IL_NOTICE, disclosed)]


def test_a_notice_round_trips(store: SqlNoticeStore) -> None:
    first, second = written()
    first = replace(first, delay_requested=True)
    assert store.add([first, second], "system") == [first, second]
    assert store.get(first.notice_id) == first
    assert store.get("N-NOPE") is None
    assert store.for_message("m-1") == sorted([first, second], key=lambda n: n.notice_id)


def test_adding_again_creates_nothing_twice(store: SqlNoticeStore) -> None:
    made = written()
    store.add(made[:1], "system")
    assert store.add(made, "system") == made[1:]
    assert store.add(made, "system") == []
    assert len(store.list()) == 2
    assert len(store.unlogged()) == 2  # one created event each


def test_list_soonest_due_first_and_by_status(store: SqlNoticeStore) -> None:
    early, late = written()
    late = replace(late, due=late.due + timedelta(days=3))
    store.add([late, early], "system")
    assert [n.notice_id for n in store.list()] == [early.notice_id, late.notice_id]
    sent = close(early, NoticeEvent.SENT, RITA, RECEIVED + timedelta(days=1))
    store.close(sent, NoticeEvent.SENT)
    assert store.list(NoticeStatus.PENDING) == [late]
    assert store.list(NoticeStatus.SENT) == [sent]
    assert store.counts() == {NoticeStatus.PENDING: 1, NoticeStatus.SENT: 1}


def test_sending_is_compare_and_set(store: SqlNoticeStore) -> None:
    notice = written()[0]
    store.add([notice], "system")
    at = RECEIVED + timedelta(hours=5)
    store.close(close(notice, NoticeEvent.SENT, RITA, at), NoticeEvent.SENT)
    counsel = Reviewer("carl", Role.COUNSEL)
    # A second clerk read the notice while it was still pending.
    late = close(notice, NoticeEvent.CANCELLED, counsel, at, "duplicate")
    with pytest.raises(NoticeChanged):
        store.close(late, NoticeEvent.CANCELLED)
    stored = store.get(notice.notice_id)
    assert stored is not None
    assert (stored.status, stored.closed_by, stored.closed_at) == (NoticeStatus.SENT, "rita", at)


def test_events_wait_for_the_ledger(store: SqlNoticeStore) -> None:
    notice = written()[0]
    store.add([notice], "system")
    [created] = store.unlogged()
    assert (created.notice, created.event, created.actor) == (notice, NoticeEvent.CREATED, "system")
    store.mark_logged(notice.notice_id, NoticeEvent.CREATED, RECEIVED)
    assert store.unlogged() == []
    sent = close(notice, NoticeEvent.SENT, RITA, RECEIVED + timedelta(days=1))
    store.close(sent, NoticeEvent.SENT)
    [event] = store.unlogged()
    assert (event.event, event.actor, event.at, event.notice.status) == (
        NoticeEvent.SENT,
        "rita",
        sent.closed_at,
        NoticeStatus.SENT,
    )


def test_a_rewrite_reaches_pending_notices_only(store: SqlNoticeStore) -> None:
    held, other = written(Disclosed.UNDER_REVIEW)
    store.add([held, other], "system")
    approved = decided(held, frozenset({DataClass.ADDRESS}))
    approved = replace(approved, letter=letter_text(approved))
    assert store.rewrite(approved)
    assert store.get(held.notice_id) == approved
    store.close(close(other, NoticeEvent.SENT, RITA, RECEIVED), NoticeEvent.SENT)
    assert not store.rewrite(replace(other, letter="changed"))
    stored = store.get(other.notice_id)
    assert stored is not None and stored.letter == other.letter
