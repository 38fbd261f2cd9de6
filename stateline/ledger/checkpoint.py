"""C2SP signed notes, ``tlog-checkpoint`` checkpoints and ``tlog-cosignature`` cosignatures.

A checkpoint is the note text ``<origin>\\n<size>\\n<base64 root>\\n``; a signed note is that
text, a blank line, and one line per signature, ``— <key name> <base64(key ID || signature)>``
(c2sp.org/signed-note). The log signs with Ed25519 (signature type 0x01, the signature over
the note text); a witness cosigns with a timestamped Ed25519 cosignature (type 0x04): eight
bytes of big-endian POSIX time then the signature over ``cosignature/v1\\ntime <t>\\n`` followed
by the note text (c2sp.org/tlog-cosignature). Key IDs are ``SHA-256(name || 0x0A || type ||
public key)[:4]``; keys travel as the Go ``sumdb/note`` strings: ``name+hash+base64(type ||
key)`` for verifiers, ``PRIVATE+KEY+name+hash+base64(type || seed)`` for signers.

Pure functions: keys and times come in as arguments.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
"""Signature type of a log's own Ed25519 signature."""
COSIGNATURE_V1 = 0x04
"""Signature type of a timestamped Ed25519 witness cosignature."""
MAX_SIGNATURES = 100
"""Signature lines a note may carry; the signed-note spec asks verifiers to accept 16."""

_DASH = "\u2014"
_ALGORITHMS = (ED25519, COSIGNATURE_V1)


class NoteError(ValueError):
    """A note, checkpoint, key or signature that is malformed or does not verify."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError(f"{what} is not base64") from error


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: header line, time line, then the note text."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


@dataclass(frozen=True, slots=True)
class Verifier:
    """A public key that can check one signer's signatures: a log's key or a witness's."""

    name: str
    signature_type: int
    public_key: bytes
    _key_id: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.signature_type not in _ALGORITHMS or len(self.public_key) != 32:
            raise NoteError("only Ed25519 keys (types 0x01 and 0x04) are supported")
        object.__setattr__(self, "_key_id", key_id(self.name, self.signature_type, self.public_key))

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def vkey(self) -> str:
        """The key as a verifier key string: ``name+hash+base64(type || public key)``."""
        raw = bytes([self.signature_type]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{_b64(raw)}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Read a verifier key string; its hash must match its name and key."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise NoteError("a verifier key reads name+hash+key")
        name, hash_hex, key = parts
        raw = _b64decode(key, "verifier key")
        if len(raw) != 33:
            raise NoteError("a verifier key holds a type byte and a 32-byte Ed25519 key")
        verifier = cls(name, raw[0], raw[1:])
        if verifier.key_id.hex() != hash_hex:
            raise NoteError(f"verifier key hash {hash_hex} does not match its name and key")
        return verifier

    def verify(self, text: str, signature: bytes) -> int | None:
        """Check ``signature`` (without the key ID) over the note ``text``.

        Returns the cosignature's timestamp for a witness key, 0 for a log key, and ``None``
        when the signature does not verify.
        """
        key = Ed25519PublicKey.from_public_bytes(self.public_key)
        timestamp = 0
        message = text.encode()
        if self.signature_type == COSIGNATURE_V1:
            if len(signature) != 72:
                return None
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp >= 1 << 63:
                return None
            message, signature = cosignature_message(text, timestamp), signature[8:]
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return None
        return timestamp


@dataclass(frozen=True, slots=True)
class Signer:
    """A private Ed25519 key with its name: signs notes (type 0x01) or cosigns (type 0x04)."""

    name: str
    private_key: Ed25519PrivateKey
    signature_type: int = ED25519
    # Derived once: every append signs a head, and deriving the key id costs more than that.
    _verifier: Verifier = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        public = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "_verifier", Verifier(self.name, self.signature_type, public))

    @classmethod
    def generate(cls, name: str, signature_type: int = ED25519) -> Signer:
        """A new random key."""
        return cls(name, Ed25519PrivateKey.generate(), signature_type)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Read a signer key string ``PRIVATE+KEY+name+hash+base64(type || seed)``."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key reads PRIVATE+KEY+name+hash+key")
        raw = _b64decode(parts[4], "signer key")
        if len(raw) != 33 or raw[0] not in _ALGORITHMS:
            raise NoteError("a signer key holds a type byte and a 32-byte Ed25519 seed")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]), raw[0])
        if signer.verifier.key_id.hex() != parts[3]:
            raise NoteError("signer key hash does not match its name and key")
        return signer

    @property
    def public_key(self) -> bytes:
        return self._verifier.public_key

    @property
    def verifier(self) -> Verifier:
        return self._verifier

    @property
    def skey(self) -> str:
        """The key as a signer key string (secret: store it with mode 0600)."""
        seed = self.private_key.private_bytes_raw()
        raw = bytes([self.signature_type]) + seed
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{_b64(raw)}"

    def sign(self, text: str, timestamp: int = 0) -> Signature:
        """Sign the note ``text``; a cosigner signs it as of ``timestamp`` (POSIX seconds)."""
        kid = self.verifier.key_id
        if self.signature_type == COSIGNATURE_V1:
            if not 0 < timestamp < 1 << 63:
                raise NoteError("a cosignature needs a POSIX time between 1 and 2**63 - 1")
            blob = timestamp.to_bytes(8, "big") + self.private_key.sign(
                cosignature_message(text, timestamp)
            )
        else:
            blob = self.private_key.sign(text.encode())
        return Signature(self.name, kid, blob)


