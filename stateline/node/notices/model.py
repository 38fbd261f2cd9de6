"""Notices to the people whose records were asked for: who is owed one, by when, saying what.

Pure: the node hands in the decision's duties, the request's facts and the people its records
name; out come ``Notice`` values for the outbox and the ``notice`` ledger entries that record
them. A notice names its person two ways: by subject key (the ledger's keyed hash, the only
name that ever leaves the node's database) and by name and mailing address (the letter's
addressee, kept in the node's database only).

The law decides whether a notice is owed: a ``notify-subject`` duty on the decision, whatever
the outcome (New York notifies on denied requests too). Of two such duties the one due sooner
stands. A requester's claim that notice would impede an investigation changes nothing here:
where the law lets that claim excuse notice (Massachusetts), the bundle attaches no duty; no
state in ``scenarios/STATE-LAWS.md`` lets a requester postpone a notice, so the claim is only
recorded on the notice for the staff who send it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from stateline.directory.model import Agency
from stateline.ledger import entries
from stateline.ledger.entries import subject_key
from stateline.node.deadlines import due_date, local_day
from stateline.node.policy.model import Duty, DutyKind
from stateline.node.records.model import Person
from stateline.node.review.model import READ_ONLY, Reviewer, Role, clean_reason
from stateline.wire.grammar import DataClass

NOTICE_KIND = DutyKind.NOTIFY_SUBJECT.value
"""The ``notice`` field of the ledger entries this module writes."""

RECIPIENT = "subject"
"""The ``recipient`` of those entries: a role, never the person's name."""


class NoticeStatus(StrEnum):
    """Where a notice stands in the outbox."""

    PENDING = "pending"  # the letter is ready and waits to be sent
    SENT = "sent"
    CANCELLED = "cancelled"  # counsel decided it is not to be sent, with a reason


class NoticeEvent(StrEnum):
    """What happened to a notice; each is one ledger entry."""

    CREATED = "created"
    SENT = "sent"
    CANCELLED = "cancelled"


class NoticeError(Exception):
    """A notice action that cannot be taken; the notice is left as it was."""


class UnknownNotice(NoticeError):
    """No notice with this id is in the outbox."""


class NoticeChanged(NoticeError):
    """The notice was already sent or cancelled (perhaps by someone else a moment ago)."""


class NotPermitted(NoticeError):
    """The account's role may not take this action on a notice."""


class InvalidReason(NoticeError):
    """A cancellation without a reason, or with one too long."""


MAX_REASON = 500
"""Longest reason counsel may give for not sending a notice, in characters."""

WHO_MAY: dict[NoticeEvent, frozenset[Role]] = {
    # Mailing a letter is office work any console account that acts may record.
    NoticeEvent.SENT: frozenset(Role) - READ_ONLY,
    # Not sending a notice the law asks for is a legal judgment: counsel's alone.
    NoticeEvent.CANCELLED: frozenset({Role.COUNSEL}),
}
"""Who may record each step of a notice; every console account may read the outbox."""


class Disclosed(StrEnum):
    """What the letter tells the person about the answer to the request."""

    RELEASED = "released"  # the classes in ``Notice.released`` left the state
    DENIED = "denied"  # nothing left the state
    UNDER_REVIEW = "under-review"  # a person in the state has not decided yet


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person owed a notice: their subject key, name, mailing address, what was released."""

    subject: str
    name: str
    address: tuple[str, ...]  # mailing lines; empty when the state holds no address
    released: frozenset[DataClass] = frozenset()


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice in the outbox: to whom, about which request, under which law, by when."""

    notice_id: str
    state: str
    message_id: str
    subject: str  # the subject key; the ledger's only name for the person
    requester_ori: str
    requester_name: str
    received: datetime
    created: datetime
    due: date  # the last day to send it, in the state's calendar
    within_days: int
    business_days: bool
    statute: str  # the clause that requires the notice, and the law it belongs to
    policy_id: str | None
    disclosed: Disclosed
    requested: frozenset[DataClass]
    released: frozenset[DataClass]
    recipient_name: str
    recipient_address: tuple[str, ...]
    delay_requested: bool = False
    letter: str = ""  # the letter's text, written once the notice is made
    status: NoticeStatus = NoticeStatus.PENDING
    closed_at: datetime | None = None  # when it was sent or cancelled
    closed_by: str | None = None  # the account that recorded it
    cancel_reason: str | None = None

    @property
    def open(self) -> bool:
        return self.status is NoticeStatus.PENDING

    def overdue(self, now: datetime) -> bool:
        """Not sent, and the state's calendar is past its due date."""
        return self.open and local_day(now, self.state) > self.due


def notice_id(message_id: str, subject: str) -> str:
    """The notice's id: the same for one request and one person, however often it is made,
    so a retried delivery finds the notice it already made."""
    digest = hashlib.sha256(f"{message_id}\x1f{subject}".encode()).hexdigest()
    return f"N-{digest[:16].upper()}"


def binding_duty(duties: Iterable[Duty], received: datetime, state: str) -> Duty | None:
    """The ``notify-subject`` duty due soonest, or None when the law asks for no notice."""
    owed = [d for d in duties if d.duty is DutyKind.NOTIFY_SUBJECT and d.within_days is not None]
    if not owed:
        return None
    return min(owed, key=lambda d: due_date(received, state, d.within_days or 0, d.business_days))


