"""How a node meets the notice duties of its decisions: whom to write to, under which clause.

The node calls ``owed`` for every answer, before the answer's ledger entries are written; it
returns at once unless the decision carries a ``notify-subject`` duty. The letters go to the
people the answer carried or, when nothing was released (a denial, a held request), to the
people the query would have found: the node then reads its records only to address the
letter, and nothing read leaves the node. When a reviewer later decides a held request, its
letters still waiting are rewritten to say what was released (``decided``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from stateline.ledger.entries import Entry, subject_key
from stateline.node.lookup import find
from stateline.node.notices.letters import state_name
from stateline.node.notices.model import (
    Disclosed,
    Notice,
    binding_duty,
    citation,
    make_notices,
    recipients,
)
from stateline.node.notices.service import Outbox
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.model import Decision, Duty, Outcome, Policy, PolicyRequest
from stateline.node.records.model import Person
from stateline.node.records.ports import RecordStore
from stateline.node.redact import redact, released_classes
from stateline.transport.base import Delivery
from stateline.wire.grammar import DataClass
from stateline.wire.messages import Fields

ANSWERED = frozenset({Outcome.RELEASE, Outcome.WITHHOLD})


class NodeNotices:
    """The node's side of its notices outbox: what it needs of the node, handed in."""

    def __init__(
        self,
        state: str,
        subject_secret: bytes,
        policy: Policy,
        records: RecordStore,
        outbox: Outbox,
    ) -> None:
        self.state = state
        self.subject_secret = subject_secret
        self.policy = policy
        self.records = records
        self.outbox = outbox

    def owed(
        self,
        delivery: Delivery,
        request: PolicyRequest,
        decision: Decision,
        found: Sequence[tuple[Person, Fields]],
        at: datetime,
        *,
        queued: bool,
    ) -> list[Notice]:
        """Keep the notices the decision's duties ask for; their ``created`` entries are to be
        appended with the answer's (``entries``), then confirmed (``logged``). ``queued``: the
        node has a review queue to hold a request in (without one, it denies)."""
        duty = binding_duty(decision.duties, at, self.state)
        if duty is None:
            return []
        if decision.outcome in ANSWERED:
            people = [(p, released_classes(redact(f, decision.released))) for p, f in found]
            disclosed = Disclosed.RELEASED
        else:
            people = [(p, frozenset[DataClass]()) for p, _ in find(self.records, delivery.query)]
            # A node without a review queue denies what its policy would hold.
            review = decision.outcome is Outcome.REVIEW and queued
            disclosed = Disclosed.UNDER_REVIEW if review else Disclosed.DENIED
        made = make_notices(
            duty=duty,
            state=self.state,
            message_id=delivery.message_id,
            requester=delivery.requester,
            received=at,
            created=at,
            people=recipients(self.subject_secret, self.state, people),
            disclosed=disclosed,
            requested=request.requested,
            statute=self.statute(duty),
            delay_requested=request.notice_delay_requested,
        )
        return self.outbox.keep(made)

    def entries(self, kept: Sequence[Notice]) -> list[Entry]:
        return self.outbox.created_entries(kept)

    def logged(self, kept: Sequence[Notice]) -> None:
        self.outbox.logged(kept)

    def decided(
        self, message_id: str, people: Sequence[Person], records: Sequence[Fields]
    ) -> list[Notice]:
        """A held request's late answer is about to leave: its letters say what it carries.

        ``records`` are the answer's records, one per person in ``people`` in the same order;
        none for a denial.
        """
        released: dict[str, frozenset[DataClass]] = {}
        for person, record in zip(people, records, strict=False):
            key = subject_key(self.subject_secret, self.state, oln=person.oln)
            released[key] = released.get(key, frozenset()) | released_classes(record)
        return self.outbox.decided(message_id, released)

    def statute(self, duty: Duty) -> str:
        """The clause the duty's policy cites, with its bundle's title: what the letter names."""
        policy = self.policy
        state = state_name(self.state)
        if isinstance(policy, CedarPolicy) and duty.policy_id is not None:
            bundle = policy.bundle
            for source in bundle.policies:
                clause = citation(source.comment) if source.policy_id == duty.policy_id else None
                if clause is not None:
                    law = bundle.title.removeprefix(f"{state}: ")
                    return f"{clause} ({law})"
        return f"the law of {state}"
