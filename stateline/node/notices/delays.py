"""Delaying a notice: counsel holds a letter back, and its request out of the resident view.

Pure: the outbox hands in the notice, the delay it has now, the account and the time; out
come the new :class:`Delay` (or a ``NoticeError`` saying why not) and the ``notice-delay``
ledger entry that hides the request from the person (``oversight.resident`` reads it).

A delay is granted on one of two grounds (``DelayBasis``): counsel accepts the requester's
claim that notice would impede an investigation (``NDR/Y``, ``Notice.delay_requested``), or a
court ordered that the person not be told yet (its order's number is recorded). No state law
in ``scenarios/STATE-LAWS.md`` sets how long a delay may last, so the limits are ours:
:data:`MAX_COUNSEL_DAYS` for counsel's own decision (the period 18 U.S.C. 2705 allows a delayed
notice at a time) and :data:`MAX_COURT_DAYS` on an order, both counted from the state's today.
A longer delay is a later grant, each one its own decision in the ledger.

While a delay holds, the letter waits: it may not be recorded sent, and it is not overdue.
Once it ends, the letter is due again as if the request had arrived the day after the delay's
last day: the law's own count of days (business days where it says so) runs from then, and
never ends before the notice's first due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from stateline.ledger import entries
from stateline.node.deadlines import add_business_days, local_day
from stateline.node.notices.model import Notice, NoticeError, NotPermitted
from stateline.node.review.model import READ_ONLY, Reviewer, Role, clean_reason

DELAY_NOTICE = "notice-delay"
"""The ``notice`` field of the entries that grant or lift a delay."""


class DelayEvent(StrEnum):
    """What a delay entry records."""

    GRANTED = "granted"
    LIFTED = "lifted"


class DelayBasis(StrEnum):
    """Who decided a delay."""

    COUNSEL = "counsel"  # the state's counsel accepted the requester's claim
    COURT_ORDER = "court-order"  # a court ordered that the person not be told yet


def delay_entry(
    *,
    at: datetime,
    state: str,
    message_id: str,
    subject: str,
    event: DelayEvent,
    basis: DelayBasis,
    actor: str,
    until: date | None = None,
    reference: str | None = None,
    reason: str | None = None,
    notice_id: str | None = None,
) -> entries.Notice:
    """The ledger entry that grants (``until`` the last day withheld) or lifts a delay of one
    request for one person; ``reference`` names a court's order, ``reason`` says why, and
    ``notice_id`` is the outbox's notice the delay holds back."""
    if (event is DelayEvent.GRANTED) != (until is not None):
        raise ValueError("a granted delay has an end (until); a lifted one has none")
    detail: dict[str, entries.JSONValue] = {
        "event": event.value,
        "basis": basis.value,
        "actor": actor,
    }
    if until is not None:
        detail["until"] = until.isoformat()
    if reference:
        detail["reference"] = reference
    if reason:
        detail["reason"] = reason
    if notice_id:
        detail["notice_id"] = notice_id
    return entries.Notice(
        at=at,
        detail=detail,
        message_id=message_id,
        notice=DELAY_NOTICE,
        recipient="subject",
        state=state,
        subjects=(subject,),
    )


MAX_COUNSEL_DAYS = 90
"""Longest delay counsel may grant on the requester's claim, in days after the state's today."""

MAX_COURT_DAYS = 365
"""Longest delay recorded on a court's order, in days after the state's today: a longer order
is recorded again before this one ends."""

MAX_REASON = 500
"""Longest reason for a delay, in characters (as for a cancelled notice)."""

MAX_REFERENCE = 100
"""Longest court order reference (its number and court), in characters."""

WHO_MAY_DELAY = frozenset({Role.COUNSEL})
"""Delaying a notice the law asks for, or ending a delay, is a legal judgment: counsel's."""


class InvalidDelay(NoticeError):
    """A delay asked for with a date, reason or ground the rules refuse; nothing is written."""


class NotDelayed(NoticeError):
    """A lift asked for on a notice that no delay holds back."""


class NoticeDelayed(NoticeError):
    """The notice is delayed: its letter may not be recorded sent until the delay ends."""


@dataclass(frozen=True, slots=True)
class Delay:
    """Counsel's latest step on a notice's delay: granted until a day, or lifted."""

    notice_id: str
    event: DelayEvent
    basis: DelayBasis
    until: date | None  # the last day held back, in the state's calendar; None once lifted
    actor: str
    at: datetime
    reason: str | None = None
    reference: str | None = None  # the court order's number and court

    def holds(self, today: date) -> bool:
        """Whether the letter is held back on ``today`` (the state's calendar)."""
        return self.event is DelayEvent.GRANTED and self.until is not None and today <= self.until


