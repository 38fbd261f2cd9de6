"""What a resident sees of their state's ledger: every request about them, delayed ones withheld.

Pure: the shell hands in the entries that name the person (found by subject key), the state and
the time; out comes the view. A request is shown as one :class:`Lookup` (when, who, why, under
what process, what was decided, which data classes left) with every entry behind it, so each
can be proven against the ledger's signed head.

The delay rule (docs/resident.md). A request stays hidden from a person while a delay holds:

- a delay the state granted: a ``notice`` entry whose ``notice`` is :data:`DELAY_NOTICE`,
  naming the person by subject key, with ``detail.event`` ``granted`` and ``detail.until``
  (the last day withheld, in the state's calendar), on counsel's decision or a court's order
  (``detail.basis``). The latest such entry of a request decides: a later grant extends or
  shortens the delay, a ``lifted`` one ends it. A grant whose end cannot be read hides the
  request (fail closed: a covert investigation is never shown by mistake);
- a delay asked for and not yet decided: a notice owed to the person whose requester said
  notice would impede an investigation (``NDR/Y``: ``detail.delay_requested``), neither sent
  nor cancelled, hides the request until the notice's due date at most. Without this, the
  person could see the request before counsel had the chance to grant the delay; past the due
  date the law has the person told anyway.

The person learns that something is withheld, never which request, nor how many: a count
would rise by one with each new delayed request, and so date it for a person who looks often.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from stateline.ledger import entries
from stateline.ledger.entries import (
    Decision,
    Disclosure,
    Entry,
    JSONValue,
    Notice,
    RequestReceived,
    ResidentAccess,
    subject_key,
)
from stateline.node.deadlines import local_day
from stateline.node.notices.delays import DELAY_NOTICE, DelayEvent
from stateline.node.notices.model import NOTICE_KIND, NoticeEvent
from stateline.node.records.model import Person
from stateline.wire.grammar import QUERY_TAGS, QUERY_VALUE_RE

NAM_LENGTH = QUERY_TAGS["NAM"]
"""Characters a ``NAM/`` field holds: longer names reach the node cut short."""

CONTEXT = 12
"""Entries read back for a request's own entries: its request, decision and disclosure, then
one notice per person it found (a name search finds ten at most)."""

MAX_ACCESSES = 20
"""The person's latest accesses to the view that it lists (every one is in the ledger)."""


class AccessOutcome(StrEnum):
    """How one access to the view ended; each is one ``resident`` ledger entry."""

    SHOWN = "shown"
    WRONG_CODE = "wrong-code"  # a wrong code, or a licence number with no code issued
    EXPIRED_CODE = "expired-code"
    LOCKED = "locked"  # too many wrong codes this hour: the code was not even compared


Found = Sequence[tuple[int, Entry]]
"""Ledger entries with their indexes."""

OLN = QUERY_VALUE_RE["OLN"]
"""A licence number as the wire carries it (``OLN/``)."""


def normalise_oln(typed: str) -> str | None:
    """A licence number as typed, in capitals, without spaces or dashes; None when it cannot
    be one."""
    licence = "".join(typed.split()).replace("-", "").upper()
    return licence if OLN.fullmatch(licence) else None


def name_forms(person: Person) -> list[str]:
    """The ``NAM/`` values an agency may have asked for this person by: surname and first name,
    with the middle name, its initial or the suffix, each cut to the field's length."""
    last, first = person.last, person.first
    tails = [""]
    if person.middle:
        tails += [f" {person.middle}", f" {person.middle[0]}"]
    if person.suffix:
        tails += [f"{tail} {person.suffix}" for tail in tails]
    forms = (f"{last},{first}{tail}" for tail in tails)
    return list(dict.fromkeys(form[:NAM_LENGTH] for form in forms))


def subject_keys(secret: bytes, state: str, oln: str, person: Person | None) -> tuple[str, ...]:
    """Every subject key the ledger may name the person by: the licence number's, then those of
    name and date of birth (requests found by name carry those), when the state holds them."""
    keys = [subject_key(secret, state, oln=oln)]
    if person is not None:
        keys += [subject_key(secret, state, name=n, dob=person.dob) for n in name_forms(person)]
    return tuple(dict.fromkeys(keys))


def _lacking_request(found: Found) -> dict[str, int]:
    """Requests among ``found`` without their request entry, each with its first index here."""
    first: dict[str, int] = {}
    requested: set[str] = set()
    for index, entry in found:
        if isinstance(entry, ResidentAccess | entries.AdminChange):
            continue
        first[entry.message_id] = min(first.get(entry.message_id, index), index)
        if isinstance(entry, RequestReceived):
            requested.add(entry.message_id)
    return {m: at for m, at in first.items() if m not in requested}


def context_indexes(found: Found) -> list[int]:
    """Indexes to read beside what the person's keys found. A request whose request entry does
    not name them (a plate or VIN query; a name typed otherwise than their record has it, found
    by its notice) has that entry a little before its first entry here, since the node appends
    a request's entries, and the notices it owes, together."""
    wanted = {i for at in _lacking_request(found).values() for i in range(max(at - CONTEXT, 0), at)}
    return sorted(wanted)


