"""The review queue as a state machine: states, who may move an item, deadlines, action records.

Pure, in the manner of h11's ``_state.py``: the transitions are one dict table
(``TRANSITIONS``), every function takes the time as an argument, and nothing here reads a
database, a clock or a network. ``transition`` checks one reviewer's action against the table
and returns the ``ReviewAction`` record that the queue stores and the audit ledger appends;
``escalation`` is the node's own action when a held request passes its deadline (escalated,
never released); ``resolution`` says what the requester is owed once an item is decided.

Errors (all ``ReviewError``, none changes the item)::

    ReviewError
    ├── InvalidTransition   no such action from the item's state (e.g. already decided)
    ├── NotPermitted        the reviewer's role may not take it (counsel-only items)
    ├── InvalidDecision     a denial without a reason, classes that were not under review
    ├── ItemChanged         someone else moved the item first
    └── UnknownItem         no such item in the queue
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from stateline.directory.model import Agency

# An attached document travels with the delivery, so it is defined where every part may read it.
from stateline.documents import Document as Document
from stateline.documents import DocumentRef as DocumentRef
from stateline.node.policy.model import Decision, DutyKind, LegalProcess, PolicyRequest, Verdict
from stateline.transport.base import Delivery
from stateline.wire.grammar import DataClass
from stateline.wire.messages import Query


class ReviewState(StrEnum):
    """Where an item stands in the queue."""

    HELD = "held"
    ESCALATED = "escalated"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially-approved"
    DENIED = "denied"


class Role(StrEnum):
    """What a console account may do: review, decide as the state's counsel, administer, or
    only read (an auditor reads the console and its dashboard and acts on nothing)."""

    REVIEWER = "reviewer"
    COUNSEL = "counsel"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Action(StrEnum):
    """What a person (or the deadline) does to an item."""

    APPROVE = "approve"
    APPROVE_IN_PART = "approve-in-part"
    DENY = "deny"
    ESCALATE = "escalate"


SYSTEM = "system"
"""The actor of the node's own actions (escalation at the deadline); no account has this name."""

COUNSEL_DUTY = DutyKind.ESCALATE_COUNSEL.value
"""The duty (scenarios/FORMAT.md) that makes a request's decision counsel's alone."""

OPEN = frozenset({ReviewState.HELD, ReviewState.ESCALATED})
"""States of items still waiting for a decision."""

DECISIONS = frozenset({Action.APPROVE, Action.APPROVE_IN_PART, Action.DENY})
"""Actions that decide an item and owe the requester a late reply."""

MAX_REASON = 500
"""Longest reason a reviewer may give, in characters; it travels in the reply to the requester."""

DEFAULT_WINDOW = timedelta(hours=24)
"""How long a held request waits for a reviewer before it is escalated, unless the node says."""

READ_ONLY = frozenset({Role.AUDITOR})
"""Roles that read and never act: no review action, no step of a notice."""

EVERYONE = frozenset(Role) - READ_ONLY  # everyone who acts
COUNSEL = frozenset({Role.COUNSEL})


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: where an action leads and who may take it.

    ``counsel_duty_roles`` replaces ``roles`` when the item's decision carries the
    ``escalate-counsel`` duty. ``automatic`` marks the one transition the node takes itself
    when a held request passes its deadline.
    """

    target: ReviewState
    roles: frozenset[Role]
    counsel_duty_roles: frozenset[Role]
    automatic: bool = False


TRANSITIONS: dict[ReviewState, dict[Action, Transition]] = {
    ReviewState.HELD: {
        Action.APPROVE: Transition(ReviewState.APPROVED, EVERYONE, COUNSEL),
        Action.APPROVE_IN_PART: Transition(ReviewState.PARTIALLY_APPROVED, EVERYONE, COUNSEL),
        Action.DENY: Transition(ReviewState.DENIED, EVERYONE, COUNSEL),
        # Anyone may refer a request to counsel; the deadline does it too.
        Action.ESCALATE: Transition(ReviewState.ESCALATED, EVERYONE, EVERYONE, automatic=True),
    },
    ReviewState.ESCALATED: {
        Action.APPROVE: Transition(ReviewState.APPROVED, COUNSEL, COUNSEL),
        Action.APPROVE_IN_PART: Transition(ReviewState.PARTIALLY_APPROVED, COUNSEL, COUNSEL),
        Action.DENY: Transition(ReviewState.DENIED, COUNSEL, COUNSEL),
    },
}
"""Every allowed move. Decided states have no row: a decision is final."""


class ReviewError(Exception):
    """A review action that cannot be taken; the item is left as it was."""


class InvalidTransition(ReviewError):
    """The action does not exist from the item's current state."""


class NotPermitted(ReviewError):
    """The reviewer's role may not take this action on this item."""


class InvalidDecision(ReviewError):
    """The decision is incomplete or names classes that were not under review."""


