"""Residents' access codes and tries in the node's database, the codes kept only as keyed hashes.

A code is issued for one licence, named by its subject key (never the licence number), and
holds for :data:`CODE_LIFETIME`; issuing another replaces it. The database keeps an HMAC of
the code under the node's subject secret, so a copy of the database alone cannot be searched
for codes. Each licence may try at most :data:`MAX_TRIES` wrong codes within :data:`TRY_WINDOW`:
a try is counted before its code is compared (:meth:`ResidentStore.claim_try`) and given back
when the code was right, so two wrong tries at once never make a sixth.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from stateline.errors import StorageError
from stateline.storage.failures import translated
from stateline.storage.schema import node_metadata

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U, so a code read aloud or from paper is typed right."""
CODE_LENGTH = 16
"""Characters of a code: 80 random bits."""
CODE_LIFETIME = timedelta(days=30)
MAX_TRIES = 5
"""Wrong codes a licence may try within :data:`TRY_WINDOW`."""
TRY_WINDOW = timedelta(hours=1)

_TYPED_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})

resident_codes = Table(
    "resident_codes",
    node_metadata,
    Column("state", String(2), primary_key=True),
    Column("subject", String(64), primary_key=True),  # the licence's subject key
    Column("digest", String(64), nullable=False),  # HMAC-SHA256 of the code, hex
    Column("issued", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False, index=True),
)

resident_tries = Table(
    "resident_tries",
    node_metadata,
    Column("state", String(2), primary_key=True),
    Column("subject", String(64), primary_key=True),
    # The wrong tries within the window, as microseconds since the epoch, space-separated: at
    # most MAX_TRIES of them, so one row, locked while it is read and written, counts them all.
    Column("tries", String(120), nullable=False),
    Column("last_try", DateTime(timezone=True), nullable=False, index=True),
)


def new_code() -> str:
    """A fresh code, in groups of four: ``7KQ2-MX9D-4TRB-H8WN``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(typed: str) -> str:
    """A code as typed, in capitals, without dashes or spaces, O read as 0 and I or L as 1."""
    return typed.upper().translate(_TYPED_AS)


def code_digest(secret: bytes, subject: str, code: str) -> str:
    """The hash the database keeps of ``code`` for the licence ``subject``."""
    message = f"resident code\x1f{subject}\x1f{normalise_code(code)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """The code on file for one licence."""

    subject: str
    digest: str
    issued: datetime
    expires: datetime


class CodeCheck(StrEnum):
    """What a typed code is, against the one on file."""

    RIGHT = "right"
    WRONG = "wrong"  # or no code on file for the licence
    EXPIRED = "expired"


_NONE_ON_FILE = "0" * 64  # compared against when the licence has no code: the same work


def check_code(
    secret: bytes, subject: str, typed: str, issued: IssuedCode | None, now: datetime
) -> CodeCheck:
    """Compare ``typed`` with the code on file in constant time; an unknown licence costs the
    same comparison as a wrong code, and says the same."""
    expected = issued.digest if issued is not None else _NONE_ON_FILE
    same = hmac.compare_digest(code_digest(secret, subject, typed), expected)
    if not same or issued is None:
        return CodeCheck.WRONG
    return CodeCheck.RIGHT if now < issued.expires else CodeCheck.EXPIRED


@dataclass(frozen=True, slots=True)
class Claim:
    """A try counted (``granted``, with how many are left after it), or refused until when."""

    granted: bool
    left: int
    retry_at: datetime | None = None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("resident code times must be timezone-aware")
    return moment.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    """An aware UTC time; SQLite gives back naive ones, written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (_aware(moment) - _EPOCH) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _tries(text: str) -> list[int]:
    return [int(t) for t in text.split()]


def _key(table: Table, state: str, subject: str) -> Any:
    return (table.c.state == state) & (table.c.subject == subject)


