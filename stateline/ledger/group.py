"""Group commit on the event loop: the entries of every answer that reaches the ledgers before the
loop goes idle are made durable together, one write per ledger database.

The node hands each answer's entries to :meth:`GroupCommit.append` and sends the answer only
once it returns; those made durable are passed on (``observe``: the abuse alerts' watch).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial

from stateline.batching import IdleGroup
from stateline.ledger.entries import Entry
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.log import Ledger
from stateline.ledger.writer import submit_together

log = logging.getLogger(__name__)

Observe = Callable[[Sequence[Entry], Sequence[int]], None]
"""Told of a ledger's entries once they are durable, with their indexes (the abuse alerts'
watch, ``oversight.watch``): called on the loop once a commit, so it must only queue them."""


class GroupCommit(IdleGroup[tuple[Ledger, list[Entry]]]):
    """Group commit on the event loop, across nodes (:class:`~stateline.batching.IdleGroup`):
    the entries of every answer that reaches the ledger before the loop goes idle go to their
    ledgers at once, as one durable write per ledger database (ledgers sharing a database share
    its commit), committed on the writer's connection by the loop itself
    (:meth:`~stateline.ledger.writer.Committer.commit`). One instance serves every node of a
    process, so a national spread of traffic still shares each pass's wait.

    The loop waits for the disk rather than leaving the fsync to a thread of its own, and
    for the loop to be idle rather than writing at the first turn: the one costs less CPU a
    request, the other gives a lower p99 at the same CPU (docs/performance.md).
    """

    def __init__(self, turns: int = IdleGroup.TURNS, observe: Observe | None = None) -> None:
        super().__init__(partial(_commit_entries, observe=observe), turns, "ledger commit")
        self.observe = observe

    def observed(self, entries: Sequence[Entry], indexes: Sequence[int]) -> None:
        """Pass on entries made durable outside the group (a reviewer's action) as the group
        passes on its own."""
        if self.observe is None:
            return
        try:
            self.observe(entries, indexes)
        except Exception:
            # The entries are durable: alerts never hold the review back.
            log.exception("durable entries not passed on for alerts")

    async def append(self, ledger: Ledger, entries: list[Entry]) -> None:
        """Returns once ``entries`` are durable in ``ledger``; raises
        :class:`LedgerUnavailable` if they are not."""
        await self.add((ledger, entries))


def _commit_entries(
    items: list[tuple[Ledger, list[Entry]]], observe: Observe | None = None
) -> list[BaseException | None]:
    by_ledger: dict[int, tuple[Ledger, list[int]]] = {}
    for n, (ledger, _entries) in enumerate(items):
        by_ledger.setdefault(id(ledger), (ledger, []))[1].append(n)
    groups = list(by_ledger.values())
    try:
        appends = [(ledger, [e for n in ns for e in items[n][1]]) for ledger, ns in groups]
        futures = submit_together(appends, now=True)
    except Exception as error:
        # No answer may leave without its entries, and none may wait for ever.
        log.exception("ledger commit failed: %d answers withheld", len(items))
        failure = LedgerUnavailable(f"ledger commit failed: {type(error).__name__}")
        return [failure] * len(items)
    outcomes: list[BaseException | None] = [None] * len(items)
    for future, (_ledger, ns) in zip(futures, groups, strict=True):
        refused = future.exception()
        for n in ns:
            outcomes[n] = refused
    if observe is not None:
        try:
            for future, (_ledger, entries) in zip(futures, appends, strict=True):
                if future.exception() is None:
                    observe(entries, future.result())
        except Exception:
            # The entries are durable and the answers may leave: alerts never hold them back.
            log.exception("ledger commit: durable entries not passed on for alerts")
    return outcomes
