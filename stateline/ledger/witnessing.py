"""A witnessing round: each node's ledger publishes a checkpoint and a neighbour cosigns it.

The nodes form a ring (in the order given): each one witnesses the next one's log, remembering
in its own database the last checkpoint it cosigned, so a node that later rewrites or rolls
back its history is refused by its witness and caught by anyone holding the cosignature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stateline.ledger.checkpoint import Checkpoint, parse_note
from stateline.ledger.keys import NodeKeys
from stateline.ledger.log import Ledger
from stateline.ledger.witness import Witness, WitnessRefused, WitnessState


@dataclass(frozen=True, slots=True)
class Site:
    """One node's ledger and keys, as a log to witness and as a witness."""

    ledger: Ledger
    keys: NodeKeys


def witness_round(sites: Sequence[Site], now: int) -> list[str]:
    """Checkpoint every log and have the next site cosign it; returns the refusals, if any."""
    refusals: list[str] = []
    for index, site in enumerate(sites):
        witness_site = sites[(index + 1) % len(sites)]
        if witness_site is site:
            continue
        origin = site.ledger.origin
        seen = witness_site.ledger.store.witnessed(origin)
        if seen is not None and seen[0] == site.ledger.size:
            continue  # nothing new since the last cosigned checkpoint
        note = site.ledger.checkpoint(at=now)
        size = Checkpoint.parse(parse_note(note).text).size
        state = WitnessState({origin: seen[1]} if seen is not None else {})
        proof = site.ledger.consistency_proof(seen[0], size) if seen is not None else []
        witness = Witness(witness_site.keys.witness, {origin: site.keys.verifiers})
        try:
            cosigned, remembered = witness.cosign(state, note, proof, now)
        except WitnessRefused as refusal:
            refusals.append(f"{witness_site.ledger.origin} refused {origin}: {refusal}")
            continue
        witness_site.ledger.store.remember_witnessed(origin, size, remembered.last[origin])
        site.ledger.add_cosignature(str(cosigned), witness_site.keys.witness.verifier)
    return refusals
