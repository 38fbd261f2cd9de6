"""Tests for stateline/oversight/resident.py: which entries a resident sees, and the delay rule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from stateline.ledger import entries
from stateline.ledger.entries import Entry, decode, encode, subject_key
from stateline.node.audit import query_subjects
from stateline.node.notices.delays import DelayBasis, DelayEvent, delay_entry
from stateline.node.notices.model import NOTICE_KIND
from stateline.oversight.resident import (
    CONTEXT,
    MAX_ACCESSES,
    AccessOutcome,
    access_entry,
    context_entries,
    context_indexes,
    lookup,
    name_forms,
    normalise_oln,
    resident_view,
    subject_keys,
    withheld_until,
)
from stateline.synthetic.people import generate_people
from stateline.wire import text
from stateline.wire.messages import Query

SECRET = b"a state's subject secret for tests"
ME = subject_key(SECRET, "NY", oln="D1234567")
SOMEONE_ELSE = subject_key(SECRET, "NY", oln="D7654321")
AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in Albany
DAY = timedelta(days=1)


def answer(
    message_id: str,
    at: datetime,
    *,
    outcome: str = "release",
    key: str = "DQ",
    requester: str = "NYSTP0000",
    subjects: tuple[str, ...] = (ME,),
    found: tuple[str, ...] = (ME,),
    purpose: str | None = None,
    legal_process: dict[str, entries.JSONValue] | None = None,
) -> list[Entry]:
    """The request, decision and disclosure a node appends for one answer: the request names
    ``subjects``, the disclosure the people ``found`` too."""
    released = ("address", "identity") if outcome in ("release", "release-redacted") else ()
    return [
        entries.RequestReceived(
            at=at,
            message_id=message_id,
            state="NY",
            subjects=subjects,
            key=key,
            requester=requester,
            purpose=purpose,
            legal_process=legal_process or {},
        ),
        entries.Decision(
            at=at, message_id=message_id, state="NY", subjects=subjects, outcome=outcome
        ),
        entries.Disclosure(
            at=at,
            message_id=message_id,
            state="NY",
            recipient=requester,
            answer_sha256="00" * 32,
            data_classes=released,
            subjects=tuple(dict.fromkeys((*subjects, *found))),
        ),
    ]


def notice(message_id: str, event: str, *, delay: bool = False, due: str = "2026-03-05") -> Entry:
    detail: dict[str, entries.JSONValue] = {"event": event, "notice_id": f"N-{message_id}"}
    detail |= {"due": due, "requester": "DCICE0000"}
    if delay:
        detail["delay_requested"] = True
    return entries.Notice(
        at=AT,
        detail=detail,
        message_id=message_id,
        notice=NOTICE_KIND,
        recipient="subject",
        state="NY",
        subjects=(ME,),
    )


def delay(
    message_id: str,
    event: DelayEvent,
    until: date | None = None,
    basis: DelayBasis = DelayBasis.COUNSEL,
) -> Entry:
    return delay_entry(
        at=AT,
        state="NY",
        message_id=message_id,
        subject=ME,
        event=event,
        basis=basis,
        actor="carol",
        until=until,
    )


def grant(message_id: str, until: date, basis: DelayBasis = DelayBasis.COUNSEL) -> Entry:
    return delay(message_id, DelayEvent.GRANTED, until, basis)


def lift(message_id: str) -> Entry:
    return delay(message_id, DelayEvent.LIFTED)


def indexed(*groups: list[Entry]) -> list[tuple[int, Entry]]:
    return list(enumerate(entry for group in groups for entry in group))


# Keys -----------------------------------------------------------------------------------------


def test_a_licence_number_is_read_as_the_wire_carries_it() -> None:
    assert normalise_oln(" d123-4567 ") == "D1234567"
    assert normalise_oln("D 1234 567") == "D1234567"
    assert normalise_oln("") is None
    assert normalise_oln("D1234567<") is None
    assert normalise_oln("1" * 21) is None


def test_name_forms_cover_how_agencies_write_a_name_and_the_fields_length() -> None:
    person = next(generate_people("NY", 1, seed=3))
    plain = dataclasses.replace(person, last="DOE", first="JOHN", middle="", suffix="")
    assert name_forms(plain) == ["DOE,JOHN"]
    full = dataclasses.replace(plain, middle="QUINCY", suffix="JR")
    assert name_forms(full) == [
        "DOE,JOHN", "DOE,JOHN QUINCY", "DOE,JOHN Q", "DOE,JOHN JR", "DOE,JOHN QUINCY JR",
        "DOE,JOHN Q JR",
    ]  # fmt: skip
    long = dataclasses.replace(plain, last="WOLFESCHLEGELSTEINHAUSEN", first="HUBERT")
    assert name_forms(long) == ["WOLFESCHLEGELSTEINHAUSEN,HUBER"]  # cut to NAM/'s 30


def test_the_keys_are_those_the_node_writes_for_a_licence_or_a_name_query() -> None:
    person = next(generate_people("NY", 1, seed=3))
    keys = subject_keys(SECRET, "NY", person.oln, person)
    by_oln = text.parse(f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}")
    name = f"{person.last},{person.first}"[:30]
    by_name = text.parse(f"DQ.NYSTP0000.NY.TXT\nNAM/{name}.DOB/{person.dob:%Y%m%d}.SEX/M")
    assert isinstance(by_oln, Query) and isinstance(by_name, Query)
    assert keys[0] == query_subjects(SECRET, "NY", by_oln)[0]
    assert query_subjects(SECRET, "NY", by_name)[0] in keys
    assert subject_keys(SECRET, "NY", person.oln, None) == keys[:1]  # no record: the licence's


# The delay rule --------------------------------------------------------------------------------


def test_no_delay_shows_the_request() -> None:
    assert withheld_until(indexed(answer("m1", AT))) is None


def test_a_granted_delay_holds_until_its_last_day() -> None:
    found = indexed(answer("m1", AT), [grant("m1", date(2026, 4, 30))])
    assert withheld_until(found) == date(2026, 4, 30)


def test_the_latest_delay_entry_decides_extended_or_lifted() -> None:
    extended = indexed([grant("m1", date(2026, 4, 30)), grant("m1", date(2026, 9, 1))])
    assert withheld_until(extended) == date(2026, 9, 1)
    shortened = indexed([grant("m1", date(2026, 9, 1)), grant("m1", date(2026, 3, 10))])
    assert withheld_until(shortened) == date(2026, 3, 10)
    lifted = indexed([grant("m1", date(2026, 9, 1)), lift("m1")])
    assert withheld_until(lifted) is None
    # By ledger order, not by the order the entries are handed in.
    assert withheld_until(list(reversed(extended))) == date(2026, 9, 1)


def test_a_court_order_delays_as_counsel_does() -> None:
    order = grant("m1", date(2026, 6, 1), DelayBasis.COURT_ORDER)
    assert isinstance(order, entries.Notice) and order.detail["basis"] == "court-order"
    assert withheld_until(indexed([order])) == date(2026, 6, 1)


def test_a_delay_whose_end_cannot_be_read_withholds() -> None:
    broken = grant("m1", date(2026, 4, 30))
    assert isinstance(broken, entries.Notice)
    broken = dataclasses.replace(broken, detail={**broken.detail, "until": "soon"})
    assert withheld_until(indexed([broken])) == date.max


def test_a_delay_asked_for_holds_until_the_notice_is_sent_or_due() -> None:
    asked = [notice("m1", "created", delay=True, due="2026-03-05")]
    assert withheld_until(indexed(answer("m1", AT), asked)) == date(2026, 3, 5)
    sent = [*asked, notice("m1", "sent", delay=True)]
    assert withheld_until(indexed(answer("m1", AT), sent)) is None
    cancelled = [*asked, notice("m1", "cancelled", delay=True)]
    assert withheld_until(indexed(answer("m1", AT), cancelled)) is None  # no delay granted
    # A notice asked for without a delay claim holds nothing.
    assert withheld_until(indexed([notice("m1", "created")])) is None
    # Counsel's grant outranks the claim's due date.
    granted = [*asked, grant("m1", date(2026, 5, 1))]
    assert withheld_until(indexed(granted)) == date(2026, 5, 1)


def test_delay_entries_have_an_end_exactly_when_granted() -> None:
    with pytest.raises(ValueError):
        delay("m1", DelayEvent.GRANTED)
    with pytest.raises(ValueError):
        delay("m1", DelayEvent.LIFTED, until=date(2026, 4, 1))
    entry = grant("m1", date(2026, 4, 30))
    assert decode(encode(entry)) == entry  # a notice entry like any other: old kinds unchanged
    assert entry.subjects == (ME,)


# The view ---------------------------------------------------------------------------------------


def test_the_view_hides_a_delayed_request_then_shows_it_the_day_after() -> None:
    found = indexed(
        answer("m1", AT),
        answer("m2", AT + DAY, requester="DCICE0000"),
        [grant("m2", date(2026, 3, 31))],
    )
    during = resident_view(found, "NY", datetime(2026, 3, 31, 23, 0, tzinfo=UTC))
    assert [item.message_id for item in during.lookups] == ["m1"]
    assert during.withheld
    # 04:59 UTC on 1 April is still 31 March in New York: the state's calendar decides.
    assert resident_view(found, "NY", datetime(2026, 4, 1, 3, 59, tzinfo=UTC)).withheld
    after = resident_view(found, "NY", datetime(2026, 4, 1, 4, 0, tzinfo=UTC))
    assert [item.message_id for item in after.lookups] == ["m2", "m1"]  # newest first
    assert not after.withheld
    [delayed] = [item for item in after.lookups if item.message_id == "m2"]
    assert [e.kind for _, e in delayed.entries] == ["request", "decision", "disclosure", "notice"]


def test_the_view_says_only_that_something_is_withheld() -> None:
    found = indexed(
        answer("m1", AT), [grant("m1", date(2026, 12, 31))],
        answer("m2", AT), [grant("m2", date(2026, 12, 31))],
    )  # fmt: skip
    view = resident_view(found, "NY", AT)
    assert view.lookups == () and view.withheld is True  # a flag, never a count or an id
    assert {f.name for f in dataclasses.fields(view)} == {"lookups", "accesses", "withheld"}


def test_a_lookup_tells_who_why_under_what_process_and_what_left() -> None:
    process: dict[str, entries.JSONValue] = {"kind": "judicial-warrant", "number": "24-MJ-1031"}
    found = indexed(
        answer(
            "m1",
            AT,
            requester="DCICE0000",
            purpose="criminal-investigation",
            legal_process=process,
            outcome="release-redacted",
        )
    )
    [item] = resident_view(found, "NY", AT).lookups
    assert item.requester == "DCICE0000" and item.key == "DQ"
    assert item.purpose == "criminal-investigation" and item.legal_process == process
    assert item.outcome == "release-redacted" and item.released == ("address", "identity")
    assert item.at == AT and item.answered_after_review is None


def test_a_held_request_shows_its_late_answer() -> None:
    held = answer("m1", AT, outcome="review")
    late = entries.Disclosure(
        at=AT + DAY,
        message_id="m1",
        state="NY",
        recipient="NYSTP0000",
        answer_sha256="11" * 32,
        data_classes=("identity",),
        subjects=(ME,),
    )
    item = lookup("m1", indexed(held, [late]))
    assert item.outcome == "review" and item.answered_after_review == AT + DAY
    assert item.released == ("identity",)
    assert lookup("m1", indexed(held)).answered_after_review is None


def test_a_plate_query_gets_its_request_entry_from_just_before() -> None:
    # A plate query names nobody: only its disclosure carries the owner's key.
    plate = answer("m1", AT, key="RQ", subjects=(), purpose="traffic-enforcement")
    other = answer("m0", AT, subjects=(SOMEONE_ELSE,), found=(SOMEONE_ELSE,))
    log = indexed(other, plate)
    mine = [(i, e) for i, e in log if ME in e.subjects]
    assert [i for i, _ in mine] == [5]
    wanted = context_indexes(mine)
    assert wanted == list(range(max(5 - CONTEXT, 0), 5))
    context = context_entries(mine, [(i, e) for i, e in log if i in wanted])
    assert [i for i, _ in context] == [3, 4]  # m0's entries, someone else's, are left out
    [item] = resident_view(mine, "NY", AT, context).lookups
    assert item.key == "RQ" and item.purpose == "traffic-enforcement"
    assert [i for i, _ in item.entries] == [3, 4, 5]
    # A request whose own entry names the person needs nothing read beside it.
    assert context_indexes(indexed(answer("m2", AT))) == []


def test_accesses_are_listed_apart_newest_first_and_capped() -> None:
    accesses = [
        access_entry(
            at=AT + timedelta(minutes=n),
            state="NY",
            access_id=f"R-{n}",
            subject=ME,
            outcome=AccessOutcome.WRONG_CODE if n % 2 else AccessOutcome.SHOWN,
        )
        for n in range(MAX_ACCESSES + 5)
    ]
    view = resident_view(indexed(answer("m1", AT), accesses), "NY", AT)
    assert len(view.lookups) == 1
    assert len(view.accesses) == MAX_ACCESSES
    assert [e.message_id for _, e in view.accesses][:2] == [
        f"R-{MAX_ACCESSES + 4}", f"R-{MAX_ACCESSES + 3}"
    ]  # fmt: skip


def test_an_access_entry_names_the_person_by_key_and_round_trips() -> None:
    entry = access_entry(
        at=AT, state="NY", access_id="R-1", subject=ME, outcome=AccessOutcome.SHOWN, shown=3
    )
    data = encode(entry)
    assert decode(data) == entry
    assert data == (
        b'{"at":"2026-03-02T14:00:00Z","kind":"resident","message_id":"R-1","outcome":"shown",'
        b'"shown":3,"state":"NY","subjects":["' + ME.encode() + b'"],"v":1}'
    )
