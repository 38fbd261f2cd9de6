"""Tests for stateline/node/review/service.py: real queue and records, on SQLite and PostgreSQL.

The records lookup here is a real one over the node's SqlRecordStore (a DQ by licence number,
redacted to the released classes), and the late replies go to a list: a test sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.records.model import Person
from stateline.node.records.render import driver_fields
from stateline.node.redact import redact, released_classes
from stateline.node.review.model import (
    COUNSEL_DUTY,
    Action,
    Document,
    HeldItem,
    InvalidTransition,
    ItemChanged,
    NotPermitted,
    ReviewAction,
    Reviewer,
    ReviewState,
    Role,
    UnknownItem,
    transition,
)
from stateline.node.review.service import RecordsLookup, ReviewService, denial_reply
from stateline.storage.records import SqlRecordStore
from stateline.storage.review import SqlReviewStore
from stateline.synthetic.people import generate_people
from stateline.wire import text
from stateline.wire.grammar import MKE, NOT_ON_FILE, DataClass
from stateline.wire.messages import Header, Query, Reply, Response

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ICE = Agency(
    "DCICE0100", "ICE ERO", AgencyType.FE, "US", frozenset({Mission.IMMIGRATION_ENFORCEMENT})
)
RITA = Reviewer("rita", Role.REVIEWER)
CARL = Reviewer("carl", Role.COUNSEL)
UNDER_REVIEW = frozenset(
    {DataClass.IDENTITY, DataClass.ADDRESS, DataClass.PHYSICAL, DataClass.CREDENTIAL_TYPE}
)


@dataclass
class Sink:
    """Late replies as the hub's mailbox would take them, kept in a list."""

    delivered: list[tuple[str, str, Reply]] = field(default_factory=list)

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
        self.delivered.append((message_id, requester, reply))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def oln_lookup(records: SqlRecordStore) -> RecordsLookup:
    """The node's search for a held DQ by OLN, answering with the released classes only."""

    def lookup(item: HeldItem, released: frozenset[DataClass]) -> Response:
        person = records.by_oln(item.query.get("OLN") or "")
        found = (driver_fields(person, score=None, photo=False),) if person else ()
        header = Header(MKE.DR, item.destination, (item.requester.ori,), item.query.header.control)
        kept = tuple(redact(record, released) for record in found)
        return Response(header, kept, () if kept else (NOT_ON_FILE,))

    return lookup


@dataclass
class World:
    service: ReviewService
    store: SqlReviewStore
    sink: Sink
    audited: list[ReviewAction]
    clock: Clock
    person: Person


def make_world(engine: Engine, people_count: int = 3, seed: int = 4) -> World:
    """A real queue over real records, the late replies in a list, the clock in the test's hand."""
    records = SqlRecordStore(engine)
    records.create_schema()
    people = list(generate_people("NY", people_count, seed=seed))
    records.insert_people(people)
    store = SqlReviewStore(engine)
    store.create_schema()
    sink, audited, clock = Sink(), [], Clock()
    service = ReviewService(store, oln_lookup(records), sink, audited.append, clock=clock)
    return World(service, store, sink, audited, clock, people[0])


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def held(world: World, message_id: str, *duties: str, oln: str | None = None) -> HeldItem:
    query = Query(Header(MKE.DQ, ICE.ori, ("NY",), "CASE-7"), (("OLN", oln or world.person.oln),))
    item = HeldItem(
        message_id=message_id,
        query=query,
        destination="NYOLN0000",
        requester=ICE,
        received=world.clock.now,
        deadline=world.clock.now + timedelta(hours=24),
        requested=UNDER_REVIEW | {DataClass.SSN},
        under_review=UNDER_REVIEW,
        duties=("log", *duties),
    )
    return world.service.hold(item)


def test_partial_approval_sends_a_dr_with_exactly_the_approved_classes(world: World) -> None:
    held(world, "m1")
    part = frozenset({DataClass.IDENTITY, DataClass.ADDRESS})
    decided = world.service.decide("m1", RITA, Action.APPROVE_IN_PART, released=part)
    assert decided.state is ReviewState.PARTIALLY_APPROVED
    [(message_id, requester, reply)] = world.sink.delivered
    assert (message_id, requester) == ("m1", ICE.ori)
    assert isinstance(reply, Response)
    assert reply.header == Header(MKE.DR, "NYOLN0000", (ICE.ori,), "CASE-7")
    [record] = reply.records
    assert released_classes(record) == part
    assert ("OLN", world.person.oln) in record
    assert text.parse(text.encode(reply)) == reply  # a valid reply on the wire
    assert [a.action for a in world.audited] == [Action.APPROVE_IN_PART]
    assert world.store.unaudited() == [] and world.store.unreplied() == []


def test_approval_in_full_releases_the_classes_under_review_only(world: World) -> None:
    held(world, "m1")
    world.service.decide("m1", RITA, Action.APPROVE)
    [(_, _, reply)] = world.sink.delivered
    assert isinstance(reply, Response)
    assert released_classes(reply.records[0]) <= UNDER_REVIEW
    assert not any(tag == "SOC" for tag, _ in reply.records[0])  # the SSN was denied by policy


def test_a_lookup_that_lets_more_through_is_redacted_again(world: World) -> None:
    held(world, "m1")
    person = world.person

    def careless(item: HeldItem, released: frozenset[DataClass]) -> Response:
        header = Header(MKE.DR, item.destination, (item.requester.ori,))
        return Response(header, (driver_fields(person, score=None, photo=True),))

    world.service.records = careless
    world.service.decide("m1", RITA, Action.APPROVE_IN_PART, released={DataClass.IDENTITY})
    [(_, _, reply)] = world.sink.delivered
    assert isinstance(reply, Response)
    assert released_classes(reply.records[0]) == {DataClass.IDENTITY}


