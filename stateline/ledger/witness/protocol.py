"""The witness protocol over HTTP (c2sp.org/tlog-witness): its requests and answers, as data.

A log asks a witness to cosign with ``POST <prefix>/add-checkpoint``: the size of the last
checkpoint the witness cosigned for it (``old N``), the consistency proof from that size, a
blank line, then the signed checkpoint. The witness answers 200 with its cosignature lines, or:

- 400: a malformed request, an old size above the checkpoint's, or a proof from size 0;
- 403: no signature from a key the witness trusts for the log;
- 404: a log the witness does not know;
- 409: an old size that is not the one it last cosigned (the body says which, as
  ``text/x.tlog.size``), or the same size with another root;
- 422: a consistency proof that does not verify.

Pure: the witness's memory comes in and goes out as :class:`WitnessState`; the server that
speaks HTTP persists it before it answers, under a lock, so two requests never race.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from stateline.ledger.checkpoint import Note, NoteError, open_checkpoint, parse_note
from stateline.ledger.witness.cosign import Refusal, Witness, WitnessRefused, WitnessState

MAX_PROOF = 63
"""Consistency proof lines a request may carry (the protocol's limit)."""
SIZE_TYPE = "text/x.tlog.size"
"""The content type of a 409 answer that gives the size last cosigned."""


class ProtocolError(ValueError):
    """A request the protocol does not allow: answered 400."""


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """One ``add-checkpoint`` request."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def body(self) -> bytes:
        """The request body, as a log sends it."""
        lines = [f"old {self.old_size}"]
        lines += [base64.b64encode(h).decode("ascii") for h in self.proof]
        return ("\n".join(lines) + "\n\n" + self.note).encode()


@dataclass(frozen=True, slots=True)
class Answer:
    """The witness's answer: HTTP status, content type, body, and its memory after."""

    status: int
    content_type: str
    body: bytes
    state: WitnessState


def parse_request(body: bytes) -> AddCheckpoint:
    """Read an ``add-checkpoint`` body; raises :class:`ProtocolError`."""
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        raise ProtocolError("the body is not UTF-8") from error
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ProtocolError("no blank line before the checkpoint")
    lines = head.split("\n")
    first, proof_lines = lines[0], lines[1:]
    if not first.startswith("old ") or not _decimal(first[4:]):
        raise ProtocolError("the first line is 'old' and a size in decimal")
    if len(proof_lines) > MAX_PROOF:
        raise ProtocolError(f"at most {MAX_PROOF} proof lines")
    try:
        proof = tuple(base64.b64decode(line, validate=True) for line in proof_lines)
    except (binascii.Error, ValueError) as error:
        raise ProtocolError("a proof line is not base64") from error
    if any(len(h) != 32 for h in proof):
        raise ProtocolError("a proof line is not a SHA-256 hash")
    return AddCheckpoint(int(first[4:]), proof, note)


def _decimal(value: str) -> bool:
    return value.isdigit() and value.isascii() and (value == "0" or not value.startswith("0"))


def add_checkpoint(
    witness: Witness, state: WitnessState, request: AddCheckpoint, now: int
) -> Answer:
    """Answer one request as the protocol says; ``state`` is the witness's memory."""
    try:
        parsed = parse_note(request.note)
    except NoteError as error:
        return _plain(400, f"not a signed note: {error}", state)
    origin = parsed.text.split("\n", 1)[0]
    keys = witness.logs.get(origin)
    if not keys:
        return _plain(404, "unknown log", state)
    try:
        new = open_checkpoint(parsed, keys, origin)
    except NoteError:
        return _plain(403, "no signature from a key this witness trusts", state)
    if request.old_size > new.size:
        return _plain(400, "the old size is above the checkpoint's", state)
    last = state.checkpoint(origin)
    seen = last.size if last is not None else 0
    if request.old_size != seen:
        return Answer(409, SIZE_TYPE, f"{seen}\n".encode(), state)
    if request.old_size == 0 and request.proof:
        return _plain(400, "a proof from size 0 must be empty", state)
    try:
        cosigned, after = witness.cosign(state, request.note, request.proof, now)
    except WitnessRefused as refusal:
        same_size = last is not None and last.size == new.size
        status = 409 if refusal.reason is Refusal.ROLLBACK or same_size else 422
        return _plain(status, str(refusal), state)
    mine = witness.signer.verifier
    lines = [s.line for s in cosigned.signatures if s.name == mine.name and s.key_id == mine.key_id]
    return Answer(200, "text/plain; charset=utf-8", "".join(lines).encode(), after)


def _plain(status: int, message: str, state: WitnessState) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", f"{message}\n".encode(), state)


def with_cosignatures(note: str, answer: bytes) -> Note:
    """The log's checkpoint with the witness's answered cosignature lines added (the log
    then verifies them with the witness's key before it keeps them)."""
    parsed = parse_note(note)
    lines = answer.decode().splitlines(keepends=True)
    extra = parse_note("x\n\n" + "".join(lines)).signatures
    return Note(parsed.text, (*parsed.signatures, *extra))
