"""Proofs from a ledger's stored tree: inclusion, consistency and roots at any committed size.

Reads only what is committed under a signed head, so the writer and any other process (a
verifier, an auditor's ``stateline ledger prove`` beside a serving node) compute the same
proofs from the same tables; nothing here appends or folds. Each element of a proof is the
hash of a range of leaves, computed from the stored nodes (:func:`range_hashes`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import STRIDE, node_key
from stateline.ledger.merkle import (
    EMPTY_ROOT,
    complete_root,
    consistency_ranges,
    fold,
    inclusion_ranges,
    root_from_inclusion_proof,
    subtrees,
)
from stateline.ledger.ports import LedgerStore

CACHED_LEVEL = 9
"""Complete subtrees of 512 leaves and more are remembered once read (at most a few
thousand per million entries)."""
CACHE_LIMIT = 1 << 16
"""Remembered subtree hashes per store before the memory starts over."""


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


_Step = tuple[int, int, bool, list[int]] | bytes
"""A subtree of a range: its level, index, whether its keys are leaves, and the stored keys
it is computed from; or its hash, remembered."""


def range_hashes(store: LedgerStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """The Merkle tree hash of each leaf range, from at most two indexed reads.

    Each range splits into complete subtrees; a subtree at a stored level is read as it is,
    any other is computed from its descendants at the stored level just below (at most
    2**(STRIDE - 1) of them), leaf hashes for the lowest levels. A complete subtree never
    changes, so those of :data:`CACHED_LEVEL` and above are kept once read: the few
    thousand at the top of a large log are shared by every proof.
    """
    cache = store.remembered
    plans: list[list[_Step]] = []
    want_leaves: set[int] = set()
    want_nodes: set[int] = set()
    for start, end in ranges:
        plan: list[_Step] = []
        for level, index in subtrees(start, end):
            if level >= CACHED_LEVEL and (known := cache.get((level, index))) is not None:
                plan.append(known)
                continue
            base = level - level % STRIDE
            span = range(index << (level - base), (index + 1) << (level - base))
            if base == 0:
                keys = list(span)
                want_leaves.update(keys)
                plan.append((level, index, True, keys))
            else:
                keys = [node_key(base, i) for i in span]
                want_nodes.update(keys)
                plan.append((level, index, False, keys))
        plans.append(plan)
    leaves = store.leaf_hashes(want_leaves)
    stored = store.node_hashes(want_nodes)
    out: list[bytes] = []
    for plan in plans:
        parts: list[bytes] = []
        for step in plan:
            if isinstance(step, bytes):
                parts.append(step)
                continue
            level, index, is_leaf, keys = step
            found = leaves if is_leaf else stored
            try:
                part = complete_root([found[k] for k in keys])
            except KeyError as error:
                what = "leaf" if is_leaf else "tree node"
                raise LedgerUnavailable(f"ledger {what} {error} is missing") from error
            if level >= CACHED_LEVEL:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                cache[level, index] = part
            parts.append(part)
        out.append(fold(parts))
    return out


def root_at(store: LedgerStore, size: int) -> bytes:
    """The root hash of the first ``size`` entries."""
    return range_hashes(store, [(0, size)])[0] if size else EMPTY_ROOT


def inclusion_proof(store: LedgerStore, index: int, size: int) -> InclusionProof:
    """Proof that entry ``index`` is in the tree of ``size`` entries."""
    ranges = inclusion_ranges(index, size)
    hashes = range_hashes(store, [*ranges, (index, index + 1)])
    return InclusionProof(index, size, hashes[-1], tuple(hashes[:-1]))


def consistency_proof(store: LedgerStore, old: int, new: int) -> list[bytes]:
    """Proof that the tree of ``new`` entries extends the tree of ``old`` entries."""
    return range_hashes(store, consistency_ranges(old, new))


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