def test_denial_sends_the_reason_and_no_record(world: World) -> None:
    held(world, "m1")
    world.service.decide("m1", RITA, Action.DENY, reason="Administrative warrant only.\nNo.")
    [(_, requester, reply)] = world.sink.delivered
    assert requester == ICE.ori
    assert isinstance(reply, Response)
    assert reply.records == ()
    assert reply.text == (
        "REQUEST DENIED ON REVIEW BY NY",
        "REASON: ADMINISTRATIVE WARRANT ONLY. NO.",
    )
    assert text.parse(text.encode(reply)) == reply
    assert world.audited[0].reason == "Administrative warrant only. No."


def test_a_reviewer_cannot_decide_a_counsel_item_but_counsel_can(world: World) -> None:
    held(world, "m1", COUNSEL_DUTY)
    with pytest.raises(NotPermitted):
        world.service.decide("m1", RITA, Action.APPROVE)
    assert world.sink.delivered == [] and world.audited == []
    world.service.decide("m1", CARL, Action.DENY, reason="no judicial warrant")
    assert len(world.sink.delivered) == 1


def test_a_decided_item_is_decided_once(world: World) -> None:
    held(world, "m1")
    world.service.decide("m1", RITA, Action.DENY, reason="no")
    with pytest.raises(InvalidTransition):
        world.service.decide("m1", CARL, Action.APPROVE)
    with pytest.raises(UnknownItem):
        world.service.decide("nope", CARL, Action.APPROVE)
    assert len(world.sink.delivered) == 1


def test_deadline_escalates_and_releases_nothing(world: World) -> None:
    held(world, "m1")
    world.clock.now = T0 + timedelta(hours=23)
    assert [i.state for i in world.service.queue()] == [ReviewState.HELD]
    world.clock.now = T0 + timedelta(hours=24)
    [item] = world.service.queue()
    assert item.state is ReviewState.ESCALATED
    assert world.sink.delivered == []
    [record] = world.audited
    assert (record.action, record.actor, record.role) == (Action.ESCALATE, "system", None)
    with pytest.raises(NotPermitted):
        world.service.decide("m1", RITA, Action.APPROVE)
    world.service.decide("m1", CARL, Action.APPROVE_IN_PART, released={DataClass.ADDRESS})
    assert len(world.sink.delivered) == 1
    assert world.service.queue() == []


def test_history_of_the_requester(world: World) -> None:
    held(world, "m1")
    held(world, "m2")
    world.service.decide("m2", RITA, Action.DENY, reason="no")
    history = world.service.history(ICE.ori)
    assert history.total == 2
    assert dict(history.by_state) == {ReviewState.HELD: 1, ReviewState.DENIED: 1}


def test_document_is_kept_with_the_item(world: World) -> None:
    pdf = Document(b"%PDF-1.4\n%%EOF", "application/pdf", "warrant.pdf")
    query = Query(Header(MKE.DQ, ICE.ori, ("NY",)), (("OLN", world.person.oln),))
    item = HeldItem(
        "m1", query, "NYOLN0000", ICE, T0, T0 + timedelta(hours=1), UNDER_REVIEW, UNDER_REVIEW
    )
    assert world.service.hold(item, pdf).document == pdf.ref
    assert world.service.document("m1") == pdf
    assert world.service.get("m1").document == pdf.ref


def test_a_failed_audit_stops_the_reply_and_resume_finishes_it(world: World) -> None:
    held(world, "m1")
    working = world.service.audit

    def down(_record: ReviewAction) -> None:
        raise OSError("ledger unreachable")

    world.service.audit = down
    with pytest.raises(OSError):
        world.service.decide("m1", RITA, Action.DENY, reason="no")
    assert world.sink.delivered == []  # fail closed: nothing left before the ledger had it
    assert world.service.get("m1").state is ReviewState.DENIED  # the decision stands
    with pytest.raises(InvalidTransition):
        world.service.decide("m1", CARL, Action.APPROVE)
    world.service.audit = working
    assert world.service.resume() == 2  # one action audited, one reply sent
    assert [a.target for a in world.audited] == [ReviewState.DENIED]
    assert len(world.sink.delivered) == 1
    assert world.service.resume() == 0


def test_a_failed_delivery_is_retried_by_resume(world: World) -> None:
    held(world, "m1")
    sink = world.service.replies

    class Down:
        def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
            raise OSError("hub unreachable")

    world.service.replies = Down()
    with pytest.raises(OSError):
        world.service.decide("m1", RITA, Action.APPROVE)
    world.service.replies = sink
    assert world.service.resume() == 1
    assert len(world.sink.delivered) == 1
    assert len(world.audited) == 1  # audited once, before the failed delivery


def test_two_reviewers_at_once_one_decision(world: World) -> None:
    item = held(world, "m1")
    late = transition(item, Action.APPROVE, CARL, T0)  # read before RITA's denial landed
    world.service.decide("m1", RITA, Action.DENY, reason="no")
    with pytest.raises(ItemChanged):
        world.store.apply(late)
    assert len(world.sink.delivered) == 1


def test_denial_reply_for_other_keys() -> None:
    query = Query(Header(MKE.RQ, ICE.ori, ("NY",)), (("VIN", "1HGCM82633A004352"),))
    item = HeldItem("m", query, "NYLIC0000", ICE, T0, T0, frozenset(), frozenset())
    reply = denial_reply(item, "no")
    assert reply.header == Header(MKE.RR, "NYLIC0000", (ICE.ori,), None)
