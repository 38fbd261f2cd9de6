"""Retries: an input the hub answered already gets its first answer again, never a second one.

A client that times out and sends again must not cause a second decision and a second
disclosure. Two ways name a retry:

- an ``Idempotency-Key`` (HTTP header): the same key from the same agency is the same message
  for as long as the hub keeps its replies; the key stays taken after that (a retry then learns
  that its replies are gone), and a key sent again with a different message is refused;
- the header's control field: an agency's own reference for a message, so an input with the
  same control field and the very same text, from the same agency, repeats the first while
  its replies are kept; once they are not, it is a new message.

Two copies of one message in flight at once wait for the first's answer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from stateline.hub.records import MessageRecord
from stateline.hub.switch import Submission
from stateline.wire.grammar import MKE
from stateline.wire.messages import Reply

MAX_KEY = 100
"""The longest idempotency key taken (the message log's column)."""


class RetryRefused(Exception):
    """A retry the hub cannot answer: its key names another message, or its replies are gone.

    ``status`` is the HTTP status to answer with.
    """

    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(detail)


def valid_key(key: str) -> bool:
    """An idempotency key is 1 to 100 printable ASCII characters."""
    return 0 < len(key) <= MAX_KEY and key.isascii() and key.isprintable()


def input_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def control_key(control: str, digest: str) -> str:
    """The key a control field gives: the field and the input's text, so only the very same
    message repeats it."""
    return f"control/{control}/{digest[:40]}"


@dataclass(slots=True)
class Attempt:
    """One input on its way through the exchange, with the key it is known by once the
    switch knows its sender (None: no key, or a retry answered already)."""

    retries: Retries
    raw: str
    explicit: str | None
    key: str | None = None
    sender: str | None = None
    digest: str | None = None
    _future: asyncio.Future[Submission] | None = None

    async def seen(self, sender: str, control: str | None) -> Submission | None:
        """The switch's question: is this input a retry? If so, the first answer."""
        if self.explicit is None and control is None:
            return None
        self.digest = input_digest(self.raw)
        key = self.explicit or control_key(str(control), self.digest)
        return await self.retries.first(self, sender, key)

    def done(self, submission: Submission | None, error: BaseException | None = None) -> None:
        """The input was answered (or failed): copies of it waiting get the same."""
        future, self._future = self._future, None
        if future is None:
            return
        self.retries.inflight.pop((self.sender or "", self.key or ""), None)
        if future.done():
            return
        if submission is not None:
            future.set_result(submission)
        else:
            future.set_exception(error or RuntimeError("the first copy was not answered"))
        future.exception()  # nobody may be waiting: that is no error


def _same_message(attempt: Attempt, first: str, digest: str | None) -> None:
    """A key sent again must come with the same message."""
    if attempt.explicit is not None and digest is not None and digest != attempt.digest:
        raise RetryRefused(
            422, f"the idempotency key names another message ({first}): use a new key"
        )


class Keys(Protocol):
    """The message log as retries read it."""

    def by_key(self, sender: str, key: str) -> MessageRecord | None: ...

    def unkey(self, message_id: str) -> None: ...


class Retries:
    """Finds the first answer of a retry in flight or in the message log."""

    def __init__(self, log: Keys, replies: Callable[[str, str], tuple[Reply, ...] | None]) -> None:
        self.log = log
        self.replies = replies  # a message's replies while the hub keeps them
        self.inflight: dict[tuple[str, str], tuple[asyncio.Future[Submission], str | None]] = {}

    def attempt(self, raw: str, key: str | None) -> Attempt:
        return Attempt(self, raw, key)

    async def first(self, attempt: Attempt, sender: str, key: str) -> Submission | None:
        waiting = self.inflight.get((sender, key))
        if waiting is not None:
            future, digest = waiting
            _same_message(attempt, "in flight", digest)
            return replace(await asyncio.shield(future), replayed=True)
        # Claimed before the first await: a copy arriving meanwhile waits for this one.
        attempt.key, attempt.sender = key, sender
        attempt._future = asyncio.get_running_loop().create_future()
        self.inflight[sender, key] = (attempt._future, attempt.digest)
        record = await asyncio.to_thread(self.log.by_key, sender, key)
        if record is None:
            return None
        _same_message(attempt, record.id, record.input_sha256)
        replayed = await asyncio.to_thread(self._replayed, record, sender)
        if replayed is not None:
            return replayed
        if attempt.explicit is not None:
            raise RetryRefused(
                409,
                f"idempotency key already used by message {record.id}, answered at "
                f"{record.received.isoformat(timespec='seconds')}; its replies are no "
                "longer held",
            )
        # A control field's first message is gone from the mailbox: this one is new.
        await asyncio.to_thread(self.log.unkey, record.id)
        return None

    def _replayed(self, record: MessageRecord, sender: str) -> Submission | None:
        kept = self.replies(record.id, sender)
        if not kept:
            return None
        return Submission(
            record.id,
            sender,
            MKE(record.mke) if record.mke else None,
            record.accepted,
            record.received,
            kept,
            tuple(record.destinations.split()),
            replayed=True,
        )
