"""The mailbox's rules: how long the hub keeps replies and AMs for an agency, and how it reads
them back.

The hub keeps what it hands an agency in its database (``storage.messages``): replies sent in an
HTTP answer for ``reply_ttl`` (a retry after a lost answer gets them again), late replies (a
reviewed request's answer, a state that answered after the deadline) and AMs for ``late_ttl``,
or ``reply_ttl`` after they were first fetched, whichever comes first. They are kept as the
wire's text, as stamped: a reply the hub stamped is canonical, so its text parses back to the
same reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from stateline.wire import text
from stateline.wire.messages import AdminMessage, Reply


@dataclass(frozen=True, slots=True)
class Keeping:
    """How long the mailbox keeps what it holds."""

    reply_ttl: timedelta = timedelta(hours=1)
    late_ttl: timedelta = timedelta(days=7)

    def reply_expires(self, now: datetime) -> datetime:
        return now + self.reply_ttl

    def late_expires(self, now: datetime) -> datetime:
        return now + self.late_ttl


def parsed_reply(raw: str) -> Reply:
    """A kept reply, read back."""
    reply = text.parse(raw)
    if not isinstance(reply, Reply):
        raise ValueError("a kept reply no longer parses")  # the hub made it: a bug
    return reply


def parsed_admin(raw: str) -> AdminMessage:
    """A kept AM, read back."""
    message = text.parse(raw)
    if not isinstance(message, AdminMessage):
        raise ValueError("a kept AM no longer parses")
    return message