class ItemChanged(ReviewError):
    """Someone else moved the item between reading it and deciding it."""


class UnknownItem(ReviewError):
    """No item with this message id is in the queue."""


@dataclass(frozen=True, slots=True)
class Reviewer:
    """A signed-in person: their account name and role."""

    username: str
    role: Role


@dataclass(frozen=True, slots=True)
class CitedProcess:
    """The legal process a request cites: its kind (``policy.model.LegalProcess``), number,
    court, judge and date, and the data classes it names (None: the whole request).
    """

    kind: str
    number: str | None = None
    court: str | None = None
    judge: str | None = None
    issued: date | None = None
    covers: frozenset[DataClass] | None = None


@dataclass(frozen=True, slots=True)
class HeldItem:
    """A held request: the query, who asked, what the policy decided, and where review stands.

    The query fields and the legal process carry personal data: the item lives only in the
    state node's own database.
    """

    message_id: str
    query: Query
    destination: str  # the node ORI the query was addressed to, which the reply comes from
    requester: Agency
    received: datetime
    deadline: datetime
    requested: frozenset[DataClass]
    under_review: frozenset[DataClass]  # the classes a reviewer may release
    policy_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    duties: tuple[str, ...] = ()
    purpose: str | None = None
    released_by_policy: frozenset[DataClass] = frozenset()  # released without review
    legal_process: CitedProcess | None = None
    document: DocumentRef | None = None
    state: ReviewState = ReviewState.HELD
    released: frozenset[DataClass] = frozenset()
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @property
    def denied_by_policy(self) -> frozenset[DataClass]:
        """Requested classes the policy denied outright: no reviewer can release them."""
        return self.requested - self.under_review - self.released_by_policy

    @property
    def counsel_required(self) -> bool:
        return COUNSEL_DUTY in self.duties

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def overdue(self, now: datetime) -> bool:
        """Still waiting at or past its deadline."""
        return self.open and now >= self.deadline


@dataclass(frozen=True, slots=True)
class ReviewAction:
    """One review action as the audit ledger records it: who, when, what, why.

    It names the requester by ORI and the classes by name, never a query field.
    ``(message_id, target)`` is unique, since an item never returns to a state.
    """

    message_id: str
    requester: str
    action: Action
    source: ReviewState
    target: ReviewState
    actor: str
    role: Role | None  # None for the node's own (SYSTEM) actions
    at: datetime
    reason: str | None = None
    released: frozenset[DataClass] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, classes sorted, time in ISO 8601."""
        return {
            "message_id": self.message_id,
            "requester": self.requester,
            "action": self.action.value,
            "from": self.source.value,
            "to": self.target.value,
            "actor": self.actor,
            "role": self.role.value if self.role is not None else None,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "released": sorted(c.value for c in self.released),
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the requester is owed once an item is decided: classes released, or why not."""

    message_id: str
    requester: str
    released: frozenset[DataClass] = frozenset()
    denial_reason: str | None = None

    @property
    def denied(self) -> bool:
        return self.denial_reason is not None


@dataclass(frozen=True, slots=True)
class RequesterHistory:
    """A requester's requests held by this node in a recent window, by where they stand."""

    ori: str
    days: int
    by_state: Mapping[ReviewState, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def held_item(
    delivery: Delivery,
    request: PolicyRequest,
    decision: Decision,
    *,
    received: datetime,
    deadline: datetime | None = None,
    legal_process: CitedProcess | None = None,
) -> HeldItem:
    """The queue item for a delivery whose policy decision was REVIEW.

    The classes under review are the decision's ``held`` ones; the duties are its duty names
    (``escalate-counsel`` makes the decision counsel's). ``legal_process`` gives the details
    the query carried (number, court, judge, date); without it the kind and the classes it
    covers come from the policy request. ``deadline`` defaults to ``received + DEFAULT_WINDOW``.
    """
    if legal_process is None and request.legal_process is not LegalProcess.NONE:
        legal_process = CitedProcess(
            request.legal_process.value, covers=request.legal_process_covers
        )
    return HeldItem(
        message_id=delivery.message_id,
        query=delivery.query,
        destination=delivery.destination,
        requester=delivery.requester,
        received=received,
        deadline=deadline if deadline is not None else received + DEFAULT_WINDOW,
        requested=request.requested,
        under_review=decision.held,
        released_by_policy=decision.released
        | {c.data_class for c in decision.classes if c.verdict is Verdict.RELEASE},
        policy_ids=decision.policy_ids,
        reasons=decision.reasons,
        duties=tuple(dict.fromkeys(duty.duty.value for duty in decision.duties)),
        purpose=request.purpose.value,
        legal_process=legal_process,
    )


def allowed_roles(item: HeldItem, action: Action) -> frozenset[Role]:
    """Who may take ``action`` on ``item`` now; empty when the action does not exist."""
    step = TRANSITIONS.get(item.state, {}).get(action)
    if step is None:
        return frozenset()
    return step.counsel_duty_roles if item.counsel_required else step.roles


def actions_for(item: HeldItem, role: Role) -> tuple[Action, ...]:
    """The actions ``role`` may take on ``item``, in the table's order."""
    return tuple(a for a in TRANSITIONS.get(item.state, {}) if role in allowed_roles(item, a))


_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]+")


