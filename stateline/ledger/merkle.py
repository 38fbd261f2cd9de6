"""RFC 9162 (RFC 6962) Merkle tree maths: hashes, tree heads, proofs and the compact range.

Everything here is pure and needs nothing beyond :mod:`hashlib`. Leaves and tree sizes follow
RFC 9162 §2.1: a leaf hash is ``SHA-256(0x00 || data)``, an interior node ``SHA-256(0x01 ||
left || right)``, and the tree over ``n`` leaves splits at the largest power of two below ``n``.

Proofs are planned as *ranges* first (:func:`inclusion_ranges`, :func:`consistency_ranges`):
each element of a proof is the Merkle tree hash of one range of leaves. Storage reads only the
hashes those ranges need (:func:`subtrees` splits a range into complete subtrees), so a proof
from a log of any size costs O(log n) reads; :func:`inclusion_proof` and
:func:`consistency_proof` do the same over a list of leaf hashes held in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree (RFC 9162 §2.1.1: the hash of the empty string)."""

_sha256 = hashlib.sha256
Node = tuple[int, int, bytes]
"""A complete subtree: its level (0 for a leaf), its index among nodes of that level, its hash."""


class ProofError(ValueError):
    """A proof does not verify, or asks for sizes or indexes a tree cannot have."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: ``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def split(size: int) -> int:
    """The largest power of two strictly below ``size`` (``size`` > 1): where RFC 9162 splits."""
    return 1 << ((size - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees ``(level, index)`` that tile leaves ``[start, end)``, left to right.

    For a range that is a node of the RFC tree (``start`` aligned to the power of two at or
    above ``end - start``) the sizes strictly decrease, so the range's hash is the right fold
    of their hashes (:func:`fold`).
    """
    out: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        out.append((level, start >> level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine complete subtree hashes of strictly decreasing size into their tree's hash."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = _sha256(b"\x01" + left + result).digest()
    return result


def complete_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a complete subtree from its 2**k hashes at one level (k >= 0)."""
    level = list(hashes)
    while len(level) > 1:
        level = [
            _sha256(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=True)
        ]
    return level[0]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of a list of leaf hashes."""
    tree = CompactRange()
    tree.extend(leaf_hashes)
    return tree.root()


def mth(data: Iterable[bytes]) -> bytes:
    """The Merkle tree hash of a list of leaf inputs (hashes each leaf first)."""
    return root([leaf_hash(d) for d in data])


def range_hash(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """The Merkle tree hash of leaves ``[start, end)`` held in memory."""
    return fold(
        [complete_root(leaf_hashes[i << lv : (i + 1) << lv]) for lv, i in subtrees(start, end)]
    )


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the inclusion proof of ``index`` in a tree of ``size``.

    RFC 9162 §2.1.3.1, PATH(m, D[n]): leaf first, root last.
    """
    if not 0 <= index < size:
        raise ProofError(f"no leaf {index} in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the consistency proof from ``old`` to ``new`` leaves.

    RFC 9162 §2.1.4.1, SUBPROOF(m, D[n], true); empty when ``old`` is 0 or equals ``new``.
    """
    if not 0 <= old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, m, whole = 0, new, old, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree over ``leaf_hashes``."""
    return [range_hash(leaf_hashes, a, b) for a, b in inclusion_ranges(index, len(leaf_hashes))]


def consistency_proof(old: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The consistency proof from the first ``old`` leaves to all of ``leaf_hashes``."""
    return [range_hash(leaf_hashes, a, b) for a, b in consistency_ranges(old, len(leaf_hashes))]


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` at ``index`` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"no leaf {index} in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` with ``expected_root``.

    Raises :class:`ProofError` when it is not.
    """
    if root_from_inclusion_proof(index, size, leaf, proof) != expected_root:
        raise ProofError(f"inclusion proof of leaf {index} does not lead to the root")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new`` leaves and ``new_root`` extends the one of ``old`` leaves.

    RFC 9162 §2.1.4.2, with the trivial cases (an empty old tree, equal sizes) decided as
    certificate-transparency verifiers decide them. Raises :class:`ProofError`.
    """
    if not 0 <= old <= new:
        raise ProofError(f"size {new} cannot follow size {old}: the log would have shrunk")
    if old == new:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for the same size {old}: a fork")
        return
    if old == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError(f"consistency proof does not lead to the old root at size {old}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not lead to the new root at size {new}")


def frontier(size: int) -> list[tuple[int, int]]:
    """The complete subtrees ``(level, index)`` a compact range of ``size`` leaves holds."""
    return subtrees(0, size)


class CompactRange:
    """The roots of the complete subtrees covering leaves ``[0, size)``: O(log n) hashes.

    Appending a leaf merges equal-sized subtrees (O(1) hashes amortised, O(log n) at worst),
    and :meth:`root` folds at most log2(n) hashes, so the root at any size is at hand without
    recomputing the tree.
    """

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a compact range of {size} leaves holds {size.bit_count()} hashes")
        self.size = size
        self._hashes = list(hashes)

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The subtree roots, largest (leftmost) first, as :func:`frontier` lists them."""
        return tuple(self._hashes)

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self._hashes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        self.extend((leaf,))

    def extend(self, leaves: Iterable[bytes], every: int = 0) -> list[Node]:
        """Add leaf hashes in order; return the interior nodes completed on the way whose level
        is a positive multiple of ``every`` (none when ``every`` is 0), in completion order."""
        hashes, size, sha = self._hashes, self.size, _sha256
        pop, push = hashes.pop, hashes.append
        completed: list[Node] = []
        for h in leaves:
            size += 1
            if size & 1:  # an odd count: the new leaf starts a subtree of its own
                push(h)
                continue
            level, bits = 0, size
            while not bits & 1:
                h = sha(b"\x01" + pop() + h).digest()
                level += 1
                bits >>= 1
                if every and level % every == 0:
                    completed.append((level, (size >> level) - 1, h))
            push(h)
        self.size = size
        return completed

    def push(self, level: int, digest: bytes) -> list[Node]:
        """Add a whole complete subtree of ``2**level`` leaves at once (the size must be a
        multiple of that); return the nodes above it this completes, as :meth:`extend` does
        with ``every=1``."""
        if self.size & ((1 << level) - 1):
            raise ValueError(f"a subtree of level {level} cannot start at leaf {self.size}")
        hashes, h = self._hashes, digest
        size = self.size + (1 << level)
        completed: list[Node] = []
        bits = size >> level
        while not bits & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            level += 1
            bits >>= 1
            completed.append((level, (size >> level) - 1, h))
        hashes.append(h)
        self.size = size
        return completed

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves so far."""
        return fold(self._hashes)


def levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the complete tree over ``2**k`` leaf hashes: ``levels[0]`` the leaves,
    ``levels[k]`` the root alone. Built a level at a time, which is several times faster in
    Python than appending leaf by leaf."""
    out = [list(leaf_hashes)]
    sha = _sha256
    while len(out[-1]) > 1:
        below = out[-1]
        out.append(
            [sha(b"\x01" + a + b).digest() for a, b in zip(below[::2], below[1::2], strict=True)]
        )
    return out
