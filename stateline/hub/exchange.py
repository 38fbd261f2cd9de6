"""The exchange service: the switch plus its message log and mailbox, as the web and CLI use it."""

from __future__ import annotations

from typing import Protocol

from stateline.directory.checks import SenderRefusal
from stateline.hub.attachments import DocumentRefusal, Receipt
from stateline.hub.mailbox import Mailbox
from stateline.hub.switch import Form, Submission, Switch
from stateline.storage.messages import MessageRecord
from stateline.wire.messages import ErrorMessage, Reply


class Log(Protocol):
    def append(self, record: MessageRecord) -> None: ...


class Exchange:
    """Submits messages through the switch, logs their metadata and holds their replies."""

    def __init__(self, switch: Switch, log: Log | None, mailbox: Mailbox) -> None:
        self.switch = switch
        self.log = log
        self.mailbox = mailbox

    async def submit(self, raw: str, token: str | None, form: Form = Form.TEXT) -> Submission:
        submission = await self.switch.submit(raw, token, form)
        if submission.sender is not None:
            self.mailbox.hold(
                submission.id, submission.sender, submission.replies, submission.received
            )
        if submission.forwarded is not None:
            for recipient in submission.mailboxes:
                self.mailbox.deliver(submission.id, recipient, submission.forwarded)
        if self.log is not None:
            self.log.append(record_of(submission, form))
        return submission

    def attach(
        self, token: str | None, content: bytes, filename: str | None = None
    ) -> Receipt | SenderRefusal | DocumentRefusal:
        """Keep a legal-process document for the agency's queries to name (``DOC/``)."""
        return self.switch.attach(token, content, filename)

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
        """Take a late reply (the outcome of a state's review) for the requester to fetch."""
        now = self.switch.clock()
        self.mailbox.add(message_id, requester, self.switch.stamp(reply, now), now)

    def replies(self, message_id: str, ori: str) -> tuple[Reply, ...] | None:
        return self.mailbox.replies(message_id, ori, self.switch.clock())


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
    )
