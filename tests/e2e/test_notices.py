"""Notices from end to end: a query through the hub, the state's law owes the person a letter,
the outbox holds it with its due date, and the ledger records it by subject key only.

New York's own bundle notifies on a denied immigration-agency request. A test bundle (the
status quo, photos held for review, and a notice on every request) covers a release and a
held request decided by a reviewer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from stateline.bootstrap import System, build
from stateline.config import Config
from stateline.ledger.entries import Decision, Entry, subject_key
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.node.deadlines import add_business_days, local_day
from stateline.node.notices.model import Disclosed, NoticeStatus
from stateline.node.records.model import Person
from stateline.node.review.model import Action, Reviewer, Role
from stateline.wire.grammar import DataClass
from stateline.wire.messages import Response

STATUS_QUO = Path(__file__).resolve().parents[2] / "stateline/node/policy/bundles/status-quo"
NOTIFY_ALL = """
// A test rule: every photo request waits for a person in the state.
@id("test-hold-photos")
@review("photo requests are reviewed")
forbid (principal, action in Action::"photo", resource);

// Test Act s. 1: tell the person of every request within 2 business days.
@id("test-notify-everyone")
@duty("notify-subject")
@within_days("2")
@business_days("true")
permit (principal, action == Action::"duty", resource);
"""


def notify_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "notify-all"
    bundle.mkdir()
    (bundle / "bundle.toml").write_text(
        'name = "notify-all"\ntitle = "New York: Test Act"\nstates = ["NY"]\n'
    )
    policies = (STATUS_QUO / "policies.cedar").read_text() + NOTIFY_ALL
    (bundle / "policies.cedar").write_text(policies)
    return bundle


def send(system: System, raw: str, token: str) -> tuple[str, Response]:
    submission = asyncio.run(system.exchange.submit(raw, token))
    (reply,) = submission.replies
    assert isinstance(reply, Response)
    return submission.id, reply


def entries(system: System, message_id: str) -> list[Entry]:
    ledger = system.nodes["NY"].ledger
    found = [ledger.entry(i) for i in range(ledger.size)]
    return [e for e in found if e is not None and e.message_id == message_id]


@pytest.fixture
def ny_law(prepared: Config) -> Iterator[System]:
    system = build(replace(prepared, policy="NY=ny"))
    yield system
    system.close()


@pytest.fixture
def notify_all(prepared: Config, tmp_path: Path) -> Iterator[System]:
    system = build(replace(prepared, policy=f"NY={notify_bundle(tmp_path)}"))
    yield system
    system.close()


def test_a_denied_immigration_request_still_owes_new_yorks_notice(
    ny_law: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][3]
    message_id, reply = send(ny_law, f"DQ.DCICE0000.NY.TXT\nOLN/{person.oln}", tokens["DCICE0000"])
    assert reply.records == () and reply.text[0] == "REQUEST DENIED"

    notices = ny_law.nodes["NY"].notices
    assert notices is not None
    [notice] = notices.outbox.store.for_message(message_id)
    assert notice.disclosed is Disclosed.DENIED
    assert notice.requester_ori == "DCICE0000"
    assert notice.due == local_day(notice.received, "NY") + timedelta(days=3)  # calendar days
    assert notice.recipient_name.upper().endswith(person.last)
    assert notice.statute.startswith("VTL 201(12)(b) (Driver's License Access and Privacy Act")
    assert "we refused the request" in notice.letter

    key = subject_key(ny_law.nodes["NY"].subject_secret, "NY", oln=person.oln)
    [entry] = [e for e in entries(ny_law, message_id) if isinstance(e, NoticeEntry)]
    assert entry.subjects == (key,) and notice.subject == key
    assert entry.detail["event"] == "created" and entry.detail["requester"] == "DCICE0000"
    assert person.oln not in repr(entry) and person.last not in repr(entry).upper()
    [decision] = [e for e in entries(ny_law, message_id) if isinstance(e, Decision)]
    assert "notify-subject" in decision.duties
    assert notices.outbox.store.unlogged() == []  # the entry is durable and confirmed


def test_police_queries_owe_new_york_no_notice(
    ny_law: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][4]
    message_id, _ = send(ny_law, f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}", tokens["NYSTP0000"])
    notices = ny_law.nodes["NY"].notices
    assert notices is not None and notices.outbox.store.for_message(message_id) == []


def test_a_release_tells_the_person_what_left(
    notify_all: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][5]
    message_id, reply = send(
        notify_all, f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}", tokens["NYSTP0000"]
    )
    assert reply.records
    notices = notify_all.nodes["NY"].notices
    assert notices is not None
    [notice] = notices.outbox.store.for_message(message_id)
    assert notice.disclosed is Disclosed.RELEASED
    assert DataClass.ADDRESS in notice.released
    assert notice.due == add_business_days(local_day(notice.received, "NY"), 2)
    assert notice.statute == "Test Act s. 1 (Test Act)"
    sent = notices.outbox.mark_sent(notice.notice_id, Reviewer("rita", Role.REVIEWER))
    assert sent.status is NoticeStatus.SENT
    events = [e.detail["event"] for e in entries(notify_all, message_id) if e.kind == "notice"]
    assert events == ["created", "sent"]


def test_not_on_file_owes_no_letter(notify_all: System, tokens: dict[str, str]) -> None:
    message_id, _ = send(notify_all, "DQ.NYSTP0000.NY.TXT\nOLN/Z99999999", tokens["NYSTP0000"])
    notices = notify_all.nodes["NY"].notices
    assert notices is not None and notices.outbox.store.for_message(message_id) == []


def test_a_held_request_has_its_letter_rewritten_when_decided(
    notify_all: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][6]
    raw = f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}.IMQ/Y"
    message_id, reply = send(notify_all, raw, tokens["NYSTP0000"])
    assert reply.text == ("REQUEST HELD FOR REVIEW BY NY",)
    node = notify_all.nodes["NY"]
    assert node.notices is not None and node.review is not None
    [held] = node.notices.outbox.store.for_message(message_id)
    assert held.disclosed is Disclosed.UNDER_REVIEW
    assert "reviewing the request" in held.letter

    node.review.decide(
        message_id,
        Reviewer("rita", Role.REVIEWER),
        Action.APPROVE_IN_PART,
        released={DataClass.PHOTO},
        reason="photo for the stop",
    )
    [decided] = node.notices.outbox.store.for_message(message_id)
    assert decided.notice_id == held.notice_id and decided.due == held.due
    assert decided.disclosed is Disclosed.RELEASED
    assert {DataClass.PHOTO, DataClass.IDENTITY} <= decided.released
    assert "your photograph" in decided.letter.split("What we did:")[1]


def test_a_held_request_denied_on_review_says_so(
    notify_all: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][7]
    raw = f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}.IMQ/Y"
    message_id, _ = send(notify_all, raw, tokens["NYSTP0000"])
    node = notify_all.nodes["NY"]
    assert node.notices is not None and node.review is not None
    node.review.decide(
        message_id, Reviewer("rita", Role.REVIEWER), Action.DENY, reason="no case number"
    )
    [notice] = node.notices.outbox.store.for_message(message_id)
    assert notice.disclosed is Disclosed.DENIED
    assert "we refused the request" in notice.letter
