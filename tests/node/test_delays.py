"""Tests for node/notices/delays.py: who may delay a notice, until when, and what it changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from stateline.ledger.entries import decode, encode
from stateline.node.notices.delays import (
    DELAY_NOTICE,
    MAX_COUNSEL_DAYS,
    MAX_COURT_DAYS,
    Delay,
    DelayBasis,
    DelayEvent,
    InvalidDelay,
    NotDelayed,
    Standing,
    due_again,
    grant,
    ledger_entry,
    lift,
    standing,
)
from stateline.node.notices.model import Notice, NoticeStatus, NotPermitted
from stateline.node.review.model import Reviewer, Role
from stateline.oversight.resident import withheld_until

from .test_notices import IL_NOTICE, RECEIVED, notices

COUNSEL = Reviewer("carl", Role.COUNSEL)
TODAY = date(2026, 7, 2)  # RECEIVED, 11:00 in Albany
ORDER = "26-MJ-0042, S.D.N.Y."


def asked() -> Notice:
    """New York's notice of a request whose requester asked for a delay (NDR/Y)."""
    return replace(notices()[0], delay_requested=True)


def granted(notice: Notice | None = None, **changes: object) -> Delay:
    terms: dict[str, object] = {
        "until": TODAY + timedelta(days=30),
        "reason": "the requester says notice would impede an investigation",
        "court_order": None,
        "at": RECEIVED,
    }
    terms.update(changes)
    return grant(notice or asked(), COUNSEL, **terms)  # type: ignore[arg-type]


def test_counsel_grants_the_requesters_claim() -> None:
    delay = granted(reason="  the requester's\nclaim   accepted ")
    assert delay.event is DelayEvent.GRANTED
    assert delay.basis is DelayBasis.COUNSEL
    assert (delay.until, delay.actor, delay.at) == (TODAY + timedelta(days=30), "carl", RECEIVED)
    assert delay.reason == "the requester's claim accepted"  # one line of plain text
    assert delay.reference is None


def test_without_the_requesters_claim_only_a_court_order_delays() -> None:
    plain = notices()[0]
    assert not plain.delay_requested
    with pytest.raises(InvalidDelay, match="only a court's order"):
        granted(plain)
    ordered = granted(plain, court_order=f"  {ORDER} ")
    assert (ordered.basis, ordered.reference) == (DelayBasis.COURT_ORDER, ORDER)


def test_a_date_in_the_past_is_refused_today_is_not() -> None:
    with pytest.raises(InvalidDelay, match="2026-07-01 is in the past"):
        granted(until=TODAY - timedelta(days=1))
    assert granted(until=TODAY).until == TODAY


def test_today_is_the_states_day_not_utcs() -> None:
    # 03:00 UTC on 3 July is still 2 July in Albany: 2 July is today there, not the past.
    late_evening = datetime(2026, 7, 3, 3, 0, tzinfo=UTC)
    assert granted(until=TODAY, at=late_evening).until == TODAY


def test_the_longest_delay_without_and_with_an_order() -> None:
    assert granted(until=TODAY + timedelta(days=MAX_COUNSEL_DAYS)).basis is DelayBasis.COUNSEL
    with pytest.raises(InvalidDelay, match="without an order ends within 90 days, by 2026-09-30"):
        granted(until=TODAY + timedelta(days=MAX_COUNSEL_DAYS + 1))
    longest = TODAY + timedelta(days=MAX_COURT_DAYS)
    assert granted(until=longest, court_order=ORDER).until == longest
    with pytest.raises(InvalidDelay, match="on a court's order ends within 365 days"):
        granted(until=longest + timedelta(days=1), court_order=ORDER)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_grant_needs_a_reason(reason: str) -> None:
    with pytest.raises(InvalidDelay, match="say why"):
        granted(reason=reason)


def test_overlong_reason_and_reference_are_refused() -> None:
    with pytest.raises(InvalidDelay, match="longer than 500"):
        granted(reason="x" * 501)
    with pytest.raises(InvalidDelay, match="longer than 100"):
        granted(court_order="x" * 101)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN, Role.AUDITOR])
def test_only_counsel_delays_or_lifts(role: Role) -> None:
    someone = Reviewer("rita", role)
    with pytest.raises(NotPermitted):
        grant(asked(), someone, until=TODAY, reason="r", court_order=ORDER, at=RECEIVED)
    with pytest.raises(NotPermitted):
        lift(asked(), granted(), someone, reason=None, at=RECEIVED)


