"""Group commit on the event loop: the writes of every request that reaches the loop before it
goes idle are committed together, on the loop's own thread (:class:`IdleGroup`).

The ledgers' group commit and the hub's message log both batch this way; it knows nothing of
what it commits, and imports nothing of Stateline's.

The loop waits for such a write rather than going on beside a writer thread: threads taking
turns at the GIL, and waking each other, cost more than the write. The write waits until the
loop is otherwise idle: it lets the loop take turns, running whatever is ready (answers the
last write released go out; requests already on their way reach this write), until a turn
finds nothing else to run, or ``turns`` turns have passed. Only then does the loop block on the
disk. A lone request waits one turn, as it would for any callback; after a stall, one write
serves every request under way instead of each few paying a write of their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

Commit = Callable[[list[T]], Sequence[BaseException | None]]
"""Commits a batch of items; gives each item's failure, or None where it is durable."""


class IdleGroup(Generic[T]):
    """Items added while the loop is busy are committed together once it is idle."""

    TURNS = 32
    """The most turns a write waits for the loop to be idle."""
    QUIET = 50e-6
    """A turn of the loop shorter than this (seconds) ran nothing but the wait itself."""

    def __init__(self, commit: Commit[T], turns: int = TURNS, name: str = "write") -> None:
        self._commit = commit
        self._turns = turns
        self._name = name
        self._pending: list[tuple[T, asyncio.Future[None]]] = []

    async def add(self, item: T) -> None:
        """Returns once ``item`` is committed; raises its failure if it was not."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._wait, loop, self._turns, time.perf_counter())
        self._pending.append((item, done))
        await done

    def _wait(self, loop: asyncio.AbstractEventLoop, turns: int, since: float) -> None:
        now = time.perf_counter()
        if turns > 0 and now - since >= self.QUIET:
            loop.call_soon(self._wait, loop, turns - 1, now)
        else:
            self._flush()

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        try:
            outcomes = list(self._commit([item for item, _ in pending]))
        except Exception as error:
            # Nothing may be answered on its account, and nobody may wait for ever.
            log.exception("%s failed: %d requests refused", self._name, len(pending))
            outcomes = [error] * len(pending)
        for (_, done), outcome in zip(pending, outcomes, strict=True):
            if done.done():  # its request was cancelled meanwhile
                continue
            if outcome is None:
                done.set_result(None)
            else:
                done.set_exception(outcome)