def mailing_name(person: Person) -> str:
    """``First Middle Last Suffix`` as an envelope reads, in title case."""
    parts = (person.first, person.middle, person.last, person.suffix)
    return " ".join(part.title() for part in parts if part)


def mailing_address(person: Person) -> tuple[str, ...]:
    """The current address as envelope lines, or none when the state holds no address."""
    address = person.address
    if address is None:
        return ()
    return (address.street.title(), f"{address.city.title()}, {address.state} {address.zip}")


def recipients(
    secret: bytes, state: str, people: Sequence[tuple[Person, frozenset[DataClass]]]
) -> list[Recipient]:
    """One recipient per person, with every class released of them (a plate query may carry
    one owner's record once per vehicle)."""
    found: dict[str, Recipient] = {}
    for person, released in people:
        key = subject_key(secret, state, oln=person.oln)
        known = found.get(key)
        if known is None:
            found[key] = Recipient(key, mailing_name(person), mailing_address(person), released)
        else:
            found[key] = replace(known, released=known.released | released)
    return list(found.values())


def make_notices(
    *,
    duty: Duty,
    state: str,
    message_id: str,
    requester: Agency,
    received: datetime,
    created: datetime,
    people: Sequence[Recipient],
    disclosed: Disclosed,
    requested: frozenset[DataClass],
    statute: str,
    delay_requested: bool = False,
) -> list[Notice]:
    """The notices ``duty`` (the ``binding_duty``) asks for: one per person found.

    The due date counts from when the request arrived. The letters are written afterwards
    (``letters.letter_text``), once the notice holds everything they say.
    """
    if duty.within_days is None:
        return []
    due = due_date(received, state, duty.within_days, duty.business_days)
    return [
        Notice(
            notice_id=notice_id(message_id, person.subject),
            state=state,
            message_id=message_id,
            subject=person.subject,
            requester_ori=requester.ori,
            requester_name=requester.name,
            received=received,
            created=created,
            due=due,
            within_days=duty.within_days,
            business_days=duty.business_days,
            statute=statute,
            policy_id=duty.policy_id,
            disclosed=disclosed,
            requested=requested,
            released=person.released if disclosed is Disclosed.RELEASED else frozenset(),
            recipient_name=person.name,
            recipient_address=person.address,
            delay_requested=delay_requested,
        )
        for person in people
    ]


def decided(notice: Notice, released: frozenset[DataClass] | None) -> Notice:
    """A held request's notice once a reviewer decided: ``released`` classes, or None (denied)."""
    if released is None or not released:
        return replace(notice, disclosed=Disclosed.DENIED, released=frozenset())
    return replace(notice, disclosed=Disclosed.RELEASED, released=released)


def close(
    notice: Notice,
    event: NoticeEvent,
    reviewer: Reviewer,
    at: datetime,
    reason: str | None = None,
) -> Notice:
    """The notice once ``reviewer`` recorded it sent or cancelled; raises ``NoticeError``."""
    if event not in WHO_MAY:
        raise NoticeChanged(f"a notice cannot be {event} by hand")
    if reviewer.role in READ_ONLY:
        raise NotPermitted(f"an {reviewer.role} reads notices and records nothing")
    if reviewer.role not in WHO_MAY[event]:
        raise NotPermitted("only counsel may decide that a notice is not to be sent")
    if not notice.open:
        raise NoticeChanged(f"notice {notice.notice_id} is already {notice.status}")
    if event is NoticeEvent.SENT:
        return replace(notice, status=NoticeStatus.SENT, closed_at=at, closed_by=reviewer.username)
    note = clean_reason(reason)
    if note is None:
        raise InvalidReason("say why the notice is not to be sent")
    if len(note) > MAX_REASON:
        raise InvalidReason(f"the reason is longer than {MAX_REASON} characters")
    return replace(
        notice,
        status=NoticeStatus.CANCELLED,
        closed_at=at,
        closed_by=reviewer.username,
        cancel_reason=note,
    )


def citation(comment: str) -> str | None:
    """The clause a policy's comment opens with: ``VTL 201(12)(b)`` from ``VTL 201(12)(b): ...``."""
    head, colon, _ = comment.partition(":")
    head = " ".join(head.split())
    return head if colon and 0 < len(head) <= 60 else None


def notice_entry(notice: Notice, event: NoticeEvent, at: datetime, actor: str) -> entries.Notice:
    """The ledger entry for one event of a notice: no name, no address, the subject by key."""
    detail: dict[str, entries.JSONValue] = {
        "event": event.value,
        "notice_id": notice.notice_id,
        "actor": actor,
        "requester": notice.requester_ori,
        "due": notice.due.isoformat(),
        "within_days": notice.within_days,
        "business_days": notice.business_days,
        "statute": notice.statute,
        "disclosed": notice.disclosed.value,
        "released": [c.value for c in sorted(notice.released)],
    }
    if notice.delay_requested:
        detail["delay_requested"] = True
    if event is NoticeEvent.CANCELLED and notice.cancel_reason:
        detail["reason"] = notice.cancel_reason
    return entries.Notice(
        at=at,
        detail=detail,
        message_id=notice.message_id,
        notice=NOTICE_KIND,
        recipient=RECIPIENT,
        state=notice.state,
        subjects=(notice.subject,),
    )


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event of a notice, as the ledger is to record it."""

    notice: Notice
    event: NoticeEvent
    actor: str
    at: datetime
