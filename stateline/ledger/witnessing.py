"""A witnessing round: each node's ledger publishes a checkpoint and its witnesses cosign it.

Every log has two kinds of witness. The nodes form a ring (in the order given): each one
witnesses the next one's log, remembering in its own database the last checkpoint it cosigned.
The hub, which keeps no log of its own, witnesses every log and remembers in the hub's
database. A node that later rewrites or rolls back its history is refused by its witnesses and
caught by anyone holding one of their cosignatures; to hide it, the node would need the state
next to it and the hub both to collude.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from stateline.ledger.checkpoint import Checkpoint, Signer, parse_note
from stateline.ledger.keys import NodeKeys
from stateline.ledger.log import Ledger
from stateline.ledger.witness import Witness, WitnessRefused, WitnessState


class Memory(Protocol):
    """Where a witness keeps the last checkpoint it cosigned for each log."""

    def witnessed(self, origin: str) -> tuple[int, str] | None: ...

    def remember_witnessed(self, origin: str, size: int, note: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Site:
    """One node's ledger and keys, as a log to witness and as a witness."""

    ledger: Ledger
    keys: NodeKeys


@dataclass(frozen=True, slots=True)
class Observer:
    """A witness: its name (for reports), its cosigning key and its memory."""

    name: str
    signer: Signer
    memory: Memory


def ring_neighbour(sites: Sequence[Site], index: int) -> Observer | None:
    """The node that witnesses site ``index``: the next one in the ring (none for one site)."""
    neighbour = sites[(index + 1) % len(sites)]
    if neighbour is sites[index]:
        return None
    return Observer(neighbour.ledger.origin, neighbour.keys.witness, neighbour.ledger.store)


def witness_round(sites: Sequence[Site], now: int, observers: Sequence[Observer] = ()) -> list[str]:
    """Checkpoint every log and have its ring neighbour and every observer (the hub) cosign it;
    returns the refusals, if any. A log with nothing new for a witness is not signed again."""
    refusals: list[str] = []
    for index, site in enumerate(sites):
        neighbour = ring_neighbour(sites, index)
        witnesses = [*([neighbour] if neighbour else []), *observers]
        note: str | None = None
        for observer in witnesses:
            origin = site.ledger.origin
            seen = observer.memory.witnessed(origin)
            if seen is not None and seen[0] == site.ledger.size:
                continue  # nothing new since the last checkpoint this witness cosigned
            if note is None:
                note = site.ledger.checkpoint(at=now)
            size = Checkpoint.parse(parse_note(note).text).size
            state = WitnessState({origin: seen[1]} if seen is not None else {})
            proof = site.ledger.consistency_proof(seen[0], size) if seen is not None else []
            witness = Witness(observer.signer, {origin: site.keys.verifiers})
            try:
                cosigned, remembered = witness.cosign(state, note, proof, now)
            except WitnessRefused as refusal:
                refusals.append(f"{observer.name} refused {origin}: {refusal}")
                continue
            observer.memory.remember_witnessed(origin, size, remembered.last[origin])
            site.ledger.add_cosignature(str(cosigned), observer.signer.verifier)
    return refusals
