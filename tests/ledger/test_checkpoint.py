"""C2SP signed notes, checkpoints and cosignatures, against the published examples."""

from __future__ import annotations

import base64

import pytest

from stateline.ledger.checkpoint import (
    COSIGNATURE_V1,
    Checkpoint,
    Note,
    NoteError,
    Signer,
    Verifier,
    cosign,
    cosignature_message,
    key_id,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    sign_note,
    verify_cosignature,
)
from stateline.ledger.merkle import EMPTY_ROOT

# golang.org/x/mod/sumdb/note's example key and note (note_test.go): Ed25519 is deterministic,
# so signing the same text with the same key must give the published note byte for byte.
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NOTE = (
    TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/tlog-cosignature's example: a cosignature line and the time its message shows.
SPEC_COSIGNATURE = (
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)


def test_the_go_reference_note_byte_for_byte() -> None:
    signer = Signer.parse(SKEY)
    assert signer.skey == SKEY
    assert signer.verifier == Verifier.parse(VKEY)
    assert signer.verifier.vkey == VKEY
    assert sign_note(TEXT, signer) == NOTE
    note, verified = open_note(NOTE, [Verifier.parse(VKEY)])
    assert note.text == TEXT and verified == {VKEY: 0}


def test_mangled_verifier_keys_are_refused() -> None:
    raw = VKEY.encode()
    for i in range(len(raw)):
        mangled = bytearray(raw)
        mangled[i] = (mangled[i] + 1) % 128
        with pytest.raises(NoteError):
            Verifier.parse(mangled.decode("ascii", "replace"))
    for cut in (VKEY[:-1], VKEY[1:], "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq"):
        with pytest.raises(NoteError):
            Verifier.parse(cut)


def test_the_spec_cosignature_carries_key_id_time_and_signature() -> None:
    blob = base64.b64decode(SPEC_COSIGNATURE)
    assert len(blob) == 4 + 8 + 64
    assert int.from_bytes(blob[4:12], "big") == 1679315147  # "time 1679315147" in the spec


def test_cosignature_message_is_the_spec_preimage() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + body.encode()
    )


def test_key_ids_follow_the_signed_note_recipe() -> None:
    verifier = Verifier.parse(VKEY)
    assert key_id("PeterNeumann", 0x01, verifier.public_key).hex() == "c74f20a3"
    witness = Verifier("PeterNeumann", COSIGNATURE_V1, verifier.public_key)
    assert witness.key_id != verifier.key_id  # same key, another type: another ID


def log_and_witness() -> tuple[Signer, Signer, str]:
    log = Signer.generate("stateline/ledger/NY")
    witness = Signer.generate("stateline/witness/NJ", COSIGNATURE_V1)
    note = sign_checkpoint(Checkpoint("stateline/ledger/NY", 7, bytes(range(32))), log)
    return log, witness, note


def test_checkpoint_round_trip() -> None:
    log, _witness, note = log_and_witness()
    checkpoint = open_checkpoint(note, log.verifier, "stateline/ledger/NY")
    assert checkpoint == Checkpoint("stateline/ledger/NY", 7, bytes(range(32)))
    assert note.startswith(
        "stateline/ledger/NY\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n"
    )
    empty = Checkpoint("o", 0, EMPTY_ROOT)
    assert Checkpoint.parse(empty.text) == empty
    with pytest.raises(NoteError):
        open_checkpoint(note, log.verifier, "stateline/ledger/NJ")


@pytest.mark.parametrize(
    "text",
    ["o\n07\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "o\n7\nAAEC\n", "o\n7\n",
     "o\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
     "o\n7\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n"],
)  # fmt: skip
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_cosign_and_verify() -> None:
    log, witness, note = log_and_witness()
    cosigned = cosign(note, witness, 1_760_000_000)
    assert verify_cosignature(cosigned, witness.verifier) == 1_760_000_000
    both = str(cosigned)
    assert open_checkpoint(both, log.verifier).size == 7  # the log ignores the witness's line
    line = both.splitlines()[-1]
    assert len(base64.b64decode(line.split(" ")[2])) == 4 + 8 + 64


def test_forged_signatures_are_detected() -> None:
    log, witness, note = log_and_witness()
    impostor = Signer.generate(log.name)  # same name, another key: another key ID
    forged = sign_checkpoint(Checkpoint(log.name, 7, bytes(32)), impostor)
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_checkpoint(forged, log.verifier)
    parsed = parse_note(note)
    bad = parsed.signatures[0]
    flipped = type(bad)(bad.name, bad.key_id, bytes([bad.signature[0] ^ 1]) + bad.signature[1:])
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(str(Note(parsed.text, (flipped,))), log.verifier)
    changed = note.replace("\n7\n", "\n8\n")
    with pytest.raises(NoteError):
        open_checkpoint(changed, log.verifier)
    cosigned = str(cosign(note, witness, 1_760_000_000))
    blob = base64.b64decode(cosigned.splitlines()[-1].split(" ")[2])
    later = blob[:4] + (1_760_000_001).to_bytes(8, "big") + blob[12:]  # a moved timestamp
    moved = cosigned.rsplit("\n", 2)[0] + "\n— " + witness.name + " "
    moved += base64.b64encode(later).decode() + "\n"
    with pytest.raises(NoteError):
        verify_cosignature(moved, witness.verifier)
    with pytest.raises(NoteError):
        verify_cosignature(note, witness.verifier)  # no cosignature at all
    with pytest.raises(NoteError):
        cosign(note, log, 1)  # a log key does not cosign


@pytest.mark.parametrize(
    "note",
    [TEXT, TEXT + "\n", TEXT + "\n— PeterNeumann\n", TEXT + "\n- PeterNeumann AAAA\n",
     TEXT + "\n— PeterNeumann !!!!\n", "a\x01b\n\n— k AAAAAAA=\n", NOTE[:-1]],
)  # fmt: skip
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        parse_note(note)
