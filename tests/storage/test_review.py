"""Tests for stateline/storage/review.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.errors import StorageError
from stateline.node.review.model import (
    COUNSEL_DUTY,
    Action,
    CitedProcess,
    Document,
    HeldItem,
    ItemChanged,
    Reviewer,
    ReviewState,
    Role,
    escalation,
    transition,
)
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.review import AlreadyHeld, SqlReviewStore
from stateline.wire.grammar import MKE, DataClass
from stateline.wire.messages import Header, Query

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ICE = Agency(
    "DCICE0100", "ICE ERO", AgencyType.FE, "US", frozenset({Mission.IMMIGRATION_ENFORCEMENT})
)
NYPD = Agency(
    "NY0303000", "NYPD", AgencyType.PD, "NY", frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})
)
COUNSEL = Reviewer("carl", Role.COUNSEL)
WARRANT = CitedProcess(
    kind="judicial-warrant",
    number="24-MJ-1031",
    court="S.D.N.Y.",
    judge="Hon. A. Judge",
    issued=date(2026, 2, 27),
    covers=frozenset({DataClass.ADDRESS}),
)
PDF = Document(b"%PDF-1.4 a warrant\n%%EOF", "application/pdf", "warrant.pdf")


def held(message_id: str, received: datetime, requester: Agency = ICE, **more: object) -> HeldItem:
    query = Query(
        Header(MKE.DQ, requester.ori, ("NY",), "CTL7"),
        (("NAM", "DOE,JANE"), ("DOB", "19800101"), ("SEX", "F")),
    )
    item = HeldItem(
        message_id=message_id,
        query=query,
        destination="NYOLN0000",
        requester=requester,
        received=received,
        deadline=received + timedelta(hours=24),
        requested=frozenset({DataClass.IDENTITY, DataClass.ADDRESS, DataClass.SSN}),
        under_review=frozenset({DataClass.IDENTITY, DataClass.ADDRESS}),
        policy_ids=("ny-review",),
        reasons=("FEDERAL AGENCY",),
        duties=("log", COUNSEL_DUTY),
        purpose="criminal-investigation",
        legal_process=WARRANT,
    )
    return replace(item, **more)  # type: ignore[arg-type]


@pytest.fixture
def store(engine: Engine) -> SqlReviewStore:
    made = SqlReviewStore(engine)
    made.create_schema()
    return made


def test_hold_and_get_round_trip_every_field(store: SqlReviewStore) -> None:
    item = held("m1", T0)
    stored = store.hold(item, PDF)
    assert stored.document == PDF.ref
    assert store.get("m1") == stored
    assert store.get("nope") is None
    assert store.document("m1") == PDF


def test_hold_without_legal_process_or_document(store: SqlReviewStore) -> None:
    item = held("m2", T0, legal_process=None, purpose=None, duties=())
    assert store.hold(item) == item
    assert store.get("m2") == item
    assert store.document("m2") is None


def test_times_come_back_in_utc(store: SqlReviewStore) -> None:
    eastern = datetime(2026, 3, 2, 4, 0, tzinfo=timezone(timedelta(hours=-5)))
    store.hold(held("m1", eastern))
    got = store.get("m1")
    assert got is not None
    assert got.received == T0
    assert got.received.tzinfo is UTC


def test_a_message_is_held_once(store: SqlReviewStore) -> None:
    store.hold(held("m1", T0))
    with pytest.raises(AlreadyHeld):
        store.hold(held("m1", T0))


def test_list_by_state_oldest_first(store: SqlReviewStore) -> None:
    for n, hours in enumerate((5, 1, 3)):
        store.hold(held(f"m{n}", T0 + timedelta(hours=hours)))
    assert [i.message_id for i in store.list()] == ["m1", "m2", "m0"]
    record = transition(store.get("m2"), Action.DENY, COUNSEL, T0, reason="no")  # type: ignore[arg-type]
    store.apply(record)
    assert [i.message_id for i in store.list(ReviewState.HELD)] == ["m1", "m0"]
    assert [i.message_id for i in store.list(ReviewState.DENIED)] == ["m2"]
    assert store.list(ReviewState.ESCALATED) == []


def test_apply_moves_the_item_and_records_the_action(store: SqlReviewStore) -> None:
    item = store.hold(held("m1", T0))
    part = frozenset({DataClass.ADDRESS})
    record = transition(item, Action.APPROVE_IN_PART, COUNSEL, T0, released=part, reason="ok")
    moved = store.apply(record)
    assert moved.state is ReviewState.PARTIALLY_APPROVED
    assert (moved.released, moved.decided_by, moved.decided_at) == (part, "carl", T0)
    assert moved.decision_reason == "ok"
    assert store.actions("m1") == [record]


def test_apply_is_compare_and_set(store: SqlReviewStore) -> None:
    item = store.hold(held("m1", T0))
    first = transition(item, Action.DENY, COUNSEL, T0, reason="no warrant")
    second = transition(item, Action.APPROVE, COUNSEL, T0)
    store.apply(first)
    with pytest.raises(ItemChanged):
        store.apply(second)  # both read the item as held; only one decision stands
    got = store.get("m1")
    assert got is not None and got.state is ReviewState.DENIED
    assert store.actions("m1") == [first]


def test_overdue_are_held_items_past_their_deadline(store: SqlReviewStore) -> None:
    store.hold(held("early", T0))
    store.hold(held("late", T0 + timedelta(hours=2)))
    assert store.overdue(T0 + timedelta(hours=23)) == []
    due = T0 + timedelta(hours=24)
    assert [i.message_id for i in store.overdue(due)] == ["early"]
    record = escalation(store.get("early"), due)  # type: ignore[arg-type]
    assert record is not None
    store.apply(record)
    later = T0 + timedelta(days=3)
    assert [i.message_id for i in store.overdue(later)] == ["late"]  # escalated ones are not


def test_requesters_recent_history(store: SqlReviewStore) -> None:
    now = T0 + timedelta(days=40)
    for n, days_ago in enumerate((1, 5, 29, 31, 100)):
        store.hold(held(f"ice{n}", now - timedelta(days=days_ago)))
    store.hold(held("nypd", now - timedelta(days=1), NYPD))
    denied = transition(store.get("ice1"), Action.DENY, COUNSEL, now, reason="no")  # type: ignore[arg-type]
    store.apply(denied)
    history = store.history(ICE.ori, now)
    assert history.days == 30
    assert history.total == 3
    assert dict(history.by_state) == {ReviewState.HELD: 2, ReviewState.DENIED: 1}
    assert store.history("XX0000000", now).total == 0


def test_audit_and_reply_bookkeeping(store: SqlReviewStore) -> None:
    item = store.hold(held("m1", T0))
    record = transition(item, Action.DENY, COUNSEL, T0, reason="no")
    store.apply(record)
    assert store.unaudited() == [record]
    assert [i.message_id for i in store.unreplied()] == ["m1"]
    store.mark_audited(record, T0)
    store.mark_replied("m1", T0)
    assert store.unaudited() == []
    assert store.unreplied() == []


def test_database_errors_become_storage_errors() -> None:
    broken = SqlReviewStore(open_engine(sqlite_url("/nonexistent/dir/review.sqlite")))
    with pytest.raises(StorageError):
        broken.create_schema()
    with pytest.raises(StorageError):
        broken.list()
    with pytest.raises(StorageError):
        broken.hold(held("m1", T0))


def test_naive_times_are_refused(store: SqlReviewStore) -> None:
    with pytest.raises(ValueError, match="timezone"):
        store.hold(held("m1", T0.replace(tzinfo=None)))


def decide(store: SqlReviewStore, message_id: str, action: Action, at: datetime) -> None:
    item = store.get(message_id)
    assert item is not None
    part = frozenset({DataClass.ADDRESS}) if action is Action.APPROVE_IN_PART else frozenset()
    store.apply(transition(item, action, COUNSEL, at, released=part, reason="because"))


def test_decided_items_latest_decision_first(store: SqlReviewStore) -> None:
    store.hold(held("a1", T0))
    store.hold(held("a2", T0 + timedelta(hours=1), NYPD))
    store.hold(held("a3", T0 + timedelta(hours=2)))
    store.hold(held("open", T0 + timedelta(hours=3)))
    store.hold(held("escalated", T0 + timedelta(hours=3)))
    store.apply(escalation(store.get("escalated"), T0 + timedelta(days=2)))  # type: ignore[arg-type]
    decide(store, "a3", Action.DENY, T0 + timedelta(hours=4))
    decide(store, "a1", Action.APPROVE, T0 + timedelta(hours=6))  # received first, decided last
    decide(store, "a2", Action.APPROVE_IN_PART, T0 + timedelta(hours=5))
    assert [i.message_id for i in store.decided()] == ["a1", "a2", "a3"]
    assert store.count_decided() == 3
    assert [i.message_id for i in store.decided(limit=2)] == ["a1", "a2"]
    assert [i.message_id for i in store.decided(limit=2, offset=2)] == ["a3"]
    [first] = store.decided(limit=1)
    assert first == store.get("a1")


def test_decided_items_searched_by_message_id_requester_and_outcome(store: SqlReviewStore) -> None:
    for n, (requester, action) in enumerate(
        ((ICE, Action.DENY), (NYPD, Action.APPROVE), (ICE, Action.APPROVE), (NYPD, Action.DENY))
    ):
        store.hold(held(f"9f3a{n}c{n}", T0 + timedelta(minutes=n), requester))
        decide(store, f"9f3a{n}c{n}", action, T0 + timedelta(hours=1, minutes=n))
    store.hold(held("9f3a-still-held", T0))

    def ids(**terms: object) -> list[str]:
        found = [i.message_id for i in store.decided(**terms)]  # type: ignore[arg-type]
        assert store.count_decided(**terms) == len(found)  # type: ignore[arg-type]
        return found

    assert ids(message_id="A2C") == ["9f3a2c2"]  # anywhere in the id, any case
    assert ids(message_id="9f3a") == ["9f3a3c3", "9f3a2c2", "9f3a1c1", "9f3a0c0"]
    assert ids(message_id="%") == []  # a LIKE wildcard is a character like any other
    assert ids(message_id="_1") == []  # (unescaped, it would find 9f3a1c1)
    assert ids(requester="ny03") == ["9f3a3c3", "9f3a1c1"]  # the start of the ORI
    assert ids(requester="0303000") == []
    assert ids(outcome=ReviewState.DENIED) == ["9f3a3c3", "9f3a0c0"]
    assert ids(outcome=ReviewState.DENIED, requester=ICE.ori) == ["9f3a0c0"]
    assert ids(outcome=ReviewState.HELD) == []  # only decided items are ever listed
    assert ids(message_id="  ", requester=" ") == ["9f3a3c3", "9f3a2c2", "9f3a1c1", "9f3a0c0"]
