"""Reconciling the hub's message log with every state's ledger: reads both, in the order that
makes the comparison sound beside a serving exchange, and hands them to ``ledger.reconcile``.

The hub's answers are read first: an answer is logged only after its entries are durable, so
every one read then has its entries in the ledger (folded, or still in the journal) by the time
the ledger is read. Each ledger's journal is read before its tree: an entry a fold moves in
between is read twice (and counted once), never missed. Disclosures the hub had not logged yet
are looked up again after a moment: a request in flight logs its answer a few milliseconds
after its entries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from stateline.ledger.keys import origin_for
from stateline.ledger.read import read_once
from stateline.ledger.reconcile import Finding, Reconciler
from stateline.oversight.ports import Sources

IN_FLIGHT = 2.0
"""Seconds to wait before looking up again the disclosures the hub had not logged yet."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What was compared, and every disagreement found."""

    states: tuple[str, ...]
    answers: int
    entries: int
    pruned: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def reconcile(
    sources: Sources, states: Sequence[str], in_flight: float = IN_FLIGHT
) -> Reconciliation:
    """Compare the hub's logged answers with the ledgers of ``states``."""
    chosen = tuple(s.upper() for s in states)
    with sources.hub() as hub:
        run = Reconciler()
        run.answered(
            (a.message_id, a.state, a.answer_sha256) for batch in hub.log.answered() for a in batch
        )
        for state in chosen:
            run.entries(state, _bodies(sources, state))
        pending = run.unlogged()
        if pending:
            time.sleep(in_flight)
            ids = sorted({message_id for message_id, _state in pending})
            again = hub.log.answers_to(ids)
            run.relogged(ids, [(a.message_id, a.state, a.answer_sha256) for a in again])
    return Reconciliation(
        chosen, run.answers_of(chosen), run.entries_read, run.pruned, tuple(run.findings(chosen))
    )


def _bodies(sources: Sources, state: str) -> Iterator[bytes | None]:
    """Every entry of ``state``'s ledger once (:func:`~stateline.ledger.read.read_once`)."""
    with sources.ledger(state) as (store, journal):
        store.create_schema()
        for _index, body in read_once(store, journal, origin_for(state)).entries():
            yield body
