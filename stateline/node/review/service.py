"""The review service: holds requests, takes reviewers' decisions, audits them, sends late replies.

Order of work for a decision, so that nothing is disclosed before it is recorded:

1. ``node.review.transition`` checks the action (state, role, reason, classes);
2. the queue stores the move and its action record in one transaction (compare-and-set);
3. the audit callable takes the action (the node connects it to the ledger);
4. for an approval, the records lookup re-runs the search for the released classes only;
5. the late reply goes to the requester through ``LateReplies``.

If step 3, 4 or 5 fails the decision stands and is not lost: ``resume`` finishes every action
not yet audited and every decided item not yet answered, in order, and never releases anything
that was not approved. Nothing is ever released on a deadline: an overdue request is escalated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from stateline.clock import utc_now
from stateline.node.redact import redact
from stateline.node.review.model import (
    Action,
    Document,
    HeldItem,
    RequesterHistory,
    Resolution,
    ReviewAction,
    Reviewer,
    ReviewState,
    UnknownItem,
    escalation,
    resolution,
    transition,
)
from stateline.node.review.ports import ReviewStore
from stateline.wire.grammar import RESPONSE_TO, DataClass
from stateline.wire.messages import Header, Reply, Response

log = logging.getLogger(__name__)

RecordsLookup = Callable[[HeldItem, frozenset[DataClass]], Response]
"""Re-runs a held item's search and answers with only the given classes (supplied by the node)."""

Audit = Callable[[ReviewAction], None]
"""Takes a review action for the audit ledger; returns only once it is durable."""

Denial = Callable[[HeldItem, str], Reply]
"""Builds the late reply that tells a requester its request was denied on review."""


class LateReplies(Protocol):
    """Where late replies go: the hub's mailbox for the requester (``Exchange.deliver``)."""

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None: ...


class Relay:
    """Late replies handed on to where they go, once connected: the hub's exchange, which is
    built after the nodes it routes to. One that comes before has nowhere to go and raises;
    the decision stands, and ``ReviewService.resume`` sends it again."""

    def __init__(self) -> None:
        self._to: LateReplies | None = None

    def connect(self, to: LateReplies) -> None:
        self._to = to

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
        if self._to is None:
            raise RuntimeError("late replies have nowhere to go: the hub is not connected")
        self._to.deliver(message_id, requester, reply)


def denial_reply(item: HeldItem, reason: str) -> Response:
    """A DR, RR or KR with no record and the denial in its notes, as the node answers a denial.

    Text lines are upper case like every other note on the wire; ``reason`` is one line already.
    """
    state = item.destination[:2]
    return Response(
        _reply_header(item),
        (),
        (f"REQUEST DENIED ON REVIEW BY {state}", f"REASON: {reason.upper()}"),
    )


def _reply_header(item: HeldItem) -> Header:
    header = item.query.header
    return Header(RESPONSE_TO[header.mke], item.destination, (header.ori,), header.control)


class ReviewService:
    """The review queue's service layer, called by the node (hold) and the console (decide)."""

    def __init__(
        self,
        store: ReviewStore,
        records: RecordsLookup,
        replies: LateReplies,
        audit: Audit,
        *,
        clock: Callable[[], datetime] = utc_now,
        denial: Denial = denial_reply,
    ) -> None:
        self.store = store
        self.records = records
        self.replies = replies
        self.audit = audit
        self.clock = clock
        self.denial = denial

    def hold(self, item: HeldItem, document: Document | None = None) -> HeldItem:
        """Queue a held request (the node has already answered that it is held)."""
        stored = self.store.hold(item, document)
        log.info("review: message %s held until %s", item.message_id, item.deadline.isoformat())
        return stored

    def queue(self) -> list[HeldItem]:
        """Items still waiting, oldest first, after escalating any that passed their deadline."""
        self.escalate_overdue()
        return self.store.list(ReviewState.HELD, ReviewState.ESCALATED)

    def get(self, message_id: str) -> HeldItem:
        item = self.store.get(message_id)
        if item is None:
            raise UnknownItem(f"no held request {message_id}")
        return item

    def document(self, message_id: str) -> Document | None:
        return self.store.document(message_id)

    def actions(self, message_id: str) -> list[ReviewAction]:
        return self.store.actions(message_id)

    def history(self, requester: str) -> RequesterHistory:
        return self.store.history(requester, self.clock())

    def decide(
        self,
        message_id: str,
        reviewer: Reviewer,
        action: Action,
        *,
        released: Iterable[DataClass] = (),
        reason: str | None = None,
    ) -> HeldItem:
        """Take a reviewer's action; a decision sends the requester its late reply.

        Raises ``ReviewError`` (nothing changed) for an action the table or the role does not
        allow, ``StorageError`` when the queue cannot be written, and whatever the audit, the
        records lookup or the reply sink raise after the decision is stored (``resume`` then
        finishes it).
        """
        item = self.get(message_id)
        record = transition(item, action, reviewer, self.clock(), released=released, reason=reason)
        updated = self.store.apply(record)
        log.info("review: message %s %s by %s", message_id, record.target, reviewer.username)
        self._audit(record)
        self._reply(updated)
        return updated

    def escalate_overdue(self) -> list[HeldItem]:
        """Escalate every held request past its deadline; returns them as escalated."""
        now = self.clock()
        escalated = []
        for item in self.store.overdue(now):
            record = escalation(item, now)
            if record is None:
                continue
            updated = self.store.apply(record)
            log.info("review: message %s escalated at its deadline", item.message_id)
            self._audit(record)
            escalated.append(updated)
        return escalated

    def resume(self) -> int:
        """Finish decisions interrupted after they were stored: audit, then reply.

        Returns how many steps were finished. Call it at start-up and after a failure.
        """
        done = 0
        for record in self.store.unaudited():
            self._audit(record)
            done += 1
        for item in self.store.unreplied():
            self._reply(item)
            done += 1
        return done

    def _audit(self, record: ReviewAction) -> None:
        self.audit(record)
        self.store.mark_audited(record, self.clock())

    def _reply(self, item: HeldItem) -> None:
        outcome = resolution(item)
        if outcome is None:
            return
        self.replies.deliver(outcome.message_id, outcome.requester, self.reply_for(item, outcome))
        self.store.mark_replied(item.message_id, self.clock())

    def reply_for(self, item: HeldItem, outcome: Resolution) -> Reply:
        """The late reply for a decided item: the approved classes with those the policy
        released without review, or the denial."""
        if outcome.denial_reason is not None:
            return self.denial(item, outcome.denial_reason)
        found = self.records(item, outcome.released)
        # Least data even if the lookup let more through: only what the reviewer approved and
        # what the policy had released without review ever leaves.
        kept = outcome.released | item.released_by_policy
        records = tuple(redact(record, kept) for record in found.records)
        return Response(_reply_header(item), records, found.text)
