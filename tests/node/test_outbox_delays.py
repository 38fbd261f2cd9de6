"""Tests for the delays of node/notices/service.py over the real SQLite outbox: counsel holds a
letter back until a date, the ledger records it first, and the letter is due again after."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from stateline.errors import StorageError
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.node.notices.delays import (
    DELAY_NOTICE,
    DelayEvent,
    InvalidDelay,
    NotDelayed,
    NoticeDelayed,
)
from stateline.node.notices.model import NoticeStatus, NotPermitted
from stateline.node.notices.service import DelayNotRecorded, Outbox
from stateline.node.review.model import Reviewer, Role
from stateline.oversight.resident import withheld_until
from stateline.storage.delays import SqlDelayStore, delays_beside
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.notices import SqlNoticeStore

from .test_notices import IL_NOTICE, RECEIVED, notices
from .test_outbox import Ledger, World

CARL = Reviewer("carl", Role.COUNSEL)
RITA = Reviewer("rita", Role.REVIEWER)
ORDER = "26-MJ-0042, S.D.N.Y."


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = open_engine(sqlite_url(str(tmp_path / "node.sqlite")))
    store = SqlNoticeStore(engine)
    store.create_schema()
    ledger = Ledger()
    now = [RECEIVED]
    outbox = Outbox(store, ledger.append, delays=delays_beside(store), clock=lambda: now[0])
    made = [replace(notices(IL_NOTICE)[0], delay_requested=True), notices(IL_NOTICE)[1]]
    outbox.create(made)
    yield World(outbox, ledger, now)
    engine.dispose()


def ids(world: World) -> tuple[str, str]:
    asked, plain = world.outbox.list()
    return (
        (asked.notice_id, plain.notice_id)
        if asked.delay_requested
        else (plain.notice_id, asked.notice_id)
    )


def delay_entries(world: World) -> list[NoticeEntry]:
    return [
        e for e in world.ledger.entries if isinstance(e, NoticeEntry) and e.notice == DELAY_NOTICE
    ]


def test_a_grant_holds_the_letter_and_is_in_the_ledger(world: World) -> None:
    asked, _ = ids(world)
    until = date(2026, 7, 31)
    delay = world.outbox.grant_delay(asked, CARL, until=until, reason="claim accepted")
    [entry] = delay_entries(world)
    assert entry.detail["until"] == "2026-07-31" and entry.detail["actor"] == "carl"
    assert entry.detail["basis"] == "counsel" and entry.detail["notice_id"] == asked
    assert world.outbox.delay(asked) == delay
    assert world.outbox.get(asked).status is NoticeStatus.PENDING  # held, not closed
    standing = world.outbox.standing(world.outbox.list())[asked]
    assert (standing.delayed_until, standing.due) == (until, date(2026, 8, 5))
    with pytest.raises(NoticeDelayed, match="until 2026-07-31"):
        world.outbox.mark_sent(asked, RITA)
    world.now[0] = RECEIVED + timedelta(days=20)  # past the first due date, still delayed
    assert world.outbox.overdue() == [n for n in world.outbox.list() if n.notice_id != asked]


def test_after_the_delay_the_letter_is_due_again_and_may_be_sent(world: World) -> None:
    asked, _ = ids(world)
    world.outbox.grant_delay(asked, CARL, until=date(2026, 7, 10), reason="claim accepted")
    world.now[0] = datetime.fromisoformat("2026-07-11T14:00:00+00:00")  # the day after
    standing = world.outbox.standing([world.outbox.get(asked)])[asked]
    assert (standing.delayed_until, standing.due, standing.overdue) == (
        None,
        date(2026, 7, 15),
        False,
    )
    world.now[0] = datetime.fromisoformat("2026-07-16T14:00:00+00:00")
    assert asked in [n.notice_id for n in world.outbox.overdue()]
    sent = world.outbox.mark_sent(asked, RITA)
    assert sent.status is NoticeStatus.SENT


def test_counsel_moves_the_end_and_lifts_the_delay(world: World) -> None:
    _, plain = ids(world)
    world.outbox.grant_delay(
        plain, CARL, until=date(2026, 7, 20), reason="order", court_order=ORDER
    )
    world.outbox.grant_delay(
        plain, CARL, until=date(2026, 8, 20), reason="extended", court_order=ORDER
    )
    lifted = world.outbox.lift_delay(plain, CARL, "order vacated")
    assert lifted.event is DelayEvent.LIFTED
    events = [(e.detail["event"], e.detail.get("until")) for e in delay_entries(world)]
    assert events == [("granted", "2026-07-20"), ("granted", "2026-08-20"), ("lifted", None)]
    pairs = list(enumerate(delay_entries(world)))
    assert withheld_until(pairs) is None  # the person sees the request again
    with pytest.raises(NotDelayed):
        world.outbox.lift_delay(plain, CARL)
    assert world.outbox.mark_sent(plain, RITA).status is NoticeStatus.SENT


def test_refused_steps_write_nothing(world: World) -> None:
    asked, plain = ids(world)
    before = list(world.ledger.entries)
    refusals = [
        lambda: world.outbox.grant_delay(asked, CARL, until=date(2026, 7, 1), reason="r"),
        lambda: world.outbox.grant_delay(asked, CARL, until=date(2026, 10, 1), reason="r"),
        lambda: world.outbox.grant_delay(asked, CARL, until=date(2026, 7, 9), reason=" "),
        lambda: world.outbox.grant_delay(plain, CARL, until=date(2026, 7, 9), reason="r"),
        lambda: world.outbox.grant_delay(asked, RITA, until=date(2026, 7, 9), reason="r"),
        lambda: world.outbox.lift_delay(asked, CARL),
    ]
    for refused in refusals:
        with pytest.raises((InvalidDelay, NotPermitted, NotDelayed)):
            refused()
    assert world.ledger.entries == before
    assert world.outbox.delay(asked) is None and world.outbox.delay(plain) is None


def test_a_closed_notice_is_not_delayed(world: World) -> None:
    asked, _ = ids(world)
    world.outbox.cancel(asked, CARL, "moved abroad")
    with pytest.raises(InvalidDelay, match="already cancelled"):
        world.outbox.grant_delay(asked, CARL, until=date(2026, 7, 9), reason="r")


def test_the_ledger_first_the_outbox_second(world: World, tmp_path: Path) -> None:
    asked, _ = ids(world)
    world.ledger.down = True
    with pytest.raises(DelayNotRecorded, match="nothing was recorded"):
        world.outbox.grant_delay(asked, CARL, until=date(2026, 7, 9), reason="r")
    assert world.outbox.delay(asked) is None
    world.ledger.down = False

    class Broken(SqlDelayStore):
        def add(self, delay: object) -> None:
            raise StorageError("outbox down")

    world.outbox.delays = Broken(world.outbox.store.engine)
    with pytest.raises(DelayNotRecorded, match="the ledger records the delay granted"):
        world.outbox.grant_delay(asked, CARL, until=date(2026, 7, 9), reason="r")
    # The request stays hidden from the person (fail closed); counsel is told to do it again.
    assert len(delay_entries(world)) == 1
