"""A witnessing round: each node's ledger publishes a checkpoint and its witnesses cosign it.

Every log has two kinds of witness. The nodes form a ring (in the order given): each one
witnesses the next one's log, remembering in its own database the last checkpoint it cosigned.
The hub, which keeps no log of its own, witnesses every log and remembers in the hub's
database. A node elsewhere can also ask a witness over HTTP (:func:`remote_cosign`, the hub
serving c2sp.org/tlog-witness). A node that later rewrites or rolls back its history is refused
by its witnesses and caught by anyone holding one of their cosignatures; to hide it, the node
would need the state next to it and the hub both to collude.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from stateline.ledger.checkpoint import Checkpoint, NoteError, Signer, Verifier, parse_note
from stateline.ledger.keys import NodeKeys
from stateline.ledger.log import Ledger
from stateline.ledger.witness.cosign import Witness, WitnessRefused, WitnessState
from stateline.ledger.witness.protocol import AddCheckpoint, with_cosignatures


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


Post = Callable[[bytes], tuple[int, bytes]]
"""Sends an ``add-checkpoint`` body to a witness; gives back the status and the body."""


def remote_cosign(site: Site, post: Post, witness: Verifier, now: int) -> str | None:
    """Have a witness elsewhere cosign the site's log over c2sp.org/tlog-witness.

    The log signs a checkpoint and offers it from the size the witness last cosigned: the
    first try says 0, and a witness that has seen more answers 409 with its size, so the
    second try carries the consistency proof from there. The cosignature is verified with
    ``witness`` before it is kept. Returns the refusal, if any.
    """
    note = site.ledger.checkpoint(at=now)
    size = Checkpoint.parse(parse_note(note).text).size
    old = 0
    for _attempt in range(2):
        proof = tuple(site.ledger.consistency_proof(old, size)) if 0 < old <= size else ()
        status, body = post(AddCheckpoint(old, proof, note).body())
        told = body.decode(errors="replace").strip()
        if status == 409 and told.isdigit() and int(told) == size:
            return None  # it has cosigned this size already: nothing new to witness
        if status == 409 and told.isdigit() and int(told) != old:
            old = int(told)  # the size it last cosigned: offer the proof from there
            continue
        break
    origin = site.ledger.origin
    if status != 200:
        return f"{witness.name} refused {origin}: {status} {told}"
    try:
        site.ledger.add_cosignature(str(with_cosignatures(note, body)), witness)
    except NoteError as error:
        return f"{witness.name} answered {origin} with no valid cosignature: {error}"
    return None
