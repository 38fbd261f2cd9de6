"""The exchange service: the switch plus its message log and mailbox, as the web and CLI use it.

Every input's line in the message log, with the answers its states' nodes gave, is durable
before the reply goes out: the nodes' ledgers record the disclosures, and ``stateline ledger
reconcile`` checks the two against each other. Late replies (a held request's answer, a state
past the deadline) are durable too, until fetched; replies sent at once are kept in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from stateline.directory.checks import SenderRefusal
from stateline.errors import StorageError
from stateline.hub.attachments import DocumentRefusal, Receipt
from stateline.hub.mailbox import Keeping, Recent, parsed_admin, parsed_reply
from stateline.hub.records import Answer, Kept, MessageRecord, answers_column
from stateline.hub.retries import Attempt, Retries
from stateline.hub.switch import Form, Submission, Switch
from stateline.ledger.entries import answer_digest
from stateline.wire import text
from stateline.wire.messages import AdminMessage, ErrorMessage, Reply

log = logging.getLogger(__name__)


class Log(Protocol):
    """The hub's message log and mailbox, as the exchange writes and reads them."""

    async def record(self, record: MessageRecord, kept: Sequence[Kept] = ()) -> None: ...

    def late(self, answer: Answer | None, kept: Kept) -> None: ...

    def get(self, message_id: str) -> MessageRecord | None: ...

    def by_key(self, sender: str, key: str) -> MessageRecord | None: ...

    def unkey(self, message_id: str) -> None: ...

    def held_for(
        self, message_id: str, ori: str, now: datetime, until: datetime | None = None
    ) -> list[Kept] | None: ...

    def waiting(self, ori: str, now: datetime, limit: int = 1000) -> list[Kept]: ...

    def answers_to(self, message_ids: Sequence[str]) -> list[Answer]: ...


@dataclass(frozen=True, slots=True)
class Waiting:
    """Something in an agency's mailbox: a late reply to one of its messages, or an AM."""

    message_id: str
    kind: str  # late, am
    message: Reply | AdminMessage
    at: datetime
    fetched: bool