@dataclass(frozen=True, slots=True)
class Standing:
    """How a notice stands in the outbox once its delay is counted."""

    due: date  # the first due date, or the date due again after a delay
    overdue: bool
    delayed_until: date | None  # set while a delay holds


def _permitted(reviewer: Reviewer, notice: Notice) -> None:
    if reviewer.role in READ_ONLY:
        raise NotPermitted(f"an {reviewer.role} reads notices and records nothing")
    if reviewer.role not in WHO_MAY_DELAY:
        raise NotPermitted("only counsel may delay a notice or end its delay")
    if not notice.open:
        raise InvalidDelay(f"notice {notice.notice_id} is already {notice.status}")


def _reason(reason: str | None, required: bool) -> str | None:
    note = clean_reason(reason)
    if note is None and required:
        raise InvalidDelay("say why the notice is delayed (recorded in the ledger)")
    if note is not None and len(note) > MAX_REASON:
        raise InvalidDelay(f"the reason is longer than {MAX_REASON} characters")
    return note


def grant(
    notice: Notice,
    reviewer: Reviewer,
    *,
    until: date,
    reason: str | None,
    court_order: str | None,
    at: datetime,
) -> Delay:
    """Counsel's grant of a delay through ``until``, on a court's order when ``court_order``
    names one, else on the requester's claim; raises ``NoticeError`` and grants nothing when
    the rules refuse it. A grant while a delay holds moves its end."""
    _permitted(reviewer, notice)
    reference = clean_reason(court_order)
    if reference is not None and len(reference) > MAX_REFERENCE:
        raise InvalidDelay(f"the court order reference is longer than {MAX_REFERENCE} characters")
    basis = DelayBasis.COURT_ORDER if reference else DelayBasis.COUNSEL
    if basis is DelayBasis.COUNSEL and not notice.delay_requested:
        raise InvalidDelay(
            "the requester did not ask to delay this notice: only a court's order can delay it "
            "(give the order's number and court)"
        )
    today = local_day(at, notice.state)
    if until < today:
        raise InvalidDelay(f"{until.isoformat()} is in the past (today is {today.isoformat()})")
    longest = MAX_COURT_DAYS if basis is DelayBasis.COURT_ORDER else MAX_COUNSEL_DAYS
    if until > today + timedelta(days=longest):
        ground = "on a court's order" if basis is DelayBasis.COURT_ORDER else "without an order"
        raise InvalidDelay(
            f"a delay {ground} ends within {longest} days, by "
            f"{(today + timedelta(days=longest)).isoformat()}: grant it again before then"
        )
    return Delay(
        notice.notice_id,
        DelayEvent.GRANTED,
        basis,
        until,
        reviewer.username,
        at,
        _reason(reason, required=True),
        reference,
    )


def lift(
    notice: Notice,
    current: Delay | None,
    reviewer: Reviewer,
    *,
    reason: str | None,
    at: datetime,
) -> Delay:
    """Counsel ends the delay that holds ``notice`` back, today; raises ``NoticeError``."""
    _permitted(reviewer, notice)
    today = local_day(at, notice.state)
    if current is None or not current.holds(today):
        raise NotDelayed(f"no delay holds notice {notice.notice_id} back")
    return Delay(
        notice.notice_id,
        DelayEvent.LIFTED,
        current.basis,
        None,
        reviewer.username,
        at,
        _reason(reason, required=False),
        current.reference,
    )


def ledger_entry(notice: Notice, delay: Delay) -> entries.Notice:
    """The ``notice-delay`` entry that hides (or shows again) the request from the person."""
    return delay_entry(
        at=delay.at,
        state=notice.state,
        message_id=notice.message_id,
        subject=notice.subject,
        event=delay.event,
        basis=delay.basis,
        actor=delay.actor,
        until=delay.until,
        reference=delay.reference,
        reason=delay.reason,
        notice_id=notice.notice_id,
    )


def due_again(notice: Notice, delay: Delay) -> date:
    """When the letter is due once ``delay`` ends: the law's count of days from the day after
    its last day (from the day it was lifted, when it was), never before the first due date."""
    if delay.event is DelayEvent.GRANTED and delay.until is not None:
        start = delay.until + timedelta(days=1)
    else:
        start = local_day(delay.at, notice.state)
    if notice.business_days:
        again = add_business_days(start, notice.within_days)
    else:
        again = start + timedelta(days=notice.within_days)
    return max(notice.due, again)


def standing(notice: Notice, delay: Delay | None, now: datetime) -> Standing:
    """The notice's due date, whether it is overdue, and the delay holding it back, at ``now``."""
    today = local_day(now, notice.state)
    if delay is not None and delay.holds(today):
        return Standing(due_again(notice, delay), False, delay.until)
    due = notice.due if delay is None else due_again(notice, delay)
    return Standing(due, notice.open and today > due, None)
