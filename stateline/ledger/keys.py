"""A node's ledger keys on disk: the log's signing key, its witness key and the subject secret.

Layout of ``<data>/keys/<STATE>/`` (the directory mode 0700, every secret file 0600):

- ``ledger.key`` / ``ledger.vkey``: the log's Ed25519 signer and verifier key strings; the
  key name is the log's origin.
- ``witness.key`` / ``witness.vkey``: the node's cosignature/v1 key, for witnessing others.
- ``subject.key``: the HMAC secret that turns a licence number or a name and date of birth into
  the subject key entries carry.
- ``retired/<key hash>.vkey``: the verifier keys of rotated-out log keys, so checkpoints they
  signed still verify. A retired private key is destroyed: nothing may sign with it again.

Secrets are written to a temporary file created with mode 0600 and renamed into place, so a
crash never leaves a half-written or world-readable key, and loading refuses a secret file that
group or others can read.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stateline.ledger.checkpoint import COSIGNATURE_V1, ED25519, NoteError, Signer, Verifier
from stateline.ledger.entries import AdminChange

LEDGER_KEY = "ledger.key"
LEDGER_VKEY = "ledger.vkey"
WITNESS_KEY = "witness.key"
WITNESS_VKEY = "witness.vkey"
SUBJECT_KEY = "subject.key"
RETIRED = "retired"


class KeyFileError(Exception):
    """A key file is missing, malformed, or readable by others than its owner."""


def origin_for(state: str) -> str:
    """The log origin (and key name) of a state's ledger."""
    return f"stateline/ledger/{state.upper()}"


def witness_name(state: str) -> str:
    """The key name a state's node cosigns other logs' checkpoints under."""
    return f"stateline/witness/{state.upper()}"


@dataclass(frozen=True, slots=True)
class NodeKeys:
    """A node's keys, as loaded from its key directory."""

    directory: Path
    signer: Signer
    witness: Signer
    subject_secret: bytes
    retired: tuple[Verifier, ...] = ()

    @property
    def verifiers(self) -> tuple[Verifier, ...]:
        """The current log key first, then every retired one: all that may have signed."""
        return (self.signer.verifier, *self.retired)


def _write_secret(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_public(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(text)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def _read_secret(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        raise KeyFileError(f"missing key file {path}") from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is readable by others (mode {oct(mode & 0o777)}); chmod 600")
    return path.read_text().strip()


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)


def create(directory: Path, state: str) -> NodeKeys:
    """Generate a node's keys in ``directory``; refuses to overwrite existing ones."""
    if (directory / LEDGER_KEY).exists():
        raise KeyFileError(f"{directory} already holds a ledger key")
    _private_dir(directory)
    signer = Signer.generate(origin_for(state), ED25519)
    witness = Signer.generate(witness_name(state), COSIGNATURE_V1)
    subject_secret = secrets.token_bytes(32)
    _write_secret(directory / SUBJECT_KEY, subject_secret.hex() + "\n")
    _write_secret(directory / WITNESS_KEY, witness.skey + "\n")
    _write_public(directory / WITNESS_VKEY, witness.verifier.vkey + "\n")
    _write_secret(directory / LEDGER_KEY, signer.skey + "\n")
    _write_public(directory / LEDGER_VKEY, signer.verifier.vkey + "\n")
    return NodeKeys(directory, signer, witness, subject_secret)


def load(directory: Path) -> NodeKeys:
    """Read a node's keys; raises :class:`KeyFileError` on a missing or exposed secret."""
    if directory.exists() and directory.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{directory} is open to others; chmod 700")
    try:
        signer = Signer.parse(_read_secret(directory / LEDGER_KEY))
        witness = Signer.parse(_read_secret(directory / WITNESS_KEY))
        subject_secret = bytes.fromhex(_read_secret(directory / SUBJECT_KEY))
        retired = tuple(
            Verifier.parse(path.read_text())
            for path in sorted((directory / RETIRED).glob("*.vkey"))
        )
    except (NoteError, ValueError) as error:
        raise KeyFileError(f"malformed key in {directory}: {error}") from error
    if len(subject_secret) < 16:
        raise KeyFileError(f"{directory / SUBJECT_KEY} is too short to be a secret")
    return NodeKeys(directory, signer, witness, subject_secret, retired)


def load_or_create_witness(directory: Path, name: str) -> Signer:
    """A witness's cosigning key alone (the hub's: it keeps no log), generated on first use."""
    if directory.exists() and directory.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{directory} is open to others; chmod 700")
    if not (directory / WITNESS_KEY).exists():
        _private_dir(directory)
        witness = Signer.generate(name, COSIGNATURE_V1)
        _write_secret(directory / WITNESS_KEY, witness.skey + "\n")
        _write_public(directory / WITNESS_VKEY, witness.verifier.vkey + "\n")
        return witness
    try:
        return Signer.parse(_read_secret(directory / WITNESS_KEY))
    except NoteError as error:
        raise KeyFileError(f"malformed key in {directory}: {error}") from error


def load_or_create(directory: Path, state: str) -> NodeKeys:
    """The node's keys, generated on first use."""
    if (directory / LEDGER_KEY).exists():
        return load(directory)
    return create(directory, state)


def rotate(
    directory: Path, state: str, at: datetime, actor: str, change_id: str
) -> tuple[NodeKeys, AdminChange]:
    """Replace the log's signing key; keep the old verifier key as retired.

    Returns the new keys and the administrative entry the caller must append to the ledger
    (``Ledger.rotate`` does both, logging the change under the old key before the new one
    signs anything).
    """
    keys = load(directory)
    old = keys.signer.verifier
    new = Signer.generate(origin_for(state), ED25519)
    retired_dir = directory / RETIRED
    _private_dir(retired_dir)
    _write_public(retired_dir / f"{old.key_id.hex()}.vkey", old.vkey + "\n")
    _write_secret(directory / LEDGER_KEY, new.skey + "\n")  # the old secret is overwritten
    _write_public(directory / LEDGER_VKEY, new.verifier.vkey + "\n")
    entry = AdminChange(
        message_id=change_id,
        state=state.upper(),
        at=at,
        change="key_rotation",
        actor=actor,
        detail={"retired": old.vkey, "current": new.verifier.vkey},
    )
    return load(directory), entry