class Exchange:
    """Submits messages through the switch, logs them durably and keeps their replies."""

    def __init__(self, switch: Switch, log: Log, keeping: Keeping | None = None) -> None:
        self.switch = switch
        self.log = log
        self.keeping = keeping or Keeping()
        self.recent = Recent()
        self.retries = Retries(log, self.replies)
        switch.late = self._answered_late

    async def submit(
        self, raw: str, token: str | None, form: Form = Form.TEXT, key: str | None = None
    ) -> Submission:
        """Send one input through the switch; returns once its log line (with its nodes'
        answers) and the AMs it leaves are durable (raises :class:`StorageError` if they
        cannot be: then no reply may go out). Its replies are kept in memory for a retry.

        A retry (the same idempotency ``key``, or the same control field and text, from the
        same agency) gets the first answer again, marked ``replayed``; a retry that cannot be
        answered raises :class:`~stateline.hub.retries.RetryRefused`.
        """
        attempt = self.retries.attempt(raw, key)
        try:
            submission = await self._submit(raw, token, form, attempt)
        except BaseException as error:
            attempt.done(None, error)
            raise
        attempt.done(submission)
        return submission

    async def _submit(
        self, raw: str, token: str | None, form: Form, attempt: Attempt
    ) -> Submission:
        submission = await self.switch.submit(raw, token, form, attempt.seen)
        if submission.replayed:
            return submission
        now = self.switch.clock()
        if submission.forwarded is not None:
            body = text.encode(submission.forwarded)
            expires = self.keeping.late_expires(now)
            kept = [
                Kept(submission.id, recipient, "am", body, now, expires)
                for recipient in submission.mailboxes
            ]
        else:
            kept = []
        record = record_of(submission, form)
        if attempt.key is not None:
            record = replace(record, idempotency_key=attempt.key, input_sha256=attempt.digest)
        await self.log.record(record, kept)
        if submission.sender is not None:
            replies = tuple(text.encode(reply) for reply in submission.replies)
            expires = self.keeping.reply_expires(now)
            self.recent.keep(submission.id, submission.sender, replies, expires)
        return submission

    def attach(
        self, token: str | None, content: bytes, filename: str | None = None
    ) -> Receipt | SenderRefusal | DocumentRefusal:
        """Keep a legal-process document for the agency's queries to name (``DOC/``)."""
        return self.switch.attach(token, content, filename)

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
        """Take a late reply (the outcome of a state's review) for the requester to fetch;
        returns once it is durable."""
        self._late(message_id, requester, reply)

    def _answered_late(self, message_id: str, _state: str, reply: Reply) -> None:
        """A node answered after the deadline: its answer waits in the requester's mailbox."""
        recipient = reply.header.destinations[0] if reply.header.destinations else ""
        try:
            self._late(message_id, recipient, reply)
        except StorageError:
            # The node disclosed it; without the mailbox the agency cannot fetch it: say so.
            log.error("late answer to message %s could not be kept", message_id)

    def _late(self, message_id: str, recipient: str, reply: Reply) -> None:
        now = self.switch.clock()
        stamped = text.encode(self.switch.stamp(reply, now))
        answer = None
        if not isinstance(reply, ErrorMessage):
            # What the node's ledger records: the digest of the answer as the node sent it.
            digest = answer_digest(text.encode(reply).encode())
            answer = Answer(message_id, reply.header.ori[:2], now, digest, late=True)
            if self._logged(answer):
                # The same answer again (a node or a transport that sent it twice): the
                # requester has it, or will fetch it, once.
                log.info("message %s: %s's answer came again; kept once", message_id, answer.state)
                return
        expires = self.keeping.late_expires(now)
        self.log.late(answer, Kept(message_id, recipient, "late", stamped, now, expires))

    def _logged(self, answer: Answer) -> bool:
        """Whether the log holds this state's answer to the message, with the same digest."""
        return any(
            (a.state, a.answer_sha256) == (answer.state, answer.answer_sha256)
            for a in self.log.answers_to([answer.message_id])
        )

    def replies(self, message_id: str, ori: str) -> tuple[Reply, ...] | None:
        """The replies to ``ori``'s message ``message_id`` while the hub keeps them: those sent
        at once (kept in memory) and the late ones (kept in the database); ``None`` if ``ori``
        sent no such message."""
        now = self.switch.clock()
        sent = self.recent.get(message_id, ori, now) or ()
        late = self.log.held_for(message_id, ori, now, self.keeping.reply_expires(now)) or []
        if not sent and not late:
            # None kept (yet, or any more): an empty answer for the agency's own message.
            record = self.log.get(message_id)
            return () if record is not None and record.sender == ori else None
        return tuple(parsed_reply(body) for body in (*sent, *(k.body for k in late)))

    def waiting(self, ori: str) -> list[Waiting]:
        """Late replies and AMs kept for ``ori``, newest first."""
        found: list[Waiting] = []
        for kept in self.log.waiting(ori, self.switch.clock()):
            message = parsed_admin(kept.body) if kept.kind == "am" else parsed_reply(kept.body)
            found.append(
                Waiting(kept.message_id, kept.kind, message, kept.at, kept.fetched is not None)
            )
        return found


def record_of(submission: Submission, form: Form) -> MessageRecord:
    """The metadata of a submission, and nothing from its fields."""
    reason = None
    if not submission.accepted and isinstance(submission.replies[0], ErrorMessage):
        reason = submission.replies[0].reason.number
    return MessageRecord(
        id=submission.id,
        sender=submission.sender,
        mke=submission.mke.value if submission.mke is not None else None,
        destinations=" ".join(submission.destinations),
        form=form.value,
        received=submission.received,
        accepted=submission.accepted,
        reason=reason,
        replies=len(submission.replies),
        answers=answers_column(submission.answered),
    )
