"""Review console accounts in the node's database: argon2 passwords, optional TOTP, sessions.

A session token is 256 random bits handed to the browser once; the database keeps only its
SHA-256, so a copy of the database opens no session. A TOTP code is accepted once: the last
time step used is kept, and a code from that step or an earlier one is refused (RFC 6238 §5.2).
Sign-in failures are one error whatever was wrong, and an unknown user costs the same argon2
work as a known one, so neither the message nor the timing tells which names exist.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from stateline.node.review import Reviewer, Role
from stateline.storage.engine import StorageError
from stateline.storage.schema import node_metadata

review_accounts = Table(
    "review_accounts",
    node_metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(10), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("totp_secret", String(64)),
    Column("totp_last_step", Integer),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

review_sessions = Table(
    "review_sessions",
    node_metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", ForeignKey("review_accounts.username"), nullable=False, index=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
)

TABLES = (review_accounts, review_sessions)

SESSION_LIFETIME = timedelta(hours=8)
"""A session lasts one working shift, then its holder signs in again."""

MIN_PASSWORD = 12
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
TOTP_WINDOW = 1
"""Time steps accepted either side of now, for clocks a little apart (RFC 6238 §5.2)."""


class AuthenticationFailed(Exception):
    """Sign-in refused: wrong name, password or code, or a disabled account (never says which)."""


class AccountError(Exception):
    """An account cannot be created or changed as asked (name taken, password too short...)."""


@dataclass(frozen=True, slots=True)
class Account:
    """A console account as the console sees it: never the hash or the TOTP secret."""

    username: str
    role: Role
    totp: bool
    disabled: bool = False

    @property
    def reviewer(self) -> Reviewer:
        return Reviewer(self.username, self.role)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session: the token goes to the browser once and is stored only hashed."""

    token: str
    account: Account
    expires: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _account(row: Any) -> Account:
    return Account(
        row["username"], Role(row["role"]), row["totp_secret"] is not None, bool(row["disabled"])
    )


