"""Proofs from a ledger's stored tree: inclusion, consistency and roots at any committed size.

Reads only what is committed under a signed head, so the writer and any other process (a
verifier, an auditor's ``stateline ledger prove`` beside a serving node) compute the same
proofs from the same tables; nothing here appends or folds.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.merkle import (
    EMPTY_ROOT,
    consistency_ranges,
    inclusion_ranges,
    root_from_inclusion_proof,
)
from stateline.storage.ledger import LedgerStore


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Entry ``index`` is in the tree of ``size`` leaves: its leaf hash and audit path."""

    index: int
    size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]

    def root(self) -> bytes:
        """The root the proof leads to (compare it with a signed checkpoint's)."""
        return root_from_inclusion_proof(self.index, self.size, self.leaf_hash, self.path)

    def document(self, origin: str, body: bytes | None, checkpoint: str) -> dict[str, Any]:
        """The proof as the JSON document ``stateline ledger prove`` writes, the resident view
        and the dashboard hand out, and ``stateline ledger check-proof`` and the pages' own
        check read: with the entry's bytes (None where retention removed them) and the signed
        checkpoint (its note) the path leads to."""

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        return {
            "origin": origin,
            "index": self.index,
            "tree_size": self.size,
            "leaf_hash": b64(self.leaf_hash),
            "entry": None if body is None else b64(body),
            "proof": [b64(h) for h in self.path],
            "checkpoint": checkpoint,
        }


def root_at(store: LedgerStore, size: int) -> bytes:
    """The root hash of the first ``size`` entries."""
    return store.range_hashes([(0, size)])[0] if size else EMPTY_ROOT


def inclusion_proof(store: LedgerStore, index: int, size: int) -> InclusionProof:
    """Proof that entry ``index`` is in the tree of ``size`` entries."""
    ranges = inclusion_ranges(index, size)
    hashes = store.range_hashes([*ranges, (index, index + 1)])
    return InclusionProof(index, size, hashes[-1], tuple(hashes[:-1]))


def consistency_proof(store: LedgerStore, old: int, new: int) -> list[bytes]:
    """Proof that the tree of ``new`` entries extends the tree of ``old`` entries."""
    return store.range_hashes(consistency_ranges(old, new))


def signed_head(store: LedgerStore, attempts: int = 20) -> tuple[int, str] | None:
    """The committed size and signed head as one state (``None``: an empty log).

    The head and the entry table are read one after the other; a writer folding between the
    two reads shows as a head that does not count the table's entries, and they are read
    again.
    """
    for _ in range(attempts):
        head = store.head()
        end = store.end()
        if head is None and not end:
            return None
        if head is not None and head[0] == end and store.head() == head:
            return head
    raise LedgerUnavailable("the ledger head and its entries keep changing: try again")
