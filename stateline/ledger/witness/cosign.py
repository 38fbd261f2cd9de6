"""A witness: it cosigns a log's checkpoint only if it extends the last one it cosigned.

A witness remembers, per origin, the last checkpoint it cosigned. Shown a new checkpoint and a
consistency proof from that size, it checks the log's signature and the proof, then cosigns
(c2sp.org/tlog-cosignature) and remembers the new one. It refuses, with a reason, a checkpoint
from an unknown log, a bad signature, a smaller tree (rollback), a different root at the same
size or a proof that fails (fork). Once a witness has cosigned a size, the log cannot present
a history without those entries to anyone who asks for the witness's cosignature.

The witness is pure: its memory comes in and goes out as :class:`WitnessState`; the hub or a
node persists it (``LedgerStore.remember_witnessed``) before publishing the cosignature.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from stateline.ledger.checkpoint import (
    Checkpoint,
    Note,
    NoteError,
    Signer,
    Verifier,
    cosign,
    open_checkpoint,
    parse_note,
)
from stateline.ledger.merkle import ProofError, verify_consistency


class Refusal(Enum):
    """Why a witness will not cosign."""

    UNKNOWN_LOG = "unknown log"
    BAD_SIGNATURE = "checkpoint signature does not verify"
    ROLLBACK = "smaller than a checkpoint already cosigned"
    FORK = "inconsistent with a checkpoint already cosigned"


class WitnessRefused(Exception):
    """The witness refused to cosign; ``reason`` says why, ``detail`` how."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class WitnessState:
    """The last checkpoint note cosigned per origin."""

    last: Mapping[str, str] = field(default_factory=dict)

    def checkpoint(self, origin: str) -> Checkpoint | None:
        note = self.last.get(origin)
        return Checkpoint.parse(parse_note(note).text) if note is not None else None


@dataclass(frozen=True, slots=True)
class Witness:
    """A cosigner for a set of logs, each known by its origin and verifier keys."""

    signer: Signer
    logs: Mapping[str, Sequence[Verifier]]

    def cosign(
        self,
        state: WitnessState,
        note: str,
        proof: Sequence[bytes],
        timestamp: int,
    ) -> tuple[Note, WitnessState]:
        """Cosign ``note`` if it extends what this witness has seen of its log.

        ``proof`` is the consistency proof from the last cosigned size (empty the first time);
        ``timestamp`` the POSIX time to cosign as of. Returns the cosigned note and the new
        state; raises :class:`WitnessRefused`.
        """
        try:
            parsed = parse_note(note)
            origin = parsed.text.split("\n", 1)[0]
        except NoteError as error:
            raise WitnessRefused(Refusal.BAD_SIGNATURE, str(error)) from error
        keys = self.logs.get(origin)
        if not keys:
            raise WitnessRefused(Refusal.UNKNOWN_LOG, repr(origin))
        try:
            new = open_checkpoint(parsed, keys, origin)
        except NoteError as error:
            raise WitnessRefused(Refusal.BAD_SIGNATURE, str(error)) from error
        old = state.checkpoint(origin)
        if old is not None:
            if new.size < old.size:
                raise WitnessRefused(
                    Refusal.ROLLBACK, f"size {new.size}, already cosigned size {old.size}"
                )
            try:
                verify_consistency(old.size, new.size, old.root, new.root, proof)
            except ProofError as error:
                raise WitnessRefused(Refusal.FORK, str(error)) from error
        cosigned = cosign(Note(parsed.text, parsed.signatures), self.signer, timestamp)
        remembered = dict(state.last)
        remembered[origin] = str(Note(parsed.text, parsed.signatures))
        return cosigned, WitnessState(remembered)


def encode_proof(proof: Sequence[bytes]) -> list[str]:
    """A proof's hashes as base64 strings (how proofs travel in JSON)."""
    return [base64.b64encode(h).decode("ascii") for h in proof]


def decode_proof(proof: Sequence[str]) -> list[bytes]:
    """The hashes of a proof given as base64 strings; raises ``ValueError``."""
    return [base64.b64decode(h, validate=True) for h in proof]
