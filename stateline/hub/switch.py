"""The switch: the hub's shell. It authenticates, parses, routes, delivers, merges and stamps.

Every input gets replies, never an exception: a refused sender or a malformed message gets an ER
from ``NL0000000`` with its numbered reason; a destination that cannot serve the key, or is down,
gets an SM. Time and ids come from outside so that tests can fix them.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from stateline.clock import utc_now
from stateline.directory.checks import SenderRefusal, check_sender
from stateline.directory.credentials import hash_token
from stateline.directory.model import Agency
from stateline.documents import Document
from stateline.hub.attachments import Attachments, DocumentRefusal, Receipt
from stateline.hub.merge import merge, status
from stateline.hub.routing import Route, RoutePlan, plan_route
from stateline.ledger.entries import answer_digest
from stateline.transport.base import Delivery, NodeUnavailable, Transport
from stateline.wire import jsonform, text
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import MAX_MESSAGE, MKE, TEMPORARILY_UNAVAILABLE
from stateline.wire.messages import (
    AdminMessage,
    Header,
    Message,
    OutputHeader,
    Query,
    Reply,
    StatusMessage,
)

log = logging.getLogger(__name__)

DEFAULT_DEADLINE = 60.0
"""Seconds a multi-state query waits for answers (NLETS-FORMAT.md, "Replies")."""


class Form(StrEnum):
    """The encoding a message arrives in; replies go back in the same one."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class Submission:
    """One accepted or refused input and the replies it got, each stamped with its output header.

    ``sender`` is the authenticated ORI, or None when the sender was refused before it was
    known. ``mailboxes`` are the agencies an AM was left for. ``answered`` names each state
    whose node answered in time, with the SHA-256 of its answer's bytes (what the node's
    ledger records of it).
    """

    id: str
    sender: str | None
    mke: MKE | None
    accepted: bool
    received: datetime
    replies: tuple[Reply, ...]
    destinations: tuple[str, ...] = ()
    mailboxes: tuple[str, ...] = ()
    forwarded: AdminMessage | None = None
    answered: tuple[tuple[str, str], ...] = ()
    replayed: bool = False  # the first answer to a retry, not a new one


Late = Callable[[str, str, Reply], None]
"""Takes a node's answer that came after the deadline: ``late(message_id, state, reply)``."""

Seen = Callable[[str, str | None], Awaitable["Submission | None"]]
"""Asked once a sender may send, before anything is routed: ``seen(sender, control)`` gives
the submission this input repeats (a retry), or None to go on."""


class Directory:
    """The switch's in-memory view of the directory: agencies by ORI, credential hashes to ORIs."""

    def __init__(self, agencies: Mapping[str, Agency], credentials: Mapping[str, str]) -> None:
        self.agencies = dict(agencies)
        self.credentials = dict(credentials)

    def ori_for(self, token: str | None) -> str | None:
        if token is None:
            return None
        return self.credentials.get(hash_token(token))


def message_ids() -> Callable[[], str]:
    """Unique message ids: a random 64-bit prefix per switch, then a counter.

    Drawing randomness for every message would make a system call per message, and with the
    ledger's writer thread about, every system call is a chance to lose the GIL for a while.
    """
    prefix = uuid.uuid4().hex[:16]
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter):016x}"


def to_minute(moment: datetime) -> datetime:
    """The output header carries times to the minute (NLETS-FORMAT.md, "Replies")."""
    return moment.replace(second=0, microsecond=0)


