"""How a node serves its review queue: re-reading released records and auditing late answers.

The review service (``review_service``) decides held requests; this module gives it the node's
side: the records lookup for an approved item, the review action's ledger entry, and the sink
that brings the request's notices up to date with the decision, then writes the late answer's
disclosure entry, durably, before handing the answer on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stateline.ledger import entries
from stateline.node.audit import carried_classes, person_subjects, query_subjects
from stateline.node.records.model import Person
from stateline.node.redact import redact
from stateline.node.review import model as review
from stateline.node.review.service import LateReplies
from stateline.transport.base import Delivery
from stateline.wire import text
from stateline.wire.grammar import NOT_ON_FILE, DataClass
from stateline.wire.messages import Reply, Response

if TYPE_CHECKING:
    from stateline.node.service import StateNode


class NodeReview:
    """The node's hooks for its review service."""

    def __init__(self, node: StateNode, replies: LateReplies) -> None:
        self.node = node
        self.replies = replies
        self._found: dict[str, list[Person]] = {}

    def records(self, item: review.HeldItem, approved: frozenset[DataClass]) -> Response:
        """The answer to an approved item: the classes the policy released and those approved."""
        delivery = Delivery(item.message_id, item.query, item.requester, item.destination)
        released = item.released_by_policy | (approved & item.under_review)
        found = self.node.search(item.query)
        # ``deliver`` names these people in the disclosure entry; keep them rather than search
        # a second time.
        self._found[item.message_id] = [person for person, _ in found]
        kept = tuple(redact(fields, released) for _, fields in found)
        return self.node.answer(delivery, kept, () if kept else (NOT_ON_FILE,))

    def audit(self, action: review.ReviewAction) -> None:
        """A review action is a ledger entry, durable before the service goes on."""
        node = self.node
        written: list[entries.Entry] = [
            entries.ReviewAction(
                action=action.action.value,
                at=action.at,
                message_id=action.message_id,
                outcome=action.target.value,
                reason=action.reason,
                reviewer=action.actor,
                state=node.state,
            )
        ]
        # The abuse alerts read a reviewer's denial (a denied request asked again).
        node.commits.observed(written, node.ledger.append(written))

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
        """Bring the notices up to date and record the late answer's disclosure, then hand it
        to the hub (audit first)."""
        node = self.node
        records = reply.records if isinstance(reply, Response) else ()
        found = self._found.pop(message_id, [])
        if node.notices is not None:
            # The letters owed on a held request say what the decision released, before it
            # leaves; a letter already sent is not changed.
            node.notices.decided(message_id, found, records)
        subjects: tuple[str, ...] = ()
        if isinstance(reply, Response):
            item = node.review.get(message_id) if node.review is not None else None
            if item is not None:
                subjects = query_subjects(node.subject_secret, node.state, item.query)
        if records:
            subjects += person_subjects(node.subject_secret, node.state, found)
        node.ledger.append(
            [
                entries.Disclosure(
                    answer_sha256=entries.answer_digest(text.encode(reply).encode()),
                    at=node.clock(),
                    data_classes=carried_classes(records),
                    message_id=message_id,
                    recipient=requester,
                    state=node.state,
                    subjects=tuple(dict.fromkeys(subjects)),
                )
            ]
        )
        self.replies.deliver(message_id, requester, reply)
