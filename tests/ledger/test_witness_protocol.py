"""The witness protocol (c2sp.org/tlog-witness): every answer the spec names, from pure data."""

from __future__ import annotations

import pytest

from stateline.ledger import merkle
from stateline.ledger.checkpoint import (
    COSIGNATURE_V1,
    Checkpoint,
    Signer,
    open_note,
    sign_checkpoint,
)
from stateline.ledger.witness.cosign import Witness, WitnessState
from stateline.ledger.witness.protocol import (
    SIZE_TYPE,
    AddCheckpoint,
    ProtocolError,
    add_checkpoint,
    parse_request,
    with_cosignatures,
)

ORIGIN = "stateline/ledger/NY"
LOG = Signer.generate(ORIGIN)
HUB = Signer.generate("stateline/witness/HUB", COSIGNATURE_V1)
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]
WITNESS = Witness(HUB, {ORIGIN: [LOG.verifier]})


def note_at(size: int, signer: Signer = LOG, leaves: list[bytes] = LEAVES) -> str:
    return sign_checkpoint(Checkpoint(signer.name, size, merkle.root(leaves[:size])), signer)


def offer(old: int, size: int, proof: list[bytes] | None = None) -> AddCheckpoint:
    if proof is None:
        proof = merkle.consistency_proof(old, LEAVES[:size]) if old else []
    return AddCheckpoint(old, tuple(proof), note_at(size))


def test_first_cosignature_then_growth_with_a_proof() -> None:
    first = add_checkpoint(WITNESS, WitnessState(), offer(0, 10), 1_800_000_000)
    assert first.status == 200
    assert first.body.decode().startswith("— stateline/witness/HUB ")
    _note, verified = open_note(str(with_cosignatures(note_at(10), first.body)), [HUB.verifier])
    assert verified[HUB.verifier.vkey] == 1_800_000_000
    grown = add_checkpoint(WITNESS, first.state, offer(10, 25), 1_800_000_060)
    assert grown.status == 200
    assert WitnessState(grown.state.last).checkpoint(ORIGIN) == Checkpoint(
        ORIGIN, 25, merkle.root(LEAVES[:25])
    )


def test_a_stale_old_size_gets_409_with_the_size_last_cosigned() -> None:
    seen = add_checkpoint(WITNESS, WitnessState(), offer(0, 10), 1).state
    answer = add_checkpoint(WITNESS, seen, offer(0, 25), 2)
    assert (answer.status, answer.content_type, answer.body) == (409, SIZE_TYPE, b"10\n")
    assert answer.state == seen  # nothing remembered


def test_refusals_by_status() -> None:
    seen = add_checkpoint(WITNESS, WitnessState(), offer(0, 10), 1).state
    wrong = [b"\x00" * 32] * len(merkle.consistency_proof(10, LEAVES[:25]))
    assert add_checkpoint(WITNESS, seen, offer(10, 25, wrong), 2).status == 422
    forked = [merkle.leaf_hash(b"forged"), *LEAVES[1:]]
    other = AddCheckpoint(10, (), note_at(10, leaves=forked))
    assert add_checkpoint(WITNESS, seen, other, 2).status == 409  # same size, other root
    stranger = Signer.generate("stateline/ledger/ZZ")
    assert (
        add_checkpoint(WITNESS, seen, AddCheckpoint(0, (), note_at(5, stranger)), 2).status == 404
    )
    impostor = Signer.generate(ORIGIN)  # the right name, not the log's key
    assert (
        add_checkpoint(WITNESS, seen, AddCheckpoint(10, (), note_at(12, impostor)), 2).status == 403
    )
    assert add_checkpoint(WITNESS, seen, offer(30, 25, []), 2).status == 400  # old above new
    fresh = add_checkpoint(WITNESS, WitnessState(), offer(0, 10, [LEAVES[0]]), 2)
    assert fresh.status == 400  # a proof from size 0 must be empty


def test_requests_round_trip_and_malformed_ones_are_refused() -> None:
    request = offer(10, 25)
    assert parse_request(request.body()) == request
    for bad in (
        b"old 10\n" + note_at(25).encode(),  # no blank line
        b"old 010\n\n" + note_at(25).encode(),  # leading zero
        b"new 10\n\n" + note_at(25).encode(),
        b"old 10\nnot-base64!\n\n" + note_at(25).encode(),
        b"old 10\nAAAA\n\n" + note_at(25).encode(),  # not a hash
        b"old 10\n" + b"\n".join([b"A" * 43 + b"="] * 64) + b"\n\n" + note_at(25).encode(),
        b"\xff\xfe",
    ):
        with pytest.raises(ProtocolError):
            parse_request(bad)