class Switch:
    """Authenticates senders and routes their messages to the states' nodes."""

    def __init__(
        self,
        directory: Directory,
        transports: Mapping[str, Transport],
        *,
        deadline: float = DEFAULT_DEADLINE,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] | None = None,
        attachments: Attachments | None = None,
    ) -> None:
        self.directory = directory
        self.transports = dict(transports)
        self.nodes = frozenset(self.transports)
        self.deadline = deadline
        self.clock = clock
        self.new_id = new_id or message_ids()
        self.attachments = attachments or Attachments()
        self.late: Late | None = None  # where answers past the deadline go (the mailbox)
        self.counters: Counter[str] = Counter()
        self._input_seq: Counter[str] = Counter()
        self._output_seq: Counter[str] = Counter()

    async def submit(
        self, raw: str, token: str | None, form: Form = Form.TEXT, seen: Seen | None = None
    ) -> Submission:
        """Take one input from an agency holding ``token`` and return every reply it gets (or,
        where ``seen`` knows it as a retry, what the first one got)."""
        received = self.clock()
        message_id = self.new_id()
        credential_ori = self.directory.ori_for(token)
        if token is None or credential_ori is None:
            reason = ErReason.NO_CREDENTIAL if token is None else ErReason.CREDENTIAL_MISMATCH
            return self._refuse(message_id, received, Rejection.of(reason, raw), None)

        message = self._parse(raw, form)
        if isinstance(message, Rejection):
            self.counters[f"rejected.{message.reason.number:02d}"] += 1
            return self._refuse(message_id, received, message, credential_ori)
        sender = message.header.ori
        refusal = check_sender(self.directory.agencies.get(sender), sender, credential_ori)
        if refusal is not None:
            return self._refuse(
                message_id, received, Rejection.of(refusal.reason, raw), credential_ori
            )
        if seen is not None:
            first = await seen(sender, message.header.control)
            if first is not None:
                return first

        if not isinstance(message, Query | AdminMessage):
            rejection = Rejection.of(ErReason.NOT_ALLOWED_TO_DESTINATION, raw, ori=sender)
            return self._refuse(message_id, received, rejection, sender)
        plan = plan_route(message.header, raw, self.nodes, self.directory.agencies)
        if isinstance(plan, Rejection):
            self.counters[f"rejected.{plan.reason.number:02d}"] += 1
            return self._refuse(message_id, received, plan, sender)

        document = None
        named = message.get("DOC") if isinstance(message, Query) else None
        if named is not None:
            document = self.attachments.get(named, sender, received)
            if document is None:
                detail = "DOC/ NAMES NO DOCUMENT THIS AGENCY ATTACHED"
                rejection = Rejection.of(
                    ErReason.DOCUMENT_NOT_FOUND,
                    raw,
                    detail,
                    ori=sender,
                    control=message.header.control,
                )
                return self._refuse(message_id, received, rejection, sender)

        self.counters[f"accepted.{message.header.mke}"] += 1
        if isinstance(message, AdminMessage):
            replies: list[Reply] = [self._unserved(message.header, d) for d in plan.unserved]
            return self._done(
                message_id,
                sender,
                message.header.mke,
                received,
                replies,
                destinations=message.header.destinations,
                mailboxes=plan.mailboxes + tuple(r.ori for r in plan.routes),
                forwarded=message,
            )
        requester = self.directory.agencies[sender]
        answers = await self._fan_out(message_id, message, requester, plan, document)
        collected = self._collect(message.header, plan, answers)
        answered = tuple(
            (state, answer_digest(text.encode(reply).encode()))
            for state, reply in answers.items()
            if reply is not None
        )
        return self._done(
            message_id,
            sender,
            message.header.mke,
            received,
            collected,
            destinations=message.header.destinations,
            answered=answered,
        )

    def sender(self, token: str | None) -> str | SenderRefusal:
        """The ORI a credential belongs to, if that agency may send now; else why not, in the
        order ``submit`` refuses a message (no credential, an unknown one, the directory)."""
        ori = self.directory.ori_for(token)
        if token is None:
            return SenderRefusal.NO_CREDENTIAL
        if ori is None:
            return SenderRefusal.CREDENTIAL_MISMATCH
        refusal = check_sender(self.directory.agencies.get(ori), ori, ori)
        return ori if refusal is None else refusal

    def attach(
        self, token: str | None, content: bytes, filename: str | None
    ) -> Receipt | SenderRefusal | DocumentRefusal:
        """Keep a legal-process document for the agency holding ``token``, for its queries to
        name in ``DOC/``; the content is never logged."""
        sender = self.sender(token)
        if isinstance(sender, SenderRefusal):
            return sender
        receipt = self.attachments.attach(sender, content, filename, self.clock())
        if isinstance(receipt, Receipt):
            log.info("document %s attached by %s (%d bytes)", receipt.id, sender, receipt.size)
        return receipt

    def stamp(self, reply: Reply, received: datetime, input_seq: int = 0) -> Reply:
        """Add the output header: times to the minute and the recipient's next sequence number."""
        recipient = reply.header.destinations[0] if reply.header.destinations else ""
        self._output_seq[recipient] = self._output_seq[recipient] % 99999 + 1
        output = OutputHeader(
            to_minute(received), input_seq, to_minute(self.clock()), self._output_seq[recipient]
        )
        return replace(reply, output=output)

    def _parse(self, raw: str, form: Form) -> Message | Rejection:
        if len(raw) > MAX_MESSAGE:
            return Rejection.of(ErReason.MESSAGE_TOO_LONG, raw)
        return text.parse(raw) if form is Form.TEXT else jsonform.parse_json(raw)

    async def _fan_out(
        self,
        message_id: str,
        query: Query,
        requester: Agency,
        plan: RoutePlan,
        document: Document | None = None,
    ) -> dict[str, Reply | None]:
        deliveries = {
            route.state: Delivery(message_id, query, requester, route.ori, document)
            for route in plan.routes
        }
        if len(deliveries) == 1:
            # The common case needs no tasks: one node, answered in line.
            ((state, delivery),) = deliveries.items()
            return {state: await self._deliver(state, delivery)}
        tasks = {
            state: asyncio.ensure_future(self._deliver(state, d)) for state, d in deliveries.items()
        }
        await asyncio.wait(tasks.values(), timeout=self.deadline)
        answers: dict[str, Reply | None] = {}
        for state, task in tasks.items():
            if task.done():
                answers[state] = task.result()
            else:
                # Never cancelled: a node that is writing its ledger entries must not be cut
                # off halfway. Its answer goes to the requester's mailbox when it comes.
                task.add_done_callback(functools.partial(self._answered_late, message_id, state))
                answers[state] = None
        return answers

    def _answered_late(self, message_id: str, state: str, task: asyncio.Task[Reply | None]) -> None:
        reply = None if task.cancelled() else task.result()
        if reply is None:
            return
        if self.late is None:
            # No mailbox to take it: the node disclosed an answer nobody will fetch.
            log.error("late answer of %s to message %s dropped: no mailbox", state, message_id)
            return
        self.late(message_id, state, reply)

    async def _deliver(self, state: str, delivery: Delivery) -> Reply | None:
        try:
            return await self.transports[state].deliver(delivery)
        except NodeUnavailable:
            # Only the state and message id are logged: never a field of the query.
            log.warning("node %s unavailable for message %s", state, delivery.message_id)
            self.counters[f"unavailable.{state}"] += 1
            return None

    def _collect(
        self, header: Header, plan: RoutePlan, answers: dict[str, Reply | None]
    ) -> list[Reply]:
        unserved = [self._unserved(header, d) for d in plan.unserved]
        if plan.multi:
            return merge(header, plan.routes, answers) + unserved
        replies: list[Reply] = []
        for route in plan.routes:
            reply = answers.get(route.state)
            replies.append(reply if reply is not None else self._down(header, route))
        return replies + unserved

    def _unserved(self, header: Header, destination: str) -> StatusMessage:
        return status(header, f"{destination} DOES NOT SERVE {header.mke} MESSAGES")

    def _down(self, header: Header, route: Route) -> StatusMessage:
        return status(header, f"{route.ori} {TEMPORARILY_UNAVAILABLE}")

    def _refuse(
        self, message_id: str, received: datetime, rejection: Rejection, sender: str | None
    ) -> Submission:
        self.counters[f"refused.{rejection.reason.number:02d}"] += 1
        ori = rejection.ori or sender
        error = text.error_message(replace(rejection, ori=ori))
        return self._done(message_id, sender, None, received, [error], accepted=False)

    def _done(
        self,
        message_id: str,
        sender: str | None,
        mke: MKE | None,
        received: datetime,
        replies: list[Reply],
        *,
        accepted: bool = True,
        destinations: tuple[str, ...] = (),
        mailboxes: tuple[str, ...] = (),
        forwarded: AdminMessage | None = None,
        answered: tuple[tuple[str, str], ...] = (),
    ) -> Submission:
        input_seq = 0
        if sender is not None:
            self._input_seq[sender] = self._input_seq[sender] % 99999 + 1
            input_seq = self._input_seq[sender]
        stamped = [self.stamp(reply, received, input_seq) for reply in replies]
        return Submission(
            message_id,
            sender,
            mke,
            accepted,
            received,
            tuple(stamped),
            destinations,
            mailboxes,
            forwarded,
            answered,
        )
