"""The embedded default: nodes live in the hub's process and are called directly."""

from __future__ import annotations

from typing import Protocol

from stateline.transport.base import Delivery, NodeUnavailable
from stateline.wire.messages import Reply


class Handler(Protocol):
    async def handle(self, delivery: Delivery) -> Reply: ...


class LocalTransport:
    """Calls a node's ``handle`` in-process; a node that is switched off is unavailable."""

    def __init__(self, node: Handler) -> None:
        self.node = node
        self.up = True

    async def deliver(self, delivery: Delivery) -> Reply:
        if not self.up:
            raise NodeUnavailable(delivery.destination)
        try:
            return await self.node.handle(delivery)
        except Exception as error:  # a node's fault must not take the hub down
            raise NodeUnavailable(delivery.destination) from error
