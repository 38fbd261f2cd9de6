"""Tests for node/review/model.py: the queue's table, roles, deadlines and action records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.model import (
    LOG,
    Decision,
    Duty,
    DutyKind,
    LegalProcess,
    Outcome,
    PolicyRequest,
    Purpose,
)
from stateline.node.review.model import (
    COUNSEL_DUTY,
    DEFAULT_WINDOW,
    MAX_REASON,
    OPEN,
    SYSTEM,
    TRANSITIONS,
    Action,
    CitedProcess,
    HeldItem,
    InvalidDecision,
    InvalidTransition,
    ItemChanged,
    NotPermitted,
    ReviewAction,
    Reviewer,
    ReviewState,
    Role,
    actions_for,
    allowed_roles,
    apply,
    clean_reason,
    escalation,
    held_item,
    resolution,
    transition,
    transitions_markdown,
)
from stateline.transport.base import Delivery
from stateline.wire.grammar import MKE, DataClass
from stateline.wire.messages import Header, Query

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
ICE = Agency(
    "DCICE0100", "ICE ERO", AgencyType.FE, "US", frozenset({Mission.IMMIGRATION_ENFORCEMENT})
)
QUERY = Query(Header(MKE.DQ, ICE.ori, ("NY",), "C1"), (("OLN", "123456789"),))
REQUESTED = frozenset({DataClass.IDENTITY, DataClass.ADDRESS, DataClass.PHOTO, DataClass.SSN})
REVIEWER = Reviewer("rita", Role.REVIEWER)
COUNSEL = Reviewer("carl", Role.COUNSEL)
ADMIN = Reviewer("ada", Role.ADMIN)


REQUEST = PolicyRequest(
    "NY",
    MKE.DQ,
    ICE,
    requested=REQUESTED,
    purpose=Purpose.CRIMINAL_INVESTIGATION,
    legal_process=LegalProcess.JUDICIAL_WARRANT,
    legal_process_covers=frozenset({DataClass.ADDRESS}),
)
DECISION = Decision(
    Outcome.REVIEW,
    frozenset(),
    withheld=REQUESTED,  # on review every requested class is withheld until a person decides
    policy_ids=("ny-review-federal",),
    reasons=("FEDERAL AGENCY",),
    held=REQUESTED - {DataClass.SSN},
)


def item(**changes: object) -> HeldItem:
    delivery = Delivery("m1", QUERY, ICE, "NYOLN0000")
    made = held_item(delivery, REQUEST, DECISION, received=NOW)
    return replace(made, **changes)  # type: ignore[arg-type]


def test_every_state_is_in_the_table_or_final() -> None:
    targets = {t.target for row in TRANSITIONS.values() for t in row.values()}
    assert set(TRANSITIONS) == OPEN
    assert set(TRANSITIONS) | targets == set(ReviewState)
    for final in set(ReviewState) - OPEN:
        assert final not in TRANSITIONS  # a decision is final


def test_held_item_from_a_delivery_and_decision() -> None:
    made = item()
    assert made.message_id == "m1"
    assert made.requester is ICE
    assert made.destination == "NYOLN0000"
    assert made.deadline == NOW + DEFAULT_WINDOW
    assert made.requested == REQUESTED
    assert made.under_review == REQUESTED - {DataClass.SSN}
    assert made.denied_by_policy == {DataClass.SSN}
    assert made.state is ReviewState.HELD
    assert made.duties == ("log",)
    assert not made.counsel_required
    assert made.purpose == "criminal-investigation"
    assert made.legal_process == CitedProcess(
        "judicial-warrant", covers=frozenset({DataClass.ADDRESS})
    )


def test_held_item_takes_the_counsel_duty_and_the_process_details() -> None:
    counsel = replace(DECISION, duties=(LOG, Duty(DutyKind.ESCALATE_COUNSEL), LOG))
    details = CitedProcess("judicial-warrant", number="24-MJ-1", judge="Hon. A. Judge")
    delivery = Delivery("m1", QUERY, ICE, "NYOLN0000")
    made = held_item(delivery, REQUEST, counsel, received=NOW, legal_process=details)
    assert made.duties == ("log", COUNSEL_DUTY)
    assert made.counsel_required
    assert made.legal_process is details
    bare = held_item(delivery, PolicyRequest("NY", MKE.DQ, ICE), DECISION, received=NOW)
    assert bare.legal_process is None
    assert bare.purpose == "unstated"


def test_anyone_decides_a_held_item_but_only_counsel_an_escalated_one() -> None:
    for who in (REVIEWER, COUNSEL, ADMIN):
        assert transition(item(), Action.APPROVE, who, NOW).target is ReviewState.APPROVED
    escalated = item(state=ReviewState.ESCALATED)
    assert actions_for(escalated, Role.REVIEWER) == ()
    assert actions_for(escalated, Role.ADMIN) == ()
    for action in (Action.APPROVE, Action.DENY):
        with pytest.raises(NotPermitted, match="only counsel"):
            transition(escalated, action, REVIEWER, NOW, reason="no")
    done = transition(escalated, Action.DENY, COUNSEL, NOW, reason="no judicial warrant")
    assert done.target is ReviewState.DENIED


def test_the_counsel_duty_makes_the_decision_counsels_alone() -> None:
    needs_counsel = item(duties=("log", COUNSEL_DUTY))
    assert needs_counsel.counsel_required
    assert actions_for(needs_counsel, Role.REVIEWER) == (Action.ESCALATE,)
    assert actions_for(needs_counsel, Role.ADMIN) == (Action.ESCALATE,)
    assert allowed_roles(needs_counsel, Action.APPROVE) == {Role.COUNSEL}
    with pytest.raises(NotPermitted):
        transition(needs_counsel, Action.APPROVE, REVIEWER, NOW)
    with pytest.raises(NotPermitted):
        transition(needs_counsel, Action.APPROVE_IN_PART, ADMIN, NOW, released={DataClass.ADDRESS})
    assert transition(needs_counsel, Action.APPROVE, COUNSEL, NOW).actor == "carl"
    referred = transition(needs_counsel, Action.ESCALATE, REVIEWER, NOW)
    assert referred.target is ReviewState.ESCALATED


def test_a_decided_item_takes_no_more_actions() -> None:
    for final in set(ReviewState) - OPEN:
        decided = item(state=final)
        assert actions_for(decided, Role.COUNSEL) == ()
        with pytest.raises(InvalidTransition):
            transition(decided, Action.APPROVE, COUNSEL, NOW)
    with pytest.raises(InvalidTransition):
        transition(item(state=ReviewState.ESCALATED), Action.ESCALATE, COUNSEL, NOW)


def test_approval_in_full_releases_every_reviewable_class() -> None:
    done = transition(item(), Action.APPROVE, REVIEWER, NOW, released=[DataClass.SSN])
    assert done.released == REQUESTED - {DataClass.SSN}  # never what the policy withheld


def test_approval_in_part() -> None:
    part = frozenset({DataClass.ADDRESS})
    done = transition(item(), Action.APPROVE_IN_PART, REVIEWER, NOW, released=part)
    assert done.target is ReviewState.PARTIALLY_APPROVED
    assert done.released == part
    with pytest.raises(InvalidDecision, match="at least one"):
        transition(item(), Action.APPROVE_IN_PART, REVIEWER, NOW)
    with pytest.raises(InvalidDecision, match="not under review: ssn"):
        transition(item(), Action.APPROVE_IN_PART, REVIEWER, NOW, released={DataClass.SSN})


def test_choosing_every_class_is_approval_in_full() -> None:
    everything = REQUESTED - {DataClass.SSN}
    done = transition(item(), Action.APPROVE_IN_PART, REVIEWER, NOW, released=everything)
    assert (done.action, done.target) == (Action.APPROVE, ReviewState.APPROVED)


def test_a_denial_needs_a_reason_and_releases_nothing() -> None:
    with pytest.raises(InvalidDecision, match="reason"):
        transition(item(), Action.DENY, REVIEWER, NOW, reason="  \n ")
    done = transition(
        item(), Action.DENY, REVIEWER, NOW, released=REQUESTED, reason="No warrant.\nNone."
    )
    assert done.released == frozenset()
    assert done.reason == "No warrant. None."
    with pytest.raises(InvalidDecision, match="longer"):
        transition(item(), Action.DENY, REVIEWER, NOW, reason="x" * (MAX_REASON + 1))


def test_clean_reason_keeps_one_plain_line() -> None:
    assert clean_reason("a\tb\r\n\x00c  d") == "a b c d"
    assert clean_reason(None) is None
    assert clean_reason(" ") is None


def test_deadline_escalates_never_releases() -> None:
    waiting = item()
    assert escalation(waiting, NOW + DEFAULT_WINDOW - timedelta(seconds=1)) is None
    assert not waiting.overdue(NOW)
    late = NOW + DEFAULT_WINDOW
    assert waiting.overdue(late)
    record = escalation(waiting, late)
    assert record is not None
    assert (record.action, record.target) == (Action.ESCALATE, ReviewState.ESCALATED)
    assert (record.actor, record.role, record.released) == (SYSTEM, None, frozenset())
    escalated = apply(waiting, record)
    assert escalation(escalated, late + timedelta(days=9)) is None  # escalated once
    assert escalated.overdue(late)  # still shown as overdue to counsel
    assert resolution(escalated) is None  # and nothing goes to the requester


def test_apply_and_resolution() -> None:
    part = frozenset({DataClass.ADDRESS, DataClass.IDENTITY})
    record = transition(item(), Action.APPROVE_IN_PART, REVIEWER, NOW, released=part)
    decided = apply(item(), record)
    assert (decided.state, decided.released, decided.decided_by) == (
        ReviewState.PARTIALLY_APPROVED,
        part,
        "rita",
    )
    outcome = resolution(decided)
    assert outcome is not None
    assert (outcome.message_id, outcome.requester, outcome.released) == ("m1", ICE.ori, part)
    assert not outcome.denied
    denied = apply(item(), transition(item(), Action.DENY, COUNSEL, NOW, reason="no warrant"))
    outcome = resolution(denied)
    assert outcome is not None and outcome.denied and outcome.denial_reason == "no warrant"
    assert resolution(item()) is None
    with pytest.raises(ItemChanged):
        apply(decided, record)  # the item has moved on since the action was made


def test_action_record_is_plain_values_for_the_ledger() -> None:
    record = transition(
        item(), Action.APPROVE_IN_PART, COUNSEL, NOW, released={DataClass.PHOTO, DataClass.ADDRESS}
    )
    assert isinstance(record, ReviewAction)
    assert record.to_dict() == {
        "message_id": "m1",
        "requester": "DCICE0100",
        "action": "approve-in-part",
        "from": "held",
        "to": "partially-approved",
        "actor": "carl",
        "role": "counsel",
        "at": "2026-03-02T14:30:00+00:00",
        "reason": None,
        "released": ["address", "photo"],
    }


def test_the_docs_carry_the_table_as_the_code_has_it() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "review.md").read_text()
    start = "<!-- transitions: generated from stateline.node.review.TRANSITIONS -->\n"
    _, _, rest = doc.partition(start)
    table, _, _ = rest.partition("<!-- end transitions -->")
    assert table == transitions_markdown()
