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

from stateline.bootstrap import ledger_prefix, open_hub, open_ledger_engine
from stateline.config import Config
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.keys import origin_for
from stateline.ledger.proofs import signed_head
from stateline.ledger.reconcile import Finding, Reconciler
from stateline.storage.ledger.journal import SqlJournal
from stateline.storage.ledger.store import SqlLedgerStore

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
    config: Config, states: Sequence[str] | None = None, in_flight: float = IN_FLIGHT
) -> Reconciliation:
    """Compare the hub's logged answers with the ledgers of ``states`` (every configured one
    by default)."""
    chosen = tuple(s.upper() for s in (states or config.states))
    engine, _directory, log = open_hub(config)
    try:
        run = Reconciler()
        run.answered(
            (a.message_id, a.state, a.answer_sha256) for batch in log.answered() for a in batch
        )
        for state in chosen:
            run.entries(state, _bodies(config, state))
        pending = run.unlogged()
        if pending:
            time.sleep(in_flight)
            ids = sorted({message_id for message_id, _state in pending})
            again = log.answers_to(ids)
            run.relogged(ids, [(a.message_id, a.state, a.answer_sha256) for a in again])
    finally:
        log.close()
        engine.dispose()
    return Reconciliation(
        chosen, run.answers_of(chosen), run.entries_read, run.pruned, tuple(run.findings(chosen))
    )


def _bodies(config: Config, state: str) -> Iterator[bytes | None]:
    """Every entry of ``state``'s ledger once: the journal's, then the tree's."""
    engine = open_ledger_engine(config, state)
    try:
        store = SqlLedgerStore(engine, ledger_prefix(config, state))
        store.create_schema()
        journaled: dict[int, bytes] = {}
        try:
            journal = SqlJournal(engine)
            journaled = {i: body for i, body, _leaf, _tags in journal.pending(origin_for(state), 0)}
        except LedgerUnavailable:
            pass  # a database without a journal: every entry is in the tree
        head = signed_head(store)
        size = head[0] if head is not None else 0
        for rows in store.stream_entries(size, 10_000):
            for index, body, _leaf in rows:
                journaled.pop(index, None)
                yield body
        yield from (journaled[i] for i in sorted(journaled))  # not folded yet
    finally:
        engine.dispose()
