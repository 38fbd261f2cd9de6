"""Tests for node/notices/model.py: who is owed a notice, by when, and what the ledger keeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.ledger.entries import decode, encode
from stateline.node.notices.model import (
    Disclosed,
    InvalidReason,
    Notice,
    NoticeChanged,
    NoticeEvent,
    NoticeStatus,
    NotPermitted,
    binding_duty,
    citation,
    close,
    decided,
    make_notices,
    notice_entry,
    notice_id,
    recipients,
)
from stateline.node.policy.model import LOG, Duty, DutyKind
from stateline.node.review.model import Reviewer, Role
from stateline.synthetic.people import generate_people
from stateline.wire.grammar import DataClass

ICE = Agency(
    "DCICE0000",
    "ICE Enforcement and Removal Operations",
    AgencyType.FE,
    "US",
    frozenset({Mission.IMMIGRATION_ENFORCEMENT}),
)
SECRET = b"s" * 32
RECEIVED = datetime(2026, 7, 2, 15, 0, tzinfo=UTC)  # a Thursday; Friday 3 July is a holiday
NY_NOTICE = Duty(DutyKind.NOTIFY_SUBJECT, 3, False, "ny-notice-immigration-request")
IL_NOTICE = Duty(DutyKind.NOTIFY_SUBJECT, 3, True, "il-notice-legal-process")
PEOPLE = list(generate_people("NY", 3, seed=5))
ASKED = frozenset({DataClass.IDENTITY, DataClass.ADDRESS, DataClass.PHOTO})


def notices(duty: Duty = NY_NOTICE, disclosed: Disclosed = Disclosed.DENIED) -> list[Notice]:
    released = frozenset({DataClass.IDENTITY})
    return make_notices(
        duty=duty,
        state="NY",
        message_id="m-1",
        requester=ICE,
        received=RECEIVED,
        created=RECEIVED,
        people=recipients(SECRET, "NY", [(PEOPLE[0], released), (PEOPLE[1], released)]),
        disclosed=disclosed,
        requested=ASKED,
        statute="VTL 201(12)(b)",
    )


def test_no_notice_without_a_notify_duty() -> None:
    assert binding_duty((LOG, Duty(DutyKind.ANNUAL_REPORT)), RECEIVED, "NY") is None


def test_of_two_notice_duties_the_sooner_stands() -> None:
    # Three calendar days from Thursday: Sunday. Three business days: the Wednesday after.
    assert binding_duty((LOG, IL_NOTICE, NY_NOTICE), RECEIVED, "NY") == NY_NOTICE
    week = Duty(DutyKind.NOTIFY_SUBJECT, 7, False, "later")  # Thursday 9 July
    assert binding_duty((week, IL_NOTICE), RECEIVED, "IL") == IL_NOTICE


def test_one_notice_per_person_due_by_the_duty() -> None:
    made = notices()
    assert [n.recipient_name for n in made] == [
        " ".join(p.title() for p in (x.first, x.middle, x.last, x.suffix) if p) for x in PEOPLE[:2]
    ]
    assert {n.due for n in made} == {date(2026, 7, 5)}
    assert {n.due for n in notices(IL_NOTICE)} == {date(2026, 7, 8)}
    first = made[0]
    assert first.notice_id == notice_id("m-1", first.subject)
    assert first.status is NoticeStatus.PENDING
    assert first.released == frozenset()  # a denial releases nothing
    assert first.recipient_address[0].lower() == PEOPLE[0].addresses[0].street.lower()


def test_the_same_request_and_person_make_the_same_notice_id() -> None:
    assert [n.notice_id for n in notices()] == [n.notice_id for n in notices()]
    assert notice_id("m-1", "a" * 64) != notice_id("m-2", "a" * 64)


def test_a_person_in_several_records_is_one_recipient_with_every_class() -> None:
    person = PEOPLE[0]
    found = recipients(
        SECRET,
        "NY",
        [(person, frozenset({DataClass.VEHICLES})), (person, frozenset({DataClass.IDENTITY}))],
    )
    assert len(found) == 1
    assert found[0].released == {DataClass.VEHICLES, DataClass.IDENTITY}


def test_a_decision_after_review_sets_what_the_letter_reports() -> None:
    held = notices(disclosed=Disclosed.UNDER_REVIEW)[0]
    approved = decided(held, frozenset({DataClass.ADDRESS}))
    assert approved.disclosed is Disclosed.RELEASED
    assert approved.released == {DataClass.ADDRESS}
    assert decided(held, None).disclosed is Disclosed.DENIED
    assert decided(held, frozenset()).disclosed is Disclosed.DENIED


def test_the_ledger_entry_names_the_subject_by_key_only() -> None:
    notice = replace(notices()[0], letter="Dear ...", delay_requested=True)
    entry = notice_entry(notice, NoticeEvent.CREATED, RECEIVED, "system")
    assert decode(encode(entry)) == entry
    body = encode(entry).decode()
    for private in (notice.recipient_name, *notice.recipient_address, PEOPLE[0].oln):
        assert private not in body
    assert PEOPLE[0].last not in body.upper()
    assert entry.subjects == (notice.subject,)
    assert entry.recipient == "subject"
    assert entry.detail["due"] == "2026-07-05"
    assert entry.detail["event"] == "created"
    assert entry.detail["delay_requested"] is True


def test_anyone_may_mark_a_letter_sent_once() -> None:
    notice = notices()[0]
    at = RECEIVED + timedelta(days=1)
    sent = close(notice, NoticeEvent.SENT, Reviewer("rita", Role.REVIEWER), at)
    assert (sent.status, sent.closed_at, sent.closed_by) == (NoticeStatus.SENT, at, "rita")
    with pytest.raises(NoticeChanged):
        close(sent, NoticeEvent.SENT, Reviewer("carl", Role.COUNSEL), at)


def test_only_counsel_cancels_and_says_why() -> None:
    notice = notices()[0]
    with pytest.raises(NotPermitted):
        close(notice, NoticeEvent.CANCELLED, Reviewer("rita", Role.REVIEWER), RECEIVED, "no")
    counsel = Reviewer("carl", Role.COUNSEL)
    with pytest.raises(InvalidReason):
        close(notice, NoticeEvent.CANCELLED, counsel, RECEIVED, "  ")
    with pytest.raises(InvalidReason):
        close(notice, NoticeEvent.CANCELLED, counsel, RECEIVED, "x" * 501)
    done = close(notice, NoticeEvent.CANCELLED, counsel, RECEIVED, "sent\nby hand  already")
    assert done.status is NoticeStatus.CANCELLED
    assert done.cancel_reason == "sent by hand already"
    with pytest.raises(NoticeChanged):
        close(notice, NoticeEvent.CREATED, counsel, RECEIVED)


def test_overdue_after_the_due_day_in_the_states_calendar() -> None:
    notice = notices()[0]  # due Sunday 5 July 2026, New York time
    assert not notice.overdue(datetime(2026, 7, 6, 3, 59, tzinfo=UTC))  # 23:59 on the 5th
    assert notice.overdue(datetime(2026, 7, 6, 4, 0, tzinfo=UTC))
    sent = replace(notice, status=NoticeStatus.SENT)
    assert not sent.overdue(datetime(2026, 8, 1, tzinfo=UTC))


def test_citation_is_the_clause_a_policy_comment_opens_with() -> None:
    assert citation("VTL 201(12)(b): no later than\nthree days") == "VTL 201(12)(b)"
    assert citation("625 ILCS 5/6-110.3(c): within") == "625 ILCS 5/6-110.3(c)"
    assert citation("no colon here") is None
    assert citation("a" * 80 + ": too long to be a clause") is None
