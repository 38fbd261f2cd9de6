"""Tests for stateline/node/notices/service.py over the real SQLite outbox: every step audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from stateline.errors import StorageError
from stateline.ledger.entries import Entry
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.node.notices.letters import letter_text
from stateline.node.notices.model import (
    Disclosed,
    NoticeChanged,
    NoticeStatus,
    NotPermitted,
    UnknownNotice,
)
from stateline.node.notices.service import Outbox
from stateline.node.review.model import Reviewer, Role
from stateline.storage.delays import delays_beside
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.notices import SqlNoticeStore
from stateline.wire.grammar import DataClass

from .test_notices import IL_NOTICE, RECEIVED, notices


@dataclass
class Ledger:
    """The audit callable: records entries, or fails while ``down``."""

    entries: list[Entry] = field(default_factory=list)
    down: bool = False

    def append(self, entries: list[Entry]) -> None:
        if self.down:
            raise StorageError("ledger down")
        self.entries.extend(entries)

    def events(self) -> list[tuple[str, object]]:
        return [
            (e.detail["notice_id"], e.detail["event"])
            for e in self.entries
            if isinstance(e, NoticeEntry)
        ]


@dataclass
class World:
    outbox: Outbox
    ledger: Ledger
    now: list[datetime]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = open_engine(sqlite_url(str(tmp_path / "node.sqlite")))
    store = SqlNoticeStore(engine)
    store.create_schema()
    ledger = Ledger()
    now = [RECEIVED]
    yield World(
        Outbox(store, ledger.append, delays=delays_beside(store), clock=lambda: now[0]), ledger, now
    )
    engine.dispose()


def test_create_writes_the_letter_and_audits_it(world: World) -> None:
    made = notices(IL_NOTICE)
    kept = world.outbox.create(made)
    assert [n.letter for n in kept] == [letter_text(n) for n in made]
    assert world.ledger.events() == [(n.notice_id, "created") for n in made]
    assert world.outbox.create(made) == []  # the same request again: nothing new
    assert len(world.ledger.entries) == 2


def test_mark_sent_is_recorded_by_account(world: World) -> None:
    first, _ = world.outbox.create(notices(IL_NOTICE))
    world.now[0] = RECEIVED + timedelta(days=1)
    sent = world.outbox.mark_sent(first.notice_id, Reviewer("rita", Role.REVIEWER))
    assert (sent.status, sent.closed_by) == (NoticeStatus.SENT, "rita")
    last = world.ledger.entries[-1]
    assert isinstance(last, NoticeEntry)
    assert last.detail["event"] == "sent" and last.detail["actor"] == "rita"
    assert last.at == world.now[0]
    with pytest.raises(NoticeChanged):
        world.outbox.mark_sent(first.notice_id, Reviewer("carl", Role.COUNSEL))
    with pytest.raises(UnknownNotice):
        world.outbox.mark_sent("N-NOPE", Reviewer("rita", Role.REVIEWER))


def test_only_counsel_cancels(world: World) -> None:
    first, _ = world.outbox.create(notices(IL_NOTICE))
    with pytest.raises(NotPermitted):
        world.outbox.cancel(first.notice_id, Reviewer("ada", Role.ADMIN), "not needed")
    done = world.outbox.cancel(first.notice_id, Reviewer("carl", Role.COUNSEL), "moved abroad")
    assert done.status is NoticeStatus.CANCELLED
    assert world.ledger.entries[-1].detail["reason"] == "moved abroad"  # type: ignore[union-attr]


def test_overdue_notices_are_listed(world: World) -> None:
    world.outbox.create(notices(IL_NOTICE))  # due Wednesday 8 July 2026
    assert world.outbox.overdue() == []
    world.now[0] = datetime.fromisoformat("2026-07-09T16:00:00+00:00")
    assert len(world.outbox.overdue()) == 2


def test_a_failed_audit_is_finished_by_resume(world: World) -> None:
    world.ledger.down = True
    with pytest.raises(StorageError):
        world.outbox.create(notices(IL_NOTICE))
    first, second = world.outbox.list()  # kept, waiting for the ledger
    with pytest.raises(StorageError):
        world.outbox.mark_sent(first.notice_id, Reviewer("rita", Role.REVIEWER))
    assert world.outbox.get(first.notice_id).status is NoticeStatus.SENT  # the change stands
    world.ledger.down = False
    assert world.outbox.resume() == 3
    assert sorted(world.ledger.events()) == sorted(
        [(first.notice_id, "created"), (second.notice_id, "created"), (first.notice_id, "sent")]
    )
    assert world.outbox.resume() == 0


def test_a_decision_rewrites_letters_still_waiting(world: World) -> None:
    first, second = world.outbox.create(notices(IL_NOTICE, Disclosed.UNDER_REVIEW))
    world.outbox.mark_sent(second.notice_id, Reviewer("rita", Role.REVIEWER))
    released = {first.subject: frozenset({DataClass.IDENTITY})}
    [rewritten] = world.outbox.decided("m-1", released)
    assert rewritten.notice_id == first.notice_id
    assert "we gave the agency your name" in world.outbox.get(first.notice_id).letter
    # The letter already sent stays as it was sent.
    assert world.outbox.get(second.notice_id).letter == second.letter
    assert world.outbox.decided("m-1", released) == []  # nothing left under review


def test_the_pdf_is_the_stored_letter(world: World) -> None:
    first, _ = world.outbox.create(notices(IL_NOTICE))
    assert world.outbox.pdf(first.notice_id).startswith(b"%PDF-")
