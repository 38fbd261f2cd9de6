"""The message log's records as the hub writes and reads them: a message's line, a state's
answer to it, and a reply or AM kept in an agency's mailbox. ``storage.messages`` keeps them
(SQLite or PostgreSQL); the exchange reads them through its ``Log`` port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One line of the message log."""

    id: str
    sender: str | None
    mke: str | None
    destinations: str
    form: str
    received: datetime
    accepted: bool
    reason: int | None
    replies: int
    idempotency_key: str | None = None
    input_sha256: str | None = None
    answers: str | None = None  # see answers_column


@dataclass(frozen=True, slots=True)
class Answer:
    """A state's node answered a message: when, the SHA-256 of the answer's bytes, and whether
    it came after the reply went out (a reviewed request's answer, or past the deadline)."""

    message_id: str
    state: str
    at: datetime
    answer_sha256: str
    late: bool = False


def answers_column(answers: Sequence[tuple[str, str]]) -> str | None:
    """The ``answers`` column for (state, SHA-256) pairs: ``NY:<hex> NJ:<hex>``."""
    return " ".join(f"{state}:{digest}" for state, digest in answers) or None


@dataclass(frozen=True, slots=True)
class Kept:
    """A reply or AM in the mailbox: for ``recipient``, until ``expires``; ``fetched`` once it
    was handed over (a reply sent in the HTTP answer is handed over at once)."""

    message_id: str
    recipient: str
    kind: str  # reply, late, am
    body: str
    at: datetime
    expires: datetime
    fetched: datetime | None = None
