"""Tests for stateline/directory/credentials.py."""

from __future__ import annotations

import hashlib
import re

from stateline.directory.credentials import (
    MAX_SKEW,
    TOKEN_PREFIX,
    hash_token,
    issue_token,
    sign,
    sign_with_hash,
    verify,
    verify_signature,
)

BODY = b"DQ.NY0010100.AZ.TXT\nOLN/D11111111"
NOW = 1_760_000_000


def test_tokens_are_prefixed_random_and_url_safe() -> None:
    tokens = {issue_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        assert re.fullmatch(r"stl_[A-Za-z0-9_\-]{43}", token)


def test_hash_token_is_the_sha256_hex_digest() -> None:
    token = issue_token()
    digest = hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert token not in digest
    assert hash_token(token) == digest


def test_verify() -> None:
    token = issue_token()
    stored = hash_token(token)
    assert verify(token, stored)
    assert not verify(issue_token(), stored)
    assert not verify(token, stored.upper())
    assert not verify(token, "é" * 64)  # a non-ASCII hash is refused, not a crash


def test_signature_round_trip() -> None:
    token = issue_token()
    signature = sign(token, BODY, NOW)
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert signature == sign_with_hash(hash_token(token), BODY, NOW)
    assert verify_signature(hash_token(token), BODY, NOW, signature, now=NOW)
    assert verify_signature(hash_token(token), BODY, NOW, signature, now=NOW + MAX_SKEW)


def test_signature_refusals() -> None:
    token = issue_token()
    stored = hash_token(token)
    signature = sign(token, BODY, NOW)
    assert not verify_signature(stored, BODY + b".", NOW, signature, now=NOW)
    assert not verify_signature(stored, BODY, NOW + 1, signature, now=NOW)
    assert not verify_signature(hash_token(issue_token()), BODY, NOW, signature, now=NOW)
    assert not verify_signature(stored, BODY, NOW, signature, now=NOW + MAX_SKEW + 1)
    assert not verify_signature(stored, BODY, NOW, signature, now=NOW - MAX_SKEW - 1)
    assert not verify_signature(stored, BODY, NOW, signature, now=NOW + 10, max_skew=5)
    assert not verify_signature(stored, BODY, NOW, "é" + signature[1:], now=NOW)
    assert not verify_signature(stored, BODY, NOW, "", now=NOW)
