"""Sign-in lockouts in the node's database: failed sign-ins per account and per client address.

Each subject (a username as typed, or a client address, both kept only as a SHA-256) counts
its failed sign-ins in a row. From its rule's ``threshold`` on, every failure locks the subject
for ``base``, doubled for each failure past the threshold, at most ``cap``; a subject with no
failure for ``forget`` starts again from nothing. The counts are rows in the node's database,
so a restart does not reset them, and two sign-ins failing at once both count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    case,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from stateline.errors import StorageError
from stateline.storage.failures import translated
from stateline.storage.schema import node_metadata

signin_failures = Table(
    "review_signin_failures",
    node_metadata,
    Column("kind", String(8), primary_key=True),
    Column("subject", String(64), primary_key=True),  # SHA-256 of the name or the address
    Column("failures", Integer, nullable=False),
    Column("last_failure", DateTime(timezone=True), nullable=False, index=True),
    Column("locked_until", DateTime(timezone=True)),
)


class Kind(StrEnum):
    """What a count of failures is kept for."""

    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Backoff:
    """When failures lock a subject, and for how long."""

    threshold: int
    base: timedelta
    cap: timedelta
    forget: timedelta

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("a backoff needs a threshold of 1 or more and 0 < base <= cap")
        # A count is forgotten only once its lock has surely ended.
        if self.forget <= self.cap:
            raise ValueError("a backoff forgets failures only after its longest lock")

    def lock_for(self, failures: int) -> timedelta:
        """How long the ``failures``-th failure in a row locks the subject (zero: not at all)."""
        if failures < self.threshold:
            return timedelta(0)
        doublings = min(failures - self.threshold, 40)  # past 2**40 only the cap matters
        return min(self.base * (1 << doublings), self.cap)


ACCOUNT_BACKOFF = Backoff(5, timedelta(minutes=1), timedelta(hours=1), timedelta(days=1))
"""An account locks at its 5th failure in a row: 1 minute, then 2, 4, ... at most an hour."""

ADDRESS_BACKOFF = Backoff(20, timedelta(minutes=1), timedelta(minutes=30), timedelta(hours=1))
"""A client address locks at its 20th failure in a row, whatever names it tried, at most for
half an hour, and is forgotten after a quiet hour. The reviewers of one office may share an
address, and a success does not clear an address's count (else an attacker holding one account
could wipe it), so the office's typos must not pile up all day: an hour without a failure
starts it again. One address still locks at most four accounts before it is locked itself."""


@dataclass(frozen=True, slots=True)
class Subject:
    """What failures are counted against: an account's name or a client address, hashed."""

    kind: Kind
    digest: str

    @classmethod
    def account(cls, username: str) -> Subject:
        return cls(Kind.ACCOUNT, _digest(username.strip().lower()))

    @classmethod
    def address(cls, address: str) -> Subject:
        return cls(Kind.ADDRESS, _digest(address))


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure as counted: the subject's failures in a row, and its lock if it has one."""

    subject: Subject
    failures: int
    locked_until: datetime | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("lockout times must be timezone-aware")
    return moment.astimezone(UTC)


def _utc(moment: datetime) -> datetime:
    """An aware UTC time; SQLite gives back naive ones, written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _key(subject: Subject) -> Any:
    table = signin_failures
    return (table.c.kind == subject.kind.value) & (table.c.subject == subject.digest)


class Lockouts:
    """Counts failed sign-ins and says which subjects are locked, until when."""

    def __init__(
        self,
        engine: Engine,
        *,
        account: Backoff = ACCOUNT_BACKOFF,
        address: Backoff = ADDRESS_BACKOFF,
    ) -> None:
        self.engine = engine
        self.rules = {Kind.ACCOUNT: account, Kind.ADDRESS: address}

    def create_schema(self) -> None:
        with translated("lockout schema creation failed"):
            node_metadata.create_all(self.engine, tables=[signin_failures])

    def locked(self, subjects: list[Subject], now: datetime) -> list[Failure]:
        """Those of ``subjects`` locked at ``now``, with their counts and lock ends."""
        if not subjects:
            return []
        table = signin_failures
        query = (
            select(table)
            .where(or_(*(_key(s) for s in subjects)))
            .where(table.c.locked_until > _aware(now))
        )
        with translated("lockout read failed"), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Failure(Subject(Kind(r.kind), r.subject), r.failures, _utc(r.locked_until))
            for r in rows
        ]

    def fail(self, subject: Subject, now: datetime) -> Failure:
        """Count one failure against ``subject``; lock it if its rule says so."""
        rule = self.rules[subject.kind]
        moment = _aware(now)
        table = signin_failures
        forgotten = table.c.last_failure < moment - rule.forget
        bump = (
            update(table)
            .where(_key(subject))
            .values(
                failures=case((forgotten, 1), else_=table.c.failures + 1),
                locked_until=case((forgotten, None), else_=table.c.locked_until),
                last_failure=moment,
            )
        )
        first = {"kind": subject.kind.value, "subject": subject.digest}
        stale = delete(table).where(table.c.kind == subject.kind.value).where(forgotten)
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(bump).rowcount == 0:
                        # A new subject: forget quiet ones too, so names tried once and never
                        # again do not pile up.
                        conn.execute(stale)
                        conn.execute(
                            insert(table), [{**first, "failures": 1, "last_failure": moment}]
                        )
                    row = conn.execute(select(table).where(_key(subject))).one()
                    until = _utc(row.locked_until) if row.locked_until is not None else None
                    lock = rule.lock_for(row.failures)
                    if lock and (until is None or until < moment + lock):
                        until = moment + lock
                        conn.execute(update(table).where(_key(subject)).values(locked_until=until))
                    return Failure(subject, int(row.failures), until)
            except IntegrityError:
                continue  # another sign-in counted this subject's first failure: count on it
            except SQLAlchemyError as error:
                raise StorageError("lockout write failed") from error
        raise StorageError("lockout write failed: the count kept changing")

    def clear(self, subject: Subject) -> None:
        """Forget ``subject``'s failures and any lock (a sign-in succeeded, or an admin said)."""
        with translated("lockout write failed"), self.engine.begin() as conn:
            conn.execute(delete(signin_failures).where(_key(subject)))
