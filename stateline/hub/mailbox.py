"""The mailbox's rules: how long the hub keeps replies and AMs for an agency, and how it reads
them back.

What waits to be fetched is kept in the hub's database (``storage.messages``), so a restart
loses none of it: late replies (a reviewed request's answer, a state that answered after the
deadline) and AMs, for ``late_ttl``, or ``reply_ttl`` after they were first fetched, whichever
comes first. Replies sent in an HTTP answer were handed over already: they are kept in memory
only (:class:`Recent`), for ``reply_ttl``, so a retry after a lost answer gets them again, and
personal data the agency has is not written to disk once more. Both are kept as the wire's
text, as stamped: a reply the hub stamped is canonical, so its text parses back to the same
reply.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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


class Recent:
    """Replies sent in HTTP answers, by message id, for their sender only: in memory, each
    until it expires, at most ``capacity`` messages (the oldest go first)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[str, tuple[str, tuple[str, ...], datetime]] = OrderedDict()
        self._lock = threading.Lock()  # retries read it from a worker thread

    def keep(
        self, message_id: str, sender: str, replies: tuple[str, ...], expires: datetime
    ) -> None:
        with self._lock:
            self._kept[message_id] = (sender, replies, expires)
            while len(self._kept) > self.capacity:
                self._kept.popitem(last=False)

    def get(self, message_id: str, sender: str, now: datetime) -> tuple[str, ...] | None:
        """The replies to ``sender``'s ``message_id``, unless expired (or another's)."""
        with self._lock:
            found = self._kept.get(message_id)
            if found is None or found[0] != sender:
                return None
            if found[2] < now:
                del self._kept[message_id]
                return None
            return found[1]


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
