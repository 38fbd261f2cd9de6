"""A state node's service: decide, search, redact, audit, answer; no record is read before policy.

Principles 1 to 5 of PRODUCT.md meet here: the state's policy decides first; a policy error is a
denial; the answer's ledger entries (request, decision, disclosure) are durable before it
leaves; denied and held requests are entries too; only released data classes are answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from stateline.clock import utc_now
from stateline.errors import StorageError
from stateline.ledger.entries import answer_digest
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.group import GroupCommit
from stateline.ledger.log import Ledger
from stateline.ledger.read import read_once
from stateline.node.audit import query_subjects, request_entries
from stateline.node.deliveries import DeliveryStore, Kept, disclosed, stale
from stateline.node.lookup import Found, find, reply
from stateline.node.notices.model import Notice
from stateline.node.notices.owed import NodeNotices
from stateline.node.policy.missing import missing_notes
from stateline.node.policy.model import Decision, Outcome, Policy, PolicyRequest
from stateline.node.query import cited_process, policy_request
from stateline.node.records.ports import RecordStore
from stateline.node.redact import redact
from stateline.node.review.model import held_item
from stateline.node.review.service import ReviewService
from stateline.transport.base import Delivery, NodeUnavailable
from stateline.wire import text
from stateline.wire.grammar import NOT_ON_FILE
from stateline.wire.messages import Response

log = logging.getLogger(__name__)

PURGE_EVERY = 1000
"""Kept answers between two removals of those past :data:`~stateline.node.deliveries.KEEP`."""


class StateNode:
    """A state's node: its policy, its records, its ledger, and the answers it sends."""

    def __init__(
        self,
        state: str,
        records: RecordStore,
        policy: Policy,
        ledger: Ledger,
        subject_secret: bytes,
        clock: Callable[[], datetime] = utc_now,
        commits: GroupCommit | None = None,
        *,
        review: ReviewService | None = None,
        notices: NodeNotices | None = None,
        deliveries: DeliveryStore | None = None,
    ) -> None:
        self.state = state
        self.records = records
        self.policy = policy
        self.ledger = ledger
        self.subject_secret = subject_secret
        self.clock = clock
        self.review = review  # None: no queue, and what the policy would hold is denied
        self.notices = notices  # None: no outbox, and no notice is owed
        # None: each delivery comes once (in-process); else one that comes again is answered
        # as before, never decided twice (docs in node/deliveries.py).
        self.deliveries = deliveries
        self._kept = 0
        self.commits = commits or GroupCommit()

    async def handle(self, delivery: Delivery) -> Response:
        if self.deliveries is not None:
            again = self.answered_before(delivery)
            if again is not None:
                return again
        at = self.clock()
        query = delivery.query
        request = policy_request(self.state, delivery, at.date())
        decision = self.decide(request)
        found: Found = []
        if decision.outcome in (Outcome.RELEASE, Outcome.WITHHOLD):
            found = find(self.records, query)
        try:
            notices = self.owe_notices(delivery, request, decision, found, at)
        except StorageError as error:
            # A notice the law asks for that cannot be kept: disclose nothing (fail closed).
            log.error(
                "notices of %s unavailable: message %s not answered",
                self.state,
                delivery.message_id,
            )
            raise NodeUnavailable(f"{delivery.destination}: notices unavailable") from error
        if decision.outcome is Outcome.DENY:
            lacking = self.missing(request, decision)
            response = reply(delivery, (), ("REQUEST DENIED", *decision.reasons, *lacking))
        elif decision.outcome is Outcome.REVIEW:
            response = self.hold(delivery, request, decision, at)
        else:
            records = tuple(redact(fields, decision.released) for _, fields in found)
            notes: tuple[str, ...] = () if records else (NOT_ON_FILE,)
            if records and decision.withheld:
                withheld = ", ".join(sorted(c.upper() for c in decision.withheld))
                lacking = self.missing(request, decision)
                notes = (f"WITHHELD BY {self.state} POLICY: {withheld}", *lacking)
            response = reply(delivery, records, notes)
        self.keep(delivery, response, at)
        if not await self.audit(delivery, decision, found, response, at, notices):
            # No answer at all, rather than one that says so: whatever answers a query is a
            # disclosure the ledger must hold. The hub tells the requester the state is down.
            raise NodeUnavailable(f"{delivery.destination}: audit ledger unavailable")
        if self.deliveries is not None:
            self.deliveries.sent(self.state, delivery.message_id)
        return response

    def answered_before(self, delivery: Delivery) -> Response | None:
        """The answer to a delivery that came before, if it must be the answer again; None if
        the query is to be decided (first time, or nothing was disclosed the time before)."""
        assert self.deliveries is not None
        try:
            kept = self.deliveries.get(self.state, delivery.message_id)
        except StorageError as error:
            raise NodeUnavailable(f"{delivery.destination}: deliveries unavailable") from error
        if kept is None:
            return None
        answer = text.parse(kept.reply)
        if not isinstance(answer, Response):  # a node only ever keeps its own responses
            raise NodeUnavailable(f"{delivery.destination}: a kept answer cannot be read")
        if kept.sent:
            return answer
        # The node stopped between keeping the answer and marking it sent: the ledger says
        # whether it was disclosed. Read the journal first, then the tree, from where it was.
        digest = answer_digest(kept.reply.encode())
        reading = read_once(
            self.ledger.store, self.ledger.committer.journal, self.ledger.origin, kept.ledger_from
        )
        bodies = (body for _index, body in reading.entries())
        if disclosed(bodies, self.state, delivery.message_id, digest):
            self.deliveries.sent(self.state, delivery.message_id)
            return answer
        return None

    def keep(self, delivery: Delivery, response: Response, at: datetime) -> None:
        """Keep the answer before its ledger entries are written (with deliveries to keep)."""
        if self.deliveries is None:
            return
        kept = Kept(self.state, delivery.message_id, text.encode(response), self.ledger.size, at)
        try:
            self.deliveries.keep(kept)
            self._kept += 1
            if self._kept % PURGE_EVERY == 0:
                self.deliveries.purge(stale(at))
        except StorageError as error:
            # Without the kept answer a delivery that came again could be decided twice.
            raise NodeUnavailable(f"{delivery.destination}: deliveries unavailable") from error

    def owe_notices(
        self,
        delivery: Delivery,
        request: PolicyRequest,
        decision: Decision,
        found: Found,
        at: datetime,
    ) -> list[Notice]:
        """The notices the decision's duties ask for, kept in the outbox (none without one)."""
        if self.notices is None:
            return []
        queued = self.review is not None
        return self.notices.owed(delivery, request, decision, found, at, queued=queued)

    def hold(
        self, delivery: Delivery, request: PolicyRequest, decision: Decision, at: datetime
    ) -> Response:
        """Put the request in the review queue; the requester hears at once that it is held."""
        if self.review is None:
            # No queue to hold it in: deny rather than release (fail closed).
            return reply(delivery, (), ("REQUEST DENIED", "NO REVIEW QUEUE"))
        cited = cited_process(delivery.query)
        item = held_item(delivery, request, decision, received=at, legal_process=cited)
        # A delivery that comes again may find its request held already; one that comes once
        # (no kept answers) cannot, and costs no read.
        if self.deliveries is None or self.review.store.get(delivery.message_id) is None:
            self.review.hold(item, delivery.document)
        return reply(delivery, (), (f"REQUEST HELD FOR REVIEW BY {self.state}",))

    def decide(self, request: PolicyRequest) -> Decision:
        """Run the policy; any error inside it is a denial (fail closed)."""
        try:
            return self.policy.decide(request)
        except Exception:
            log.exception("policy error in %s: request denied", self.state)
            return Decision.deny("POLICY ERROR")

    def missing(self, request: PolicyRequest, decision: Decision) -> list[str]:
        """The note lines saying what the request lacks for what the policy denied, as the
        policy itself tells; none if that cannot be worked out (the denial stands)."""
        try:
            return missing_notes(self.policy, request, decision)
        except Exception:
            log.exception("what a request to %s lacks could not be told", self.state)
            return []

    async def audit(
        self,
        delivery: Delivery,
        decision: Decision,
        found: Found,
        response: Response,
        at: datetime,
        notices: list[Notice] | None = None,
    ) -> bool:
        """Write the answer's entries, and those of the notices it owes, and wait until they
        are durable; False if they are not."""
        entries = request_entries(
            at=at,
            message_id=delivery.message_id,
            state=self.state,
            query=delivery.query,
            requester=delivery.query.header.ori,
            decision=decision,
            subjects=query_subjects(self.subject_secret, self.state, delivery.query),
            found=[person for person, _ in found],
            records=response.records,
            answer=text.encode(response).encode(),
            secret=self.subject_secret,
            document=delivery.document,
        )
        if notices and self.notices is not None:
            entries += self.notices.entries(notices)
        try:
            await self.commits.append(self.ledger, entries)
        except LedgerUnavailable:
            # Fail closed: without durable entries nothing is disclosed (principle 3).
            log.error(
                "ledger of %s unavailable: message %s not answered", self.state, delivery.message_id
            )
            return False
        if notices and self.notices is not None:
            try:
                self.notices.logged(notices)
            except StorageError:
                # The entries are durable; the outbox appends them again at start-up, and a
                # notice's (id, event) tells a repeat apart.
                log.error(
                    "notices of %s: message %s not marked logged", self.state, delivery.message_id
                )
        return True
