"""Agency credentials: random bearer tokens, the hash the directory keeps, and request signatures.

A token is shown once, when it is issued; the directory stores only its hash, so a copy of the
database cannot be replayed as credentials. Never log a token: log the ORI it is bound to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "stl_"
"""Marks a Stateline token, so secret scanners and people recognise one that leaked."""

TOKEN_BYTES = 32
"""256 bits of randomness: far beyond guessing, which is what lets ``hash_token`` be fast."""

MAX_SKEW = 300
"""Seconds a signed request's timestamp may differ from the hub's clock."""


def issue_token() -> str:
    """A new random token: ``stl_`` then 43 URL-safe characters."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest the directory stores and looks tokens up by.

    Why not bcrypt, scrypt or Argon2: those slow hashes exist to protect low-entropy passwords
    from guessing. A token is 256 random bits, so no guess list exists and one SHA-256 is as
    strong as a slow hash; meanwhile the hub authenticates thousands of messages a second, and
    a deterministic hash lets it find the credential by an indexed lookup instead of trying
    each one. Stored hashes cannot be turned back into tokens.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verify(token: str, stored_hash: str) -> bool:
    """True if ``token`` hashes to ``stored_hash``, compared in constant time."""
    return hmac.compare_digest(hash_token(token).encode("ascii"), stored_hash.encode("utf-8"))


def _signing_input(body: bytes, timestamp: int) -> bytes:
    # The timestamp is signed with the body so a captured request cannot be replayed later.
    return str(timestamp).encode("ascii") + b"\n" + body


def sign(token: str, body: bytes, timestamp: int) -> str:
    """HMAC-SHA256 hex signature of ``timestamp`` and ``body``, sent in place of the token.

    The key is the token's hash, so the hub verifies with what the directory already holds and
    the token never travels. The price: in signed mode the stored hash is itself a secret (who
    reads the credentials table can sign as any agency), so a deployment that accepts signed
    requests must guard that table as it would guard keys. Bearer tokens do not have this cost.
    """
    return sign_with_hash(hash_token(token), body, timestamp)


def sign_with_hash(stored_hash: str, body: bytes, timestamp: int) -> str:
    """The signature ``sign`` makes, computed from the stored hash (the hub's side)."""
    key = bytes.fromhex(stored_hash)
    return hmac.new(key, _signing_input(body, timestamp), hashlib.sha256).hexdigest()


def verify_signature(
    stored_hash: str,
    body: bytes,
    timestamp: int,
    signature: str,
    *,
    now: int,
    max_skew: int = MAX_SKEW,
) -> bool:
    """True if ``signature`` signs ``body`` at ``timestamp`` and the timestamp is within skew.

    ``now`` is the hub's clock in Unix seconds, passed in so this stays pure.
    """
    if abs(now - timestamp) > max_skew:
        return False
    expected = sign_with_hash(stored_hash, body, timestamp)
    # Bytes, because compare_digest refuses str with non-ASCII characters, which a sender controls.
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8"))
