"""How a node serves its review queue: re-reading released records and auditing late answers.

The review service (``review.service``) decides held requests; this module gives it the node's
side: the records lookup for an approved item, the review action's ledger entry, and the sink
that brings the request's notices up to date with the decision, then writes the late answer's
disclosure entry, durably, before handing the answer on. It is handed what it uses of the node
(its records, ledger, notices and held items), not the node.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from stateline.clock import utc_now
from stateline.ledger import entries
from stateline.ledger.group import GroupCommit
from stateline.ledger.log import Ledger
from stateline.node.audit import carried_classes, person_subjects, query_subjects
from stateline.node.lookup import find, reply
from stateline.node.notices.owed import NodeNotices
from stateline.node.records.model import Person
from stateline.node.records.ports import RecordStore
from stateline.node.redact import redact
from stateline.node.review import model as review
from stateline.node.review.service import LateReplies
from stateline.transport.base import Delivery
from stateline.wire import text
from stateline.wire.grammar import NOT_ON_FILE, DataClass
from stateline.wire.messages import Reply, Response

Held = Callable[[str], review.HeldItem | None]
"""A held item by message id (the review store's ``get``)."""


class NodeReview:
    """The node's hooks for its review service."""

    def __init__(
        self,
        state: str,
        subject_secret: bytes,
        records: RecordStore,
        ledger: Ledger,
        held: Held,
        replies: LateReplies,
        *,
        notices: NodeNotices | None = None,
        commits: GroupCommit | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.state = state
        self.subject_secret = subject_secret
        self._records = records
        self.ledger = ledger
        self.held = held
        self.replies = replies
        self.notices = notices
        self.commits = commits or GroupCommit()
        self.clock = clock
        self._found: dict[str, list[Person]] = {}

    def records(self, item: review.HeldItem, approved: frozenset[DataClass]) -> Response:
        """The answer to an approved item: the classes the policy released and those approved."""
        delivery = Delivery(item.message_id, item.query, item.requester, item.destination)
        released = item.released_by_policy | (approved & item.under_review)
        found = find(self._records, item.query)
        # ``deliver`` names these people in the disclosure entry; keep them rather than search
        # a second time.
        self._found[item.message_id] = [person for person, _ in found]
        kept = tuple(redact(fields, released) for _, fields in found)
        return reply(delivery, kept, () if kept else (NOT_ON_FILE,))

    def audit(self, action: review.ReviewAction) -> None:
        """A review action is a ledger entry, durable before the service goes on."""
        written: list[entries.Entry] = [
            entries.ReviewAction(
                action=action.action.value,
                at=action.at,
                message_id=action.message_id,
                outcome=action.target.value,
                reason=action.reason,
                reviewer=action.actor,
                state=self.state,
            )
        ]
        # The abuse alerts read a reviewer's denial (a denied request asked again).
        self.commits.observed(written, self.ledger.append(written))

    def deliver(self, message_id: str, requester: str, answer: Reply) -> None:
        """Bring the notices up to date and record the late answer's disclosure, then hand it
        to the hub (audit first)."""
        records = answer.records if isinstance(answer, Response) else ()
        found = self._found.pop(message_id, [])
        if self.notices is not None:
            # The letters owed on a held request say what the decision released, before it
            # leaves; a letter already sent is not changed.
            self.notices.decided(message_id, found, records)
        subjects: tuple[str, ...] = ()
        if isinstance(answer, Response):
            item = self.held(message_id)
            if item is not None:
                subjects = query_subjects(self.subject_secret, self.state, item.query)
        if records:
            subjects += person_subjects(self.subject_secret, self.state, found)
        self.ledger.append(
            [
                entries.Disclosure(
                    answer_sha256=entries.answer_digest(text.encode(answer).encode()),
                    at=self.clock(),
                    data_classes=carried_classes(records),
                    message_id=message_id,
                    recipient=requester,
                    state=self.state,
                    subjects=tuple(dict.fromkeys(subjects)),
                )
            ]
        )
        self.replies.deliver(message_id, requester, answer)