def clean_reason(reason: str | None) -> str | None:
    """One line of plain text: control characters and runs of spaces become one space."""
    if reason is None:
        return None
    cleaned = " ".join(_CONTROL.sub(" ", reason).split())
    return cleaned or None


def transition(
    item: HeldItem,
    action: Action,
    reviewer: Reviewer,
    at: datetime,
    *,
    released: Iterable[DataClass] = (),
    reason: str | None = None,
) -> ReviewAction:
    """Check a reviewer's action on an item and return its record; raises ``ReviewError``.

    ``released`` matters only for APPROVE_IN_PART: a non-empty part of the classes
    under review. Choosing every one of them is approval in full and is recorded as such.
    """
    step = TRANSITIONS.get(item.state, {}).get(action)
    if step is None:
        raise InvalidTransition(f"cannot {action} a request that is {item.state}")
    if reviewer.role in READ_ONLY:
        raise NotPermitted(f"an {reviewer.role} reads requests and may not {action} one")
    if reviewer.role not in allowed_roles(item, action):
        who = "counsel" if allowed_roles(item, action) == COUNSEL else "this role"
        raise NotPermitted(f"only {who} may {action} this request")
    note = clean_reason(reason)
    if note is not None and len(note) > MAX_REASON:
        raise InvalidDecision(f"the reason is longer than {MAX_REASON} characters")
    chosen = frozenset(released)
    if action is Action.APPROVE:
        chosen = item.under_review
    elif action is Action.APPROVE_IN_PART:
        if not chosen:
            raise InvalidDecision("choose at least one data class to release")
        if not chosen <= item.under_review:
            extra = ", ".join(sorted(chosen - item.under_review))
            raise InvalidDecision(f"not under review: {extra}")
        if chosen == item.under_review:
            action, step = Action.APPROVE, TRANSITIONS[item.state][Action.APPROVE]
    else:
        chosen = frozenset()
        if action is Action.DENY and note is None:
            raise InvalidDecision("a denial needs a reason")
    return ReviewAction(
        message_id=item.message_id,
        requester=item.requester.ori,
        action=action,
        source=item.state,
        target=step.target,
        actor=reviewer.username,
        role=reviewer.role,
        at=at,
        reason=note,
        released=chosen,
    )


def escalation(item: HeldItem, now: datetime) -> ReviewAction | None:
    """The node's own escalation of a held request at or past its deadline, else None."""
    if item.state is not ReviewState.HELD or now < item.deadline:
        return None
    return ReviewAction(
        message_id=item.message_id,
        requester=item.requester.ori,
        action=Action.ESCALATE,
        source=item.state,
        target=TRANSITIONS[item.state][Action.ESCALATE].target,
        actor=SYSTEM,
        role=None,
        at=now,
        reason="REVIEW DEADLINE PASSED",
    )


def apply(item: HeldItem, action: ReviewAction) -> HeldItem:
    """The item after ``action`` (which ``transition`` or ``escalation`` made for it)."""
    if action.message_id != item.message_id or action.source is not item.state:
        raise ItemChanged(f"the request is now {item.state}")
    if action.action not in DECISIONS:
        return replace(item, state=action.target)
    return replace(
        item,
        state=action.target,
        released=action.released,
        decided_by=action.actor,
        decided_at=action.at,
        decision_reason=action.reason,
    )


def resolution(item: HeldItem) -> Resolution | None:
    """What the requester gets for a decided item; None while it is still open."""
    if item.state is ReviewState.DENIED:
        reason = item.decision_reason or "DENIED ON REVIEW"
        return Resolution(item.message_id, item.requester.ori, denial_reason=reason)
    if item.state in (ReviewState.APPROVED, ReviewState.PARTIALLY_APPROVED):
        return Resolution(item.message_id, item.requester.ori, released=item.released)
    return None


def transitions_markdown() -> str:
    """The transition table as a Markdown table; docs/review.md carries it, a test compares."""

    def who(roles: frozenset[Role], automatic: bool) -> str:
        names = ", ".join(role.value for role in Role if role in roles)
        return f"{names}; the node at the deadline" if automatic else names

    lines = [
        "| from | action | to | who may | who may, when the decision carries `escalate-counsel` |",
        "|---|---|---|---|---|",
    ]
    for source, row in TRANSITIONS.items():
        for action, step in row.items():
            lines.append(
                f"| {source} | {action} | {step.target} | {who(step.roles, step.automatic)} "
                f"| {who(step.counsel_duty_roles, step.automatic)} |"
            )
    return "\n".join(lines) + "\n"