def context_entries(found: Found, read: Found) -> list[tuple[int, Entry]]:
    """Of the entries ``read`` at :func:`context_indexes`, those of the same requests: their
    request, decision and disclosure entries (a notice there is another person's)."""
    lacking = _lacking_request(found)
    kinds = (RequestReceived, Decision, Disclosure)
    return [
        (i, e)
        for i, e in read
        if isinstance(e, kinds) and e.message_id in lacking and i < lacking[e.message_id]
    ]


def _day(value: JSONValue) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def withheld_until(found: Found) -> date | None:
    """The last day (state calendar) one request stays hidden from the person, or None when it
    is shown; ``found`` holds the request's entries that name the person."""
    notices = sorted(((i, e) for i, e in found if isinstance(e, Notice)), key=lambda p: p[0])
    grants = [e for _, e in notices if e.notice == DELAY_NOTICE]
    if grants:
        latest = grants[-1].detail
        if latest.get("event") == DelayEvent.LIFTED.value:
            return None
        return _day(latest.get("until")) or date.max  # unreadable: withheld (fail closed)
    claims: dict[str, date | None] = {}  # notice id -> its due date while still open
    for _, entry in notices:
        detail = entry.detail
        notice_id = detail.get("notice_id")
        if entry.notice != NOTICE_KIND or not isinstance(notice_id, str):
            continue
        event = detail.get("event")
        if event == NoticeEvent.CREATED.value and detail.get("delay_requested") is True:
            claims.setdefault(notice_id, _day(detail.get("due")) or date.max)
        elif event in (NoticeEvent.SENT.value, NoticeEvent.CANCELLED.value):
            claims[notice_id] = None  # sent: the person was told; cancelled: no delay granted
    open_until = [until for until in claims.values() if until is not None]
    return max(open_until) if open_until else None


@dataclass(frozen=True, slots=True)
class Lookup:
    """One request about the person, as the ledger recorded it."""

    message_id: str
    at: datetime  # when the request reached the node (its first entry)
    requester: str | None  # the ORI
    key: str | None  # the message key: DQ, RQ, KQ
    purpose: str | None
    legal_process: Mapping[str, JSONValue]
    outcome: str | None  # the policy's: release, release-redacted, deny, review
    released: tuple[str, ...]  # data classes the answers carried
    answered_after_review: datetime | None  # a held request's late answer
    entries: tuple[tuple[int, Entry], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ResidentView:
    """What the person is shown: requests newest first, their latest accesses, and whether
    anything is withheld for now."""

    lookups: tuple[Lookup, ...]
    accesses: tuple[tuple[int, ResidentAccess], ...]
    withheld: bool


def lookup(message_id: str, found: Found) -> Lookup:
    """The request ``message_id`` as its entries tell it."""
    ordered = sorted(found, key=lambda pair: pair[0])
    request = next((e for _, e in ordered if isinstance(e, RequestReceived)), None)
    decision = next((e for _, e in ordered if isinstance(e, Decision)), None)
    disclosures = [e for _, e in ordered if isinstance(e, Disclosure)]
    released = sorted({c for d in disclosures for c in d.data_classes})
    late = None
    if decision is not None and decision.outcome == "review" and len(disclosures) > 1:
        late = disclosures[-1].at  # the first answer said "held"; the last one is the decision
    requester = request.requester if request is not None else None
    if requester is None and disclosures:
        requester = disclosures[0].recipient
    return Lookup(
        message_id=message_id,
        at=min(e.at for _, e in ordered),
        requester=requester,
        key=request.key if request is not None else None,
        purpose=request.purpose if request is not None else None,
        legal_process=request.legal_process if request is not None else {},
        outcome=decision.outcome if decision is not None else None,
        released=tuple(released),
        answered_after_review=late,
        entries=tuple(ordered),
    )


def resident_view(
    found: Iterable[tuple[int, Entry]], state: str, now: datetime, context: Found = ()
) -> ResidentView:
    """The person's view at ``now``: ``found`` are the entries that name them (by any of their
    keys, each index once), ``context`` those :func:`context_entries` kept."""
    today = local_day(now, state)
    by_message: dict[str, dict[int, Entry]] = {}
    accesses: dict[int, ResidentAccess] = {}
    for index, entry in found:
        if isinstance(entry, ResidentAccess):
            accesses[index] = entry
        elif not isinstance(entry, entries.AdminChange):
            by_message.setdefault(entry.message_id, {})[index] = entry
    shown: list[Lookup] = []
    withheld = False
    for message_id, named in by_message.items():
        until = withheld_until(list(named.items()))
        if until is not None and today <= until:
            withheld = True
            continue
        around = [(i, e) for i, e in context if e.message_id == message_id]
        shown.append(lookup(message_id, [*named.items(), *around]))
    shown.sort(key=lambda item: (item.at, item.message_id), reverse=True)
    latest = sorted(accesses.items(), key=lambda pair: pair[0], reverse=True)[:MAX_ACCESSES]
    return ResidentView(tuple(shown), tuple(latest), withheld)


def access_entry(
    *,
    at: datetime,
    state: str,
    access_id: str,
    subject: str,
    outcome: AccessOutcome,
    shown: int = 0,
) -> ResidentAccess:
    """The ledger entry of one access to the view, naming the person by their licence's key."""
    return ResidentAccess(
        at=at,
        message_id=access_id,
        outcome=outcome.value,
        shown=shown,
        state=state,
        subjects=(subject,),
    )
