"""The hub's in-memory mailbox: replies wait here until their sender fetches them or they expire.

Reply bodies carry personal data, so the hub keeps them only in memory and only for a while; the
message log keeps metadata and the audit ledger keeps the disclosure record.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from stateline.wire import text
from stateline.wire.messages import AdminMessage, Reply


@dataclass(frozen=True, slots=True)
class Held:
    """The replies to one message, for its sender only, in the wire's text.

    Text, not the models: a busy hub holds a hundred thousand messages, and as objects their
    replies' headers and records are millions the garbage collector walks again and again,
    stalling every request while it does; a string it never looks into. A reply the hub
    stamped is canonical, so its text parses back to the same reply.
    """

    sender: str
    replies: tuple[str, ...]
    expires: datetime


class Mailbox:
    """Replies by message id and AMs by recipient ORI, bounded in size and in age."""

    def __init__(self, ttl: timedelta = timedelta(hours=1), capacity: int = 100_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._replies: OrderedDict[str, Held] = OrderedDict()
        self._inbox: dict[str, deque[tuple[str, AdminMessage]]] = {}

    def hold(self, message_id: str, sender: str, replies: tuple[Reply, ...], now: datetime) -> None:
        self._keep(message_id, sender, tuple(text.encode(reply) for reply in replies), now)

    def add(self, message_id: str, sender: str, reply: Reply, now: datetime) -> None:
        """A reply that came after the others (a reviewed request): kept with them, or anew."""
        held = self._replies.pop(message_id, None)
        earlier = held.replies if held is not None and held.sender == sender else ()
        self._keep(message_id, sender, (*earlier, text.encode(reply)), now)

    def _keep(self, message_id: str, sender: str, replies: tuple[str, ...], now: datetime) -> None:
        self._replies[message_id] = Held(sender, replies, now + self.ttl)
        while len(self._replies) > self.capacity:
            self._replies.popitem(last=False)

    def replies(self, message_id: str, ori: str, now: datetime) -> tuple[Reply, ...] | None:
        """The replies to ``message_id`` if ``ori`` sent it and they have not expired."""
        held = self._replies.get(message_id)
        if held is None or held.sender != ori:
            return None
        if held.expires < now:
            del self._replies[message_id]
            return None
        return _parsed(held.replies)

    def deliver(self, message_id: str, recipient: str, message: AdminMessage) -> None:
        box = self._inbox.setdefault(recipient, deque(maxlen=1000))
        box.append((message_id, message))

    def inbox(self, ori: str) -> list[tuple[str, AdminMessage]]:
        return list(self._inbox.get(ori, ()))


def _parsed(replies: tuple[str, ...]) -> tuple[Reply, ...]:
    parsed: list[Reply] = []
    for raw in replies:
        reply = text.parse(raw)
        if not isinstance(reply, Reply):
            raise ValueError("a held reply no longer parses")  # the hub made it: a bug
        parsed.append(reply)
    return tuple(parsed)