@dataclass(frozen=True, slots=True)
class Signature:
    """One signature line of a note: key name, key ID and the signature bytes after the ID."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        return f"{_DASH} {self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A signed note: its text (ending in a newline) and its signatures."""

    text: str
    signatures: tuple[Signature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)

    def with_signatures(self, *more: Signature) -> Note:
        """The same note with more signatures (a signature already present is not repeated)."""
        seen = set(self.signatures)
        added = tuple(s for s in more if s not in seen)
        return Note(self.text, self.signatures + added)


def parse_note(note: str) -> Note:
    """Split a signed note into its text and signature lines; raises :class:`NoteError`."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note holds no control characters but newlines")
    if not note.endswith("\n"):
        raise NoteError("a note ends with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a note needs a blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise NoteError("a note needs at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    signatures: list[Signature] = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != _DASH:
            raise NoteError(f"malformed signature line {line[:80]!r}")
        _check_name(parts[1])
        blob = _b64decode(parts[2], "signature")
        if len(blob) < 5:
            raise NoteError("a signature holds a 4-byte key ID and a signature")
        signatures.append(Signature(parts[1], blob[:4], blob[4:]))
    return Note(text, tuple(signatures))


def sign_note(text: str, *signers: Signer) -> str:
    """``text`` signed by each signer (all of them type 0x01 keys)."""
    if not text.endswith("\n"):
        raise NoteError("note text ends with a newline")
    return str(Note(text, tuple(s.sign(text) for s in signers)))


def open_note(note: str | Note, verifiers: Iterable[Verifier]) -> tuple[Note, dict[str, int]]:
    """Parse ``note`` and check every signature made by a known key.

    Returns the note and, for each verifier key that signed it, the signature's timestamp
    (0 for a log key). Signatures by unknown keys are ignored; a known key's signature that
    fails rejects the whole note, and so does a note no known key signed.
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[str, int] = {}
    for signature in parsed.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        when = verifier.verify(parsed.text, signature.signature)
        if when is None:
            raise NoteError(f"signature by {verifier.vkey} does not verify")
        verified[verifier.vkey] = when
    if not verified:
        raise NoteError("no signature by a known key")
    return parsed, verified


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: its origin, its size and the root hash at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The checkpoint as note text (c2sp.org/tlog-checkpoint)."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read checkpoint note text; raises :class:`NoteError`."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("a checkpoint is at least three non-empty lines")
        origin, size, root = lines[0], lines[1], lines[2]
        if not size.isascii() or not size.isdigit() or (size != "0" and size[0] == "0"):
            raise NoteError(f"tree size {size[:24]!r} is not a decimal without leading zeros")
        digest = _b64decode(root, "root hash")
        if len(digest) != 32 or _b64(digest) != root:
            raise NoteError("the root hash is 32 bytes in standard base64")
        return cls(origin, int(size), digest, tuple(lines[3:-1]))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The checkpoint as a signed note, signed by the log's key."""
    return sign_note(checkpoint.text, signer)


def open_checkpoint(
    note: str | Note, log: Verifier | Iterable[Verifier], origin: str | None = None
) -> Checkpoint:
    """The checkpoint in ``note`` once one of the log's keys has verified it.

    ``origin``, when given, must match the checkpoint's first line. Raises :class:`NoteError`.
    """
    keys = [log] if isinstance(log, Verifier) else list(log)
    parsed, _ = open_note(note, [k for k in keys if k.signature_type == ED25519])
    checkpoint = Checkpoint.parse(parsed.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint of {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def cosign(note: str | Note, witness: Signer, timestamp: int) -> Note:
    """``note`` with the witness's cosignature/v1 added, made as of ``timestamp``."""
    if witness.signature_type != COSIGNATURE_V1:
        raise NoteError("a witness cosigns with a cosignature/v1 (type 0x04) key")
    parsed = note if isinstance(note, Note) else parse_note(note)
    Checkpoint.parse(parsed.text)  # a witness cosigns checkpoints, nothing else
    return parsed.with_signatures(witness.sign(parsed.text, timestamp))


def verify_cosignature(note: str | Note, witness: Verifier) -> int:
    """The time the witness cosigned ``note``; raises :class:`NoteError` if it did not."""
    if witness.signature_type != COSIGNATURE_V1:
        raise NoteError("not a witness (cosignature/v1) key")
    _, verified = open_note(note, [witness])
    return verified[witness.vkey]