class ResidentStore:
    """The node's access codes and the tries against them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        with translated("resident code schema creation failed"):
            node_metadata.create_all(self.engine, tables=[resident_codes, resident_tries])

    def issue(self, state: str, subject: str, digest: str, issued: datetime) -> IssuedCode:
        """Keep a new code's hash for the licence ``subject``, replacing any code before it."""
        code = IssuedCode(subject, digest, _aware(issued), _aware(issued) + CODE_LIFETIME)
        row: dict[str, Any] = {"state": state, "subject": subject, "digest": digest}
        row |= {"issued": code.issued, "expires": code.expires}
        with translated("resident code write failed"), self.engine.begin() as conn:
            conn.execute(delete(resident_codes).where(_key(resident_codes, state, subject)))
            conn.execute(insert(resident_codes), [row])
        return code

    def code(self, state: str, subject: str) -> IssuedCode | None:
        """The code on file for the licence ``subject``, expired or not."""
        query = select(resident_codes).where(_key(resident_codes, state, subject))
        with translated("resident code read failed"), self.engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        return IssuedCode(row.subject, row.digest, _utc(row.issued), _utc(row.expires))

    def claim_try(self, state: str, subject: str, now: datetime) -> Claim:
        """Count a try against the licence ``subject`` before its code is compared; refused
        while :data:`MAX_TRIES` wrong ones fall within the last :data:`TRY_WINDOW`."""
        table = resident_tries
        moment = _aware(now)
        since = _micros(moment - TRY_WINDOW)
        key = _key(table, state, subject)
        # A no-op update first: it locks the row, so concurrent tries count one after another.
        lock = update(table).where(key).values(last_try=table.c.last_try)
        stale = delete(table).where(table.c.last_try < moment - TRY_WINDOW)
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(lock).rowcount == 0:
                        conn.execute(stale)  # licences with no try this past hour are forgotten
                        first = {"state": state, "subject": subject, "tries": ""}
                        conn.execute(insert(table), [{**first, "last_try": moment}])
                    row = conn.execute(select(table.c.tries).where(key)).one()
                    recent = [t for t in _tries(row.tries) if t > since]
                    if len(recent) >= MAX_TRIES:
                        conn.execute(update(table).where(key).values(tries=_join(recent)))
                        return Claim(False, 0, _moment(min(recent)) + TRY_WINDOW)
                    recent.append(_micros(moment))
                    conn.execute(
                        update(table).where(key).values(tries=_join(recent), last_try=moment)
                    )
                    return Claim(True, MAX_TRIES - len(recent))
            except IntegrityError:
                continue  # another try made the licence's row first: count on it
            except SQLAlchemyError as error:
                raise StorageError("resident try write failed") from error
        raise StorageError("resident try write failed: the count kept changing")

    def give_back(self, state: str, subject: str, at: datetime) -> None:
        """Uncount the try claimed ``at``: its code was right, and only wrong ones count."""
        table = resident_tries
        key = _key(table, state, subject)
        lock = update(table).where(key).values(last_try=table.c.last_try)
        with translated("resident try write failed"), self.engine.begin() as conn:
            if conn.execute(lock).rowcount == 0:
                return
            tries = _tries(conn.execute(select(table.c.tries).where(key)).one().tries)
            if _micros(at) in tries:
                tries.remove(_micros(at))
                conn.execute(update(table).where(key).values(tries=_join(tries)))

    def purge(self, now: datetime) -> int:
        """Remove expired codes and tries older than the window; returns the codes removed."""
        moment = _aware(now)
        with translated("resident code purge failed"), self.engine.begin() as conn:
            conn.execute(
                delete(resident_tries).where(resident_tries.c.last_try < moment - TRY_WINDOW)
            )
            removed = conn.execute(delete(resident_codes).where(resident_codes.c.expires <= moment))
        return int(removed.rowcount)


def _join(tries: list[int]) -> str:
    return " ".join(str(t) for t in sorted(tries))