class AccountStore:
    """Creates accounts, signs people in and keeps their sessions."""

    def __init__(
        self,
        engine: Engine,
        *,
        session_lifetime: timedelta = SESSION_LIFETIME,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.engine = engine
        self.session_lifetime = session_lifetime
        self.hasher = hasher or PasswordHasher()
        # Verified against when the name is unknown, so that costs the same as a wrong password.
        self._decoy = self.hasher.hash(secrets.token_urlsafe(16))

    def create_schema(self) -> None:
        try:
            node_metadata.create_all(self.engine, tables=list(TABLES))
        except SQLAlchemyError as error:
            raise StorageError("account schema creation failed") from error

    def create_account(
        self,
        username: str,
        password: str,
        role: Role,
        *,
        totp_secret: str | None = None,
        now: datetime | None = None,
    ) -> Account:
        """A new account; ``totp_secret`` (base32, e.g. ``pyotp.random_base32()``) adds TOTP."""
        name = username.strip().lower()
        if USERNAME_RE.fullmatch(name) is None:
            raise AccountError("a username is 1-64 of a-z, 0-9, '.', '_', '-'")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        if totp_secret is not None:
            pyotp.TOTP(totp_secret).now()  # refuses a secret that is not base32
        row = {
            "username": name,
            "role": Role(role).value,
            "password_hash": self.hasher.hash(password),
            "totp_secret": totp_secret,
            "disabled": False,
            "created": _now(now),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(review_accounts), [row])
        except IntegrityError as error:
            raise AccountError(f"an account named {name} exists") from error
        except SQLAlchemyError as error:
            raise StorageError("account write failed") from error
        return Account(name, Role(role), totp_secret is not None)

    def get(self, username: str) -> Account | None:
        row = self._row(username.strip().lower())
        return _account(row) if row is not None else None

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (or re-enable) an account; disabling also ends its sessions."""
        name = username.strip().lower()
        try:
            with self.engine.begin() as conn:
                statement = update(review_accounts).where(review_accounts.c.username == name)
                if conn.execute(statement.values(disabled=disabled)).rowcount != 1:
                    raise AccountError(f"no account named {name}")
                if disabled:
                    conn.execute(delete(review_sessions).where(review_sessions.c.username == name))
        except SQLAlchemyError as error:
            raise StorageError("account write failed") from error

    def authenticate(
        self,
        username: str,
        password: str,
        totp_code: str | None = None,
        *,
        now: datetime | None = None,
    ) -> Session:
        """Check name, password and (when the account has TOTP) code; open a session."""
        moment = _now(now)
        name = username.strip().lower()
        row = self._row(name) if USERNAME_RE.fullmatch(name) else None
        try:
            self.hasher.verify(row["password_hash"] if row else self._decoy, password)
        except (VerificationError, InvalidHashError) as error:
            raise AuthenticationFailed("sign-in failed") from error
        if row is None or row["disabled"]:
            raise AuthenticationFailed("sign-in failed")
        if row["totp_secret"] is not None:
            self._check_totp(row, totp_code or "", moment)
        if self.hasher.check_needs_rehash(row["password_hash"]):
            self._update(name, password_hash=self.hasher.hash(password))
        token = secrets.token_urlsafe(32)
        expires = moment + self.session_lifetime
        session_row = {
            "token_hash": token_hash(token),
            "username": name,
            "created": moment,
            "expires": expires,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(review_sessions), [session_row])
        except SQLAlchemyError as error:
            raise StorageError("session write failed") from error
        return Session(token, _account(row), expires)

    def session(self, token: str, *, now: datetime | None = None) -> Account | None:
        """The account signed in with ``token``, or None if unknown, expired or disabled."""
        query = (
            select(review_accounts, review_sessions.c.expires)
            .join(review_sessions, review_sessions.c.username == review_accounts.c.username)
            .where(review_sessions.c.token_hash == token_hash(token))
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as error:
            raise StorageError("session read failed") from error
        if row is None:
            return None
        if _utc(row.expires) <= _now(now):
            self.end_session(token)
            return None
        account = _account(row._mapping)
        return None if account.disabled else account

    def end_session(self, token: str) -> None:
        statement = delete(review_sessions).where(review_sessions.c.token_hash == token_hash(token))
        try:
            with self.engine.begin() as conn:
                conn.execute(statement)
        except SQLAlchemyError as error:
            raise StorageError("session write failed") from error

    def purge_sessions(self, now: datetime | None = None) -> int:
        """Delete expired sessions; returns how many."""
        statement = delete(review_sessions).where(review_sessions.c.expires <= _now(now))
        try:
            with self.engine.begin() as conn:
                return int(conn.execute(statement).rowcount)
        except SQLAlchemyError as error:
            raise StorageError("session write failed") from error

    def _check_totp(self, row: Any, code: str, moment: datetime) -> None:
        totp = pyotp.TOTP(row["totp_secret"])
        current = totp.timecode(moment)
        last = row["totp_last_step"]
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
            if (last is None or step > last) and hmac.compare_digest(totp.generate_otp(step), code):
                # Compare-and-set: of two sign-ins racing with one code, only one gets it.
                statement = (
                    update(review_accounts)
                    .where(review_accounts.c.username == row["username"])
                    .where(
                        review_accounts.c.totp_last_step.is_(None)
                        if last is None
                        else review_accounts.c.totp_last_step == last
                    )
                    .values(totp_last_step=step)
                )
                try:
                    with self.engine.begin() as conn:
                        if conn.execute(statement).rowcount == 1:
                            return
                except SQLAlchemyError as error:
                    raise StorageError("account write failed") from error
                break
        raise AuthenticationFailed("sign-in failed")

    def _row(self, name: str) -> Any:
        query = select(review_accounts).where(review_accounts.c.username == name)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as error:
            raise StorageError("account read failed") from error
        return row._mapping if row is not None else None

    def _update(self, name: str, **values: Any) -> None:
        statement = update(review_accounts).where(review_accounts.c.username == name)
        try:
            with self.engine.begin() as conn:
                conn.execute(statement.values(**values))
        except SQLAlchemyError as error:
            raise StorageError("account write failed") from error
