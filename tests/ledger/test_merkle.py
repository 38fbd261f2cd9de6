"""RFC 9162 Merkle maths against the certificate-transparency test vectors and pymerkle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from stateline.ledger import merkle
from stateline.ledger.merkle import CompactRange, ProofError


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# The eight leaves, roots, inclusion and consistency proofs used by certificate-transparency
# implementations (transparency-dev/merkle proof/verify_test.go, from google/
# certificate-transparency's merkle_tree_test). Inclusion indexes there count from 1.
LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [h(x) for x in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]  # fmt: skip
INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert merkle.root([]) == merkle.EMPTY_ROOT == CompactRange().root()
    assert merkle.EMPTY_ROOT.hex().startswith("e3b0c442")


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_eight_standard_leaves(size: int) -> None:
    assert merkle.mth(LEAVES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_vectors_and_verify(
    leaf: int, size: int, path: list[str]
) -> None:
    proof = merkle.inclusion_proof(leaf - 1, HASHES[:size])
    assert proof == [h(p) for p in path]
    merkle.verify_inclusion(leaf - 1, size, HASHES[leaf - 1], proof, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors_and_verify(
    old: int, new: int, path: list[str]
) -> None:
    proof = merkle.consistency_proof(old, HASHES[:new])
    assert proof == [h(p) for p in path]
    merkle.verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def inclusion_forgeries(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):  # type: ignore[no-untyped-def]
    yield index - 1, size, leaf, proof, root
    yield index + 1, size, leaf, proof, root
    yield index ^ 2, size, leaf, proof, root
    yield index, size * 2, leaf, proof, root
    yield index, size // 2, leaf, proof, root
    yield index, size, b"WrongLeaf", proof, root
    yield index, size, leaf, proof, merkle.EMPTY_ROOT
    yield index, size, leaf, proof, SOME_HASH
    yield index, size, leaf, [*proof, b""], root
    yield index, size, leaf, [*proof, root], root
    yield index, size, leaf, [b"", *proof], root
    yield index, size, leaf, [root, *proof], root
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        yield index, size, leaf, flipped, root
    if proof:
        yield index, size, leaf, proof[:-1], root
    if len(proof) > 1:
        yield index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_are_refused(leaf: int, size: int, path: list[str]) -> None:
    proof = [h(p) for p in path]
    for probe in inclusion_forgeries(leaf - 1, size, proof, ROOTS[size - 1], HASHES[leaf - 1]):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_are_refused(old: int, new: int, path: list[str]) -> None:
    proof = [h(p) for p in path]
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof), (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof), (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof), (old, new, r2, r1, proof),
        (old, new, r1, r2, []), (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]), (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]), (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]), (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]  # fmt: skip
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for probe in probes:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*probe)


def test_trivial_consistency_cases_as_certificate_transparency_decides_them() -> None:
    r1, r2 = b"don't care 1", b"don't care 2"
    merkle.verify_consistency(0, 0, r1, r1, [])
    merkle.verify_consistency(0, 1, r1, r2, [])
    merkle.verify_consistency(1, 1, r2, r2, [])
    for old, new, a, b, proof in [
        (0, 0, r1, r2, []), (1, 1, r1, r2, []), (1, 0, r1, r2, []), (2, 1, r1, r2, []),
        (1, 2, r1, r2, []), (0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [merkle.EMPTY_ROOT]),
        (1, 1, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [merkle.EMPTY_ROOT]),
    ]:  # fmt: skip
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, new, a, b, proof)


def test_compact_range_push_and_levels_agree_with_leaf_by_leaf() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(64)]
    one = CompactRange()
    completed = one.extend(hashes[:16], every=1) + one.extend(hashes[16:], every=1)
    other = CompactRange()
    tiers = merkle.levels(hashes[:16])
    assert tiers[4][0] == merkle.root(hashes[:16])
    other.extend(hashes[:16])
    pushed = other.push(4, merkle.root(hashes[16:32]))
    pushed += other.push(5, merkle.root(hashes[32:]))
    assert other.root() == one.root() == merkle.root(hashes)
    assert set(pushed) <= set(completed)
    with pytest.raises(ValueError):
        CompactRange(3, []).push(1, b"x" * 32)


def pymerkle_tree(data: list[bytes]) -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")
    for item in data:
        tree.append_entry(item)
    return tree


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=20), min_size=1, max_size=140), st.data())
def test_agrees_with_pymerkle(data: list[bytes], draw: st.DataObject) -> None:
    """pymerkle is an independent RFC 9162 implementation: same roots at every size, and
    its audit paths (after the leaf it puts first) are ours."""
    tree = pymerkle_tree(data)
    hashes = [merkle.leaf_hash(d) for d in data]
    size = len(data)
    compact = CompactRange()
    for n, leaf in enumerate(hashes, 1):
        compact.append(leaf)
        assert compact.root() == tree.get_root(n) == merkle.root(hashes[:n])
    index = draw.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(index, hashes)
    theirs = tree.prove_inclusion(index + 1, size).serialize()["path"]
    assert [bytes.fromhex(x) for x in theirs[1:]] == proof
    merkle.verify_inclusion(index, size, hashes[index], proof, tree.get_root(size))
    old = draw.draw(st.integers(1, size))
    consistency = merkle.consistency_proof(old, hashes)
    merkle.verify_consistency(old, size, tree.get_root(old), tree.get_root(size), consistency)
