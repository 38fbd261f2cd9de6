"""Deliveries a node has answered, by message id: a query delivered twice is decided once.

A transport that delivers at least once (JetStream) may hand a node the same delivery again:
after the node stopped between writing its ledger entries and acknowledging the delivery, or
when an acknowledgement was lost. The node keeps each answer's text durably *before* its
ledger entries are written (:meth:`DeliveryStore.keep`), and marks it sent once they are
durable (:meth:`DeliveryStore.sent`). A delivery seen again is then:

- kept and sent: answered with the kept answer, and nothing is decided or written again;
- kept but not marked sent (the node stopped in between): the ledger tells whether the entries
  were written. If it holds this message's disclosure of exactly the kept answer (its digest),
  that answer is the one disclosed, and it is sent. If not, nothing was disclosed, and the
  query is decided afresh.

So a delivery is written to the ledger once and disclosed once, however often it comes. The
kept answers are personal data: they are removed once older than :data:`KEEP`, far beyond the
time a delivery can come again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import orjson

KEEP = timedelta(hours=1)
"""How long a node keeps the text of an answer it sent, for a delivery that comes again."""


@dataclass(frozen=True, slots=True)
class Kept:
    """An answer a node kept: its wire text, and the ledger's size when it was kept (its
    entries, if written, come at or after that index)."""

    state: str
    message_id: str
    reply: str
    ledger_from: int
    at: datetime
    sent: bool = False


class DeliveryStore(Protocol):
    """The answers a node kept, in its own database."""

    def get(self, state: str, message_id: str) -> Kept | None: ...

    def keep(self, kept: Kept) -> None:
        """Keep ``kept`` (durably), in place of any answer kept for the message before."""
        ...

    def sent(self, state: str, message_id: str) -> None:
        """Mark the answer's ledger entries durable: the answer may be sent again as it is."""
        ...

    def purge(self, before: datetime) -> int:
        """Remove the answers kept before ``before``; returns how many."""
        ...


def disclosed(bodies: Iterable[bytes | None], state: str, message_id: str, digest: str) -> bool:
    """Whether ``bodies`` (ledger entries) hold ``state``'s disclosure of ``message_id`` with
    the answer digest ``digest``."""
    for body in bodies:
        if body is None or b'"disclosure"' not in body:
            continue
        entry = orjson.loads(body)
        if (
            entry.get("kind") == "disclosure"
            and entry.get("message_id") == message_id
            and entry.get("state") == state
            and entry.get("answer_sha256") == digest
        ):
            return True
    return False


def stale(now: datetime) -> datetime:
    """Kept answers from before this moment are removed."""
    return now - KEEP
