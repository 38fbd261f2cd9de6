"""The transport interface: deliver one query to one node and get its reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from stateline.directory.model import Agency
from stateline.documents import Document
from stateline.wire.messages import Query, Reply


@dataclass(frozen=True, slots=True)
class Delivery:
    """A query on its way to one node, with the hub's message id and the requester's entry.

    ``document`` is the legal-process document the query's ``DOC/`` names, which the hub took
    from the agency: personal data, which the node keeps only if it holds the request.
    """

    message_id: str
    query: Query
    requester: Agency
    destination: str  # the node's ORI
    document: Document | None = None


class NodeUnavailable(Exception):
    """The node could not be reached or failed to answer; the hub reports it, never retries."""


class Transport(Protocol):
    """Carries a delivery to a node and its reply back."""

    async def deliver(self, delivery: Delivery) -> Reply: ...
