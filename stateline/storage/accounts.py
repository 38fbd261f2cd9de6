"""Review console accounts in the node's database: argon2 passwords, optional TOTP, sessions.

A session token is 256 random bits handed to the browser once; the database keeps only its
SHA-256, so a copy of the database opens no session. A TOTP code is accepted once: the last
time step used is kept, and a code from that step or an earlier one is refused (RFC 6238 §5.2).
Sign-in failures are one error whatever was wrong, and an unknown user costs the same argon2
work as a known one, so neither the message nor the timing tells which names exist.
Failures lock the name tried and the client's address for a while (``storage.lockouts``), the
same for names that exist and names that do not; while locked, sign-in is refused before the
password is checked, and a success clears the name's count.
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
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from stateline.errors import StorageError
from stateline.node.review.model import Reviewer, Role
from stateline.storage.failures import translated
from stateline.storage.lockouts import Kind, Lockouts, Subject, signin_failures
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
    Column("last_signin", DateTime(timezone=True)),
)

review_sessions = Table(
    "review_sessions",
    node_metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", ForeignKey("review_accounts.username"), nullable=False, index=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
)

TABLES = (review_accounts, review_sessions, signin_failures)

SESSION_LIFETIME = timedelta(hours=8)
"""A session lasts one working shift, then its holder signs in again."""

MIN_PASSWORD = 12
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
TOTP_WINDOW = 1
"""Time steps accepted either side of now, for clocks a little apart (RFC 6238 §5.2)."""


class AuthenticationFailed(Exception):
    """Sign-in refused: wrong name, password or code, or a disabled account (never says which)."""


class SignInLocked(AuthenticationFailed):
    """Sign-in refused unchecked: too many failures for the name or from the client's address.

    ``until`` is when to try again; ``by`` says which counts hold the lock; ``started`` is true
    when this attempt's failure began it (rather than the attempt coming while locked).
    """

    def __init__(self, until: datetime, by: frozenset[Kind], *, started: bool) -> None:
        super().__init__("sign-in locked")
        self.until = until
        self.by = by
        self.started = started


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


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """An account as its administrator lists it: when made, last signed in, locked until."""

    account: Account
    created: datetime
    last_signin: datetime | None
    locked_until: datetime | None


def account_ref(username: str) -> str:
    """How logs name an account: the first 16 hex digits of a SHA-256 of its username."""
    name = username.strip().lower()
    return hashlib.sha256(f"stateline console account:{name}".encode()).hexdigest()[:16]


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
        lockouts: Lockouts | None = None,
    ) -> None:
        self.engine = engine
        self.session_lifetime = session_lifetime
        self.hasher = hasher or PasswordHasher()
        self.lockouts = lockouts or Lockouts(engine)
        # Verified against when the name is unknown, so that costs the same as a wrong password.
        self._decoy = self.hasher.hash(secrets.token_urlsafe(16))

    def create_schema(self) -> None:
        with translated("account schema creation failed"):
            node_metadata.create_all(self.engine, tables=list(TABLES))
            self._add_last_signin()

    def _add_last_signin(self) -> None:
        """Accounts made before sign-ins were recorded get the column, empty."""

        def present() -> bool:
            columns = inspect(self.engine).get_columns("review_accounts")
            return any(column["name"] == "last_signin" for column in columns)

        if present():
            return
        kind = DateTime(timezone=True).compile(dialect=self.engine.dialect)
        try:
            with self.engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE review_accounts ADD COLUMN last_signin {kind}"))
        except SQLAlchemyError:
            if not present():  # else another process opening the database added it just now
                raise

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
        with translated("account write failed"), self.engine.begin() as conn:
            statement = update(review_accounts).where(review_accounts.c.username == name)
            if conn.execute(statement.values(disabled=disabled)).rowcount != 1:
                raise AccountError(f"no account named {name}")
            if disabled:
                conn.execute(delete(review_sessions).where(review_sessions.c.username == name))

    def reset(
        self,
        username: str,
        password: str,
        *,
        totp_secret: str | None = None,
    ) -> Account:
        """A new password (and, given one, a new TOTP secret) for an account; its sessions end
        and its lockout is cleared. Without ``totp_secret`` the account keeps its TOTP."""
        name = username.strip().lower()
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        values: dict[str, Any] = {"password_hash": self.hasher.hash(password)}
        if totp_secret is not None:
            pyotp.TOTP(totp_secret).now()  # refuses a secret that is not base32
            values |= {"totp_secret": totp_secret, "totp_last_step": None}
        with translated("account write failed"), self.engine.begin() as conn:
            statement = update(review_accounts).where(review_accounts.c.username == name)
            if conn.execute(statement.values(**values)).rowcount != 1:
                raise AccountError(f"no account named {name}")
            conn.execute(delete(review_sessions).where(review_sessions.c.username == name))
        self.lockouts.clear(Subject.account(name))
        account = self.get(name)
        assert account is not None  # updated just now; nothing deletes accounts
        return account

    def list_accounts(self, now: datetime | None = None) -> list[AccountStatus]:
        """Every account by username, with its last sign-in and its lock if locked at ``now``."""
        query = select(review_accounts).order_by(review_accounts.c.username)
        with translated("account read failed"), self.engine.connect() as conn:
            rows = [row._mapping for row in conn.execute(query)]
        subjects = {Subject.account(row["username"]): row["username"] for row in rows}
        locks = {
            subjects[f.subject]: f.locked_until
            for f in self.lockouts.locked(list(subjects), _now(now))
        }
        return [
            AccountStatus(
                _account(row),
                _utc(row["created"]),
                _utc(row["last_signin"]) if row["last_signin"] is not None else None,
                locks.get(row["username"]),
            )
            for row in rows
        ]

    def authenticate(
        self,
        username: str,
        password: str,
        totp_code: str | None = None,
        *,
        address: str | None = None,
        now: datetime | None = None,
    ) -> Session:
        """Check name, password and (when the account has TOTP) code; open a session.

        ``address`` is the client's (its failures are counted too). Raises ``SignInLocked``
        while the name or the address is locked, and when this failure locks one of them;
        ``AuthenticationFailed`` for any other failure.
        """
        moment = _now(now)
        name = username.strip().lower()
        subjects = [Subject.account(name)]
        if address:
            subjects.append(Subject.address(address))
        held = self.lockouts.locked(subjects, moment)
        if held:
            until = max(f.locked_until for f in held if f.locked_until is not None)
            raise SignInLocked(until, frozenset(f.subject.kind for f in held), started=False)
        try:
            session = self._sign_in(name, password, totp_code, moment)
        except AuthenticationFailed as failed:
            counted = [self.lockouts.fail(subject, moment) for subject in subjects]
            locked = [f for f in counted if f.locked_until is not None]
            if locked:
                until = max(f.locked_until for f in locked if f.locked_until is not None)
                by = frozenset(f.subject.kind for f in locked)
                raise SignInLocked(until, by, started=True) from failed
            raise
        # The name's count starts again; the address's does not, so that an attacker holding
        # one account cannot wipe its address's failures by signing in to it.
        self.lockouts.clear(subjects[0])
        return session

    def _sign_in(
        self, name: str, password: str, totp_code: str | None, moment: datetime
    ) -> Session:
        row = self._row(name) if USERNAME_RE.fullmatch(name) else None
        try:
            self.hasher.verify(row["password_hash"] if row else self._decoy, password)
        except (VerificationError, InvalidHashError) as error:
            raise AuthenticationFailed("sign-in failed") from error
        if row is None or row["disabled"]:
            raise AuthenticationFailed("sign-in failed")
        if row["totp_secret"] is not None:
            self._check_totp(row, totp_code or "", moment)
        signed_in: dict[str, Any] = {"last_signin": moment}
        if self.hasher.check_needs_rehash(row["password_hash"]):
            signed_in["password_hash"] = self.hasher.hash(password)
        self._update(name, **signed_in)
        token = secrets.token_urlsafe(32)
        expires = moment + self.session_lifetime
        session_row = {
            "token_hash": token_hash(token),
            "username": name,
            "created": moment,
            "expires": expires,
        }
        with translated("session write failed"), self.engine.begin() as conn:
            conn.execute(insert(review_sessions), [session_row])
        return Session(token, _account(row), expires)

    def session(self, token: str, *, now: datetime | None = None) -> Account | None:
        """The account signed in with ``token``, or None if unknown, expired or disabled."""
        query = (
            select(review_accounts, review_sessions.c.expires)
            .join(review_sessions, review_sessions.c.username == review_accounts.c.username)
            .where(review_sessions.c.token_hash == token_hash(token))
        )
        with translated("session read failed"), self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        if _utc(row.expires) <= _now(now):
            self.end_session(token)
            return None
        account = _account(row._mapping)
        return None if account.disabled else account

    def end_session(self, token: str) -> None:
        statement = delete(review_sessions).where(review_sessions.c.token_hash == token_hash(token))
        with translated("session write failed"), self.engine.begin() as conn:
            conn.execute(statement)

    def purge_sessions(self, now: datetime | None = None) -> int:
        """Delete expired sessions; returns how many."""
        statement = delete(review_sessions).where(review_sessions.c.expires <= _now(now))
        with translated("session write failed"), self.engine.begin() as conn:
            return int(conn.execute(statement).rowcount)

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
                with translated("account write failed"), self.engine.begin() as conn:
                    if conn.execute(statement).rowcount == 1:
                        return
                break
        raise AuthenticationFailed("sign-in failed")

    def _row(self, name: str) -> Any:
        query = select(review_accounts).where(review_accounts.c.username == name)
        with translated("account read failed"), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return row._mapping if row is not None else None

    def _update(self, name: str, **values: Any) -> None:
        statement = update(review_accounts).where(review_accounts.c.username == name)
        with translated("account write failed"), self.engine.begin() as conn:
            conn.execute(statement.values(**values))