@pytest.mark.parametrize("status", [NoticeStatus.SENT, NoticeStatus.CANCELLED])
def test_a_closed_notice_is_not_delayed(status: NoticeStatus) -> None:
    closed = replace(asked(), status=status)
    with pytest.raises(InvalidDelay, match=f"already {status}"):
        granted(closed)


def test_lifting_ends_a_delay_that_holds_and_only_one() -> None:
    notice = notices()[0]
    with pytest.raises(NotDelayed):
        lift(notice, None, COUNSEL, reason=None, at=RECEIVED)
    delay = granted(notice, until=TODAY + timedelta(days=3), court_order=ORDER)
    lifted = lift(notice, delay, COUNSEL, reason=" order vacated ", at=RECEIVED)
    assert (lifted.event, lifted.until, lifted.reason) == (DelayEvent.LIFTED, None, "order vacated")
    assert (lifted.basis, lifted.reference) == (DelayBasis.COURT_ORDER, ORDER)  # the grant's
    with pytest.raises(NotDelayed):
        lift(notice, lifted, COUNSEL, reason=None, at=RECEIVED)
    ended = RECEIVED + timedelta(days=4)  # the day after its last day
    with pytest.raises(NotDelayed):
        lift(notice, delay, COUNSEL, reason=None, at=ended)


def test_the_ledger_entry_hides_the_request_through_its_last_day() -> None:
    notice = asked()
    delay = granted(notice, court_order=ORDER, reason="sealed order")
    entry = ledger_entry(notice, delay)
    assert decode(encode(entry)) == entry
    assert (entry.notice, entry.recipient, entry.message_id) == (DELAY_NOTICE, "subject", "m-1")
    assert entry.subjects == (notice.subject,)
    assert entry.detail == {
        "event": "granted",
        "basis": "court-order",
        "actor": "carl",
        "until": "2026-08-01",
        "reference": ORDER,
        "reason": "sealed order",
        "notice_id": notice.notice_id,
    }
    assert withheld_until([(1, entry)]) == date(2026, 8, 1)
    lifted = ledger_entry(notice, lift(notice, delay, COUNSEL, reason=None, at=RECEIVED))
    assert "until" not in lifted.detail and "reason" not in lifted.detail
    assert withheld_until([(1, entry), (2, lifted)]) is None


def test_due_again_counts_the_laws_days_from_the_end_of_the_delay() -> None:
    ny = notices()[0]  # three calendar days: due Sunday 5 July
    assert ny.due == date(2026, 7, 5)
    delay = granted(ny, until=date(2026, 7, 20), court_order=ORDER)
    assert due_again(ny, delay) == date(2026, 7, 24)  # from Tuesday 21 July, plus three
    il = notices(IL_NOTICE)[0]  # three business days
    delay = granted(il, until=date(2026, 7, 17), court_order=ORDER)  # a Friday
    assert due_again(il, delay) == date(2026, 7, 22)  # Monday 20 July, then Tue, Wed
    short = granted(ny, until=TODAY, court_order=ORDER)  # through the day of receipt
    assert due_again(ny, short) == date(2026, 7, 6)  # three days from the day after
    lifted = lift(ny, granted(ny, court_order=ORDER), COUNSEL, reason=None, at=RECEIVED)
    assert due_again(ny, lifted) == ny.due  # lifted the day it came: the first due date


def test_standing_while_delayed_and_after() -> None:
    ny = notices()[0]
    assert standing(ny, None, RECEIVED) == Standing(ny.due, False, None)
    week_late = RECEIVED + timedelta(days=7)
    assert standing(ny, None, week_late).overdue
    delay = granted(ny, until=date(2026, 7, 20), court_order=ORDER)
    held = standing(ny, delay, week_late)
    assert (held.due, held.overdue, held.delayed_until) == (date(2026, 7, 24), False, delay.until)
    on_time = datetime(2026, 7, 24, 20, 0, tzinfo=UTC)
    assert standing(ny, delay, on_time) == Standing(date(2026, 7, 24), False, None)
    late = datetime(2026, 7, 25, 20, 0, tzinfo=UTC)
    assert standing(ny, delay, late).overdue
    sent = replace(ny, status=NoticeStatus.SENT)
    assert not standing(sent, delay, late).overdue
