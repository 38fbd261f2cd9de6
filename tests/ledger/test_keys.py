"""Node keys on disk: private modes, loading, rotation with the old key retired."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stateline.ledger.checkpoint import COSIGNATURE_V1, ED25519
from stateline.ledger.keys import (
    LEDGER_KEY,
    SUBJECT_KEY,
    KeyFileError,
    create,
    load,
    load_or_create,
    origin_for,
    rotate,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_created_private_and_load_back(tmp_path: Path) -> None:
    directory = tmp_path / "keys" / "NY"
    keys = create(directory, "ny")
    assert mode(directory) == 0o700
    for name in (LEDGER_KEY, "witness.key", SUBJECT_KEY):
        assert mode(directory / name) == 0o600, name
    assert keys.signer.name == origin_for("NY") == "stateline/ledger/NY"
    assert keys.signer.signature_type == ED25519
    assert keys.witness.signature_type == COSIGNATURE_V1
    again = load(directory)
    assert again.signer.skey == keys.signer.skey and again.subject_secret == keys.subject_secret
    assert load_or_create(directory, "NY").signer.skey == keys.signer.skey
    assert (directory / "ledger.vkey").read_text().strip() == keys.signer.verifier.vkey
    with pytest.raises(KeyFileError):
        create(directory, "NY")


def test_a_secret_others_can_read_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "NY"
    create(directory, "NY")
    (directory / LEDGER_KEY).chmod(0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load(directory)
    (directory / LEDGER_KEY).chmod(0o600)
    directory.chmod(0o755)
    with pytest.raises(KeyFileError, match="chmod 700"):
        load(directory)


def test_rotation_retires_the_old_key_and_returns_the_entry_to_log(tmp_path: Path) -> None:
    directory = tmp_path / "NY"
    old = create(directory, "NY")
    at = datetime(2025, 10, 1, tzinfo=UTC)
    new, entry = rotate(directory, "NY", at, "ops-1", "rotation-1")
    assert new.signer.verifier != old.signer.verifier
    assert new.retired == (old.signer.verifier,)
    assert new.verifiers == (new.signer.verifier, old.signer.verifier)
    assert entry.change == "key_rotation" and entry.at == at
    assert entry.detail == {
        "retired": old.signer.verifier.vkey,
        "current": new.signer.verifier.vkey,
    }
    assert old.signer.skey not in "".join(p.read_text() for p in directory.rglob("*.key"))
    assert new.subject_secret == old.subject_secret  # lookups by subject keep working
