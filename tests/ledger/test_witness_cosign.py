"""The witness cosigns consistent checkpoints and refuses rollbacks and forks."""

from __future__ import annotations

import pytest

from stateline.ledger import merkle
from stateline.ledger.checkpoint import (
    COSIGNATURE_V1,
    Checkpoint,
    Signer,
    sign_checkpoint,
    verify_cosignature,
)
from stateline.ledger.witness.cosign import (
    Refusal,
    Witness,
    WitnessRefused,
    WitnessState,
    decode_proof,
    encode_proof,
)

ORIGIN = "stateline/ledger/NY"
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]
OTHER = [merkle.leaf_hash(f"other {i}".encode()) for i in range(40)]


def note(log: Signer, leaves: list[bytes], size: int) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, merkle.root(leaves[:size])), log)


def setup() -> tuple[Signer, Witness]:
    log = Signer.generate(ORIGIN)
    witness = Witness(
        Signer.generate("stateline/witness/NJ", COSIGNATURE_V1), {ORIGIN: [log.verifier]}
    )
    return log, witness


def test_cosigns_a_growing_log() -> None:
    log, witness = setup()
    state = WitnessState()
    cosigned, state = witness.cosign(state, note(log, LEAVES, 10), [], 1_700_000_000)
    assert verify_cosignature(cosigned, witness.signer.verifier) == 1_700_000_000
    proof = decode_proof(encode_proof(merkle.consistency_proof(10, LEAVES[:25])))
    _, state = witness.cosign(state, note(log, LEAVES, 25), proof, 1_700_000_100)
    _, state = witness.cosign(state, note(log, LEAVES, 25), [], 1_700_000_200)  # same again
    last = state.checkpoint(ORIGIN)
    assert last is not None and last.size == 25


def test_refuses_rollback_fork_bad_signature_and_unknown_logs() -> None:
    log, witness = setup()
    _, state = witness.cosign(WitnessState(), note(log, LEAVES, 20), [], 1)
    with pytest.raises(WitnessRefused) as refused:
        witness.cosign(state, note(log, LEAVES, 10), [], 2)
    assert refused.value.reason is Refusal.ROLLBACK
    # The log went back to size 10 and wrote another history up to 30.
    forked = LEAVES[:10] + OTHER[10:30]
    proof = merkle.consistency_proof(20, forked[:30])
    with pytest.raises(WitnessRefused) as refused:
        witness.cosign(state, note(log, forked, 30), proof, 3)
    assert refused.value.reason is Refusal.FORK
    with pytest.raises(WitnessRefused) as refused:
        witness.cosign(state, note(log, forked, 20), [], 3)
    assert refused.value.reason is Refusal.FORK
    impostor = Signer.generate(ORIGIN)
    with pytest.raises(WitnessRefused) as refused:
        witness.cosign(
            state, note(impostor, LEAVES, 30), merkle.consistency_proof(20, LEAVES[:30]), 4
        )
    assert refused.value.reason is Refusal.BAD_SIGNATURE
    stranger = Signer.generate("elsewhere/log")
    foreign = sign_checkpoint(Checkpoint("elsewhere/log", 1, LEAVES[0]), stranger)
    with pytest.raises(WitnessRefused) as refused:
        witness.cosign(state, foreign, [], 5)
    assert refused.value.reason is Refusal.UNKNOWN_LOG
