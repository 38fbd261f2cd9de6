"""The directory's tables and repository: agencies by ORI, the use certifications they filed with
states, and the hashed credentials bound to them.

Errors this module raises, all of them ``StorageError`` so one ``except`` catches every failure::

    StorageError                 the database could not be read or written (driver errors)
    ├── DuplicateAgency          an ORI added twice
    ├── UnknownAgency            an ORI that is not in the directory (also a LookupError)
    └── InvalidAgency            an entry that checks.check_agency refuses (also a ValueError)

Tokens are never stored: ``issue_credential`` returns the token once and keeps its SHA-256.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from stateline.directory.checks import check_agency
from stateline.directory.credentials import TOKEN_PREFIX, hash_token, issue_token
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Certification, Mission
from stateline.errors import StorageError
from stateline.storage.schema import hub_metadata

agencies = Table(
    "agencies",
    hub_metadata,
    Column("ori", String(9), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("agency_type", String(2), nullable=False),
    Column("home_state", String(2), nullable=False),
    # A sorted JSON array: missions are read with their agency, never queried on their own, so
    # one column keeps ``get`` a single primary-key lookup.
    Column("missions", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("node", Boolean, nullable=False),
    Index(None, "home_state", "agency_type"),
)

certifications = Table(
    "certifications",
    hub_metadata,
    # A table of its own, so that a directory written before certifications existed gains it
    # on the next start (create_schema adds missing tables) with its agencies untouched.
    Column("ori", String(9), ForeignKey("agencies.ori"), primary_key=True),
    Column("state", String(2), primary_key=True),
    Column("filed", Date, nullable=False),
    Column("expires", Date, nullable=True),
)

credentials = Table(
    "credentials",
    hub_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ori", String(9), ForeignKey("agencies.ori"), nullable=False, index=True),
    # Unique, so its index makes ``authenticate`` one lookup on the hot path.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("revoked", DateTime(timezone=True), nullable=True),
)

directory_generation = Table(
    "directory_generation",
    hub_metadata,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)
"""One row whose value grows on every write, so a hub's in-memory copy knows when to refresh."""

TABLES = (agencies, certifications, credentials, directory_generation)
_CHUNK = 500  # ORIs per IN (...) query, well under SQLite's bound-parameter limit


class DuplicateAgency(StorageError):
    """An agency with this ORI is already in the directory."""

    def __init__(self, ori: str) -> None:
        self.ori = ori
        super().__init__(f"agency {ori} is already in the directory")


class UnknownAgency(StorageError, LookupError):
    """No agency with this ORI is in the directory."""

    def __init__(self, ori: str) -> None:
        self.ori = ori
        super().__init__(f"no agency {ori} in the directory")


class InvalidAgency(StorageError, ValueError):
    """The entry breaks a directory rule (bad ORI, no missions, ...); the message says which."""

    def __init__(self, ori: str, problem: str) -> None:
        self.ori = ori
        self.problem = problem
        super().__init__(f"agency {ori}: {problem}")


def _first_taken(conn: Connection, oris: list[str]) -> str | None:
    """The first of ``oris`` already in the directory, if any."""
    for start in range(0, len(oris), _CHUNK):
        chunk = oris[start : start + _CHUNK]
        query = select(agencies.c.ori).where(agencies.c.ori.in_(chunk)).limit(1)
        taken: str | None = conn.execute(query).scalar()
        if taken is not None:
            return taken
    return None


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors into StorageError, naming what was being done."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first_line = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise StorageError(f"directory: cannot {action}: {first_line}") from exc


def _row(agency: Agency) -> dict[str, Any]:
    return {
        "ori": agency.ori,
        "name": agency.name,
        "agency_type": agency.agency_type.value,
        "home_state": agency.home_state,
        "missions": json.dumps(sorted(m.value for m in agency.missions)),
        "status": agency.status.value,
        "node": agency.node,
    }


def _certification_row(ori: str, certification: Certification) -> dict[str, Any]:
    return {
        "ori": ori,
        "state": certification.state,
        "filed": certification.filed,
        "expires": certification.expires,
    }


def _certifications_by_ori(conn: Connection, query: Any) -> dict[str, list[Certification]]:
    """The certifications ``query`` selects, by ORI, each agency's in state order."""
    found: dict[str, list[Certification]] = {}
    for row in conn.execute(query.order_by(certifications.c.ori, certifications.c.state)):
        found.setdefault(row.ori, []).append(Certification(row.state, row.filed, row.expires))
    return found


def _get(conn: Connection, ori: str) -> Agency | None:
    """One agency with its certifications, in one query: a row per certification, or one."""
    query = (
        select(
            agencies,
            certifications.c.state.label("certified_state"),
            certifications.c.filed,
            certifications.c.expires,
        )
        .outerjoin(certifications, certifications.c.ori == agencies.c.ori)
        .where(agencies.c.ori == ori)
        .order_by(certifications.c.state)
    )
    rows = conn.execute(query).all()
    if not rows:
        return None
    filed = [
        Certification(row.certified_state, row.filed, row.expires)
        for row in rows
        if row.certified_state is not None
    ]
    return _agency(rows[0], filed)


def _agency(row: Row[Any], certified: Iterable[Certification] = ()) -> Agency:
    try:
        return Agency(
            ori=row.ori,
            name=row.name,
            agency_type=AgencyType(row.agency_type),
            home_state=row.home_state,
            missions=frozenset(Mission(m) for m in json.loads(row.missions)),
            status=AgencyStatus(row.status),
            node=bool(row.node),
            certifications=tuple(certified),
        )
    except (ValueError, TypeError) as exc:
        # Only a hand-edited or newer database gets here; refuse it rather than guess.
        raise StorageError(f"directory: agency {row.ori} is unreadable: {exc}") from exc


class DirectoryStore:
    """The hub's directory in its database: agencies, their status and their credentials."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def create_schema(self) -> None:
        """Create the directory's tables if they are missing; safe to call on every start."""
        with _translated("create the directory tables"):
            hub_metadata.create_all(self._engine, tables=list(TABLES), checkfirst=True)
            with self._engine.begin() as conn:
                present = conn.execute(select(directory_generation.c.id)).first()
                if present is None:
                    conn.execute(insert(directory_generation).values(id=1, value=0))

    def _bump(self, conn: Connection) -> None:
        conn.execute(
            update(directory_generation)
            .where(directory_generation.c.id == 1)
            .values(value=directory_generation.c.value + 1)
        )

    def add(self, agency: Agency) -> None:
        """Add one agency; DuplicateAgency if its ORI is taken, InvalidAgency if it is refused."""
        self.add_many([agency])

    def add_many(self, new: Iterable[Agency]) -> int:
        """Add agencies in one transaction, all or none; returns how many were added."""
        batch = builtins.list(new)
        seen: set[str] = set()
        for agency in batch:
            problem = check_agency(agency)
            if problem:
                raise InvalidAgency(agency.ori, problem)
            if agency.ori in seen:
                raise DuplicateAgency(agency.ori)
            seen.add(agency.ori)
        if not batch:
            return 0
        oris = [agency.ori for agency in batch]
        try:
            with _translated("add agencies"), self._engine.begin() as conn:
                taken = _first_taken(conn, oris)
                if taken is not None:
                    raise DuplicateAgency(taken)
                conn.execute(insert(agencies), [_row(agency) for agency in batch])
                filed = [_certification_row(a.ori, c) for a in batch for c in a.certifications]
                if filed:
                    conn.execute(insert(certifications), filed)
                self._bump(conn)
        except StorageError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            # Another writer added one of these ORIs between our check and our insert.
            with _translated("read agencies"), self._engine.connect() as conn:
                taken = _first_taken(conn, oris)
            if taken is None:
                raise
            raise DuplicateAgency(taken) from exc
        return len(batch)

    def get(self, ori: str) -> Agency | None:
        """The agency with this ORI and its certifications, or None: one query."""
        with _translated("read an agency"), self._engine.connect() as conn:
            return _get(conn, ori)

    def list(
        self, state: str | None = None, agency_type: AgencyType | None = None
    ) -> builtins.list[Agency]:
        """Agencies sorted by ORI, of one home state (``"US"``: federal) and/or one type."""
        query = select(agencies).order_by(agencies.c.ori)
        filed = select(certifications).join(agencies)
        if state is not None:
            query = query.where(agencies.c.home_state == state)
            filed = filed.where(agencies.c.home_state == state)
        if agency_type is not None:
            query = query.where(agencies.c.agency_type == agency_type.value)
            filed = filed.where(agencies.c.agency_type == agency_type.value)
        with _translated("list agencies"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
            certified = _certifications_by_ori(conn, filed)
        return [_agency(row, certified.get(row.ori, ())) for row in rows]

    def _set_status(self, ori: str, status: AgencyStatus) -> None:
        with _translated(f"set agency {ori} {status.value}"), self._engine.begin() as conn:
            result = conn.execute(
                update(agencies).where(agencies.c.ori == ori).values(status=status.value)
            )
            if result.rowcount == 0:
                raise UnknownAgency(ori)
            self._bump(conn)

    def suspend(self, ori: str) -> None:
        """Suspend an agency: the switch refuses its messages (ER 42) until it is reinstated."""
        self._set_status(ori, AgencyStatus.SUSPENDED)

    def reinstate(self, ori: str) -> None:
        """Make a suspended agency active again."""
        self._set_status(ori, AgencyStatus.ACTIVE)

    def certify(self, ori: str, certification: Certification) -> Agency:
        """File ``certification`` for ``ori``; it replaces one already on file with that state
        (a renewal). Returns the agency as it now stands; UnknownAgency, InvalidAgency."""
        with _translated(f"file a certification of {ori}"), self._engine.begin() as conn:
            known = _get(conn, ori)
            if known is None:
                raise UnknownAgency(ori)
            kept = [c for c in known.certifications if c.state != certification.state]
            updated = replace(
                known, certifications=tuple(sorted([*kept, certification], key=lambda c: c.state))
            )
            problem = check_agency(updated)
            if problem:
                raise InvalidAgency(ori, problem)
            conn.execute(
                delete(certifications).where(
                    certifications.c.ori == ori, certifications.c.state == certification.state
                )
            )
            conn.execute(insert(certifications).values(**_certification_row(ori, certification)))
            self._bump(conn)
        return updated

    def withdraw_certification(self, ori: str, state: str) -> bool:
        """Take ``ori``'s certification with ``state`` off file; False if there was none."""
        with _translated(f"withdraw a certification of {ori}"), self._engine.begin() as conn:
            known = conn.execute(select(agencies.c.ori).where(agencies.c.ori == ori)).first()
            if known is None:
                raise UnknownAgency(ori)
            result = conn.execute(
                delete(certifications).where(
                    certifications.c.ori == ori, certifications.c.state == state
                )
            )
            self._bump(conn)
            return result.rowcount > 0

    def issue_credential(self, ori: str) -> str:
        """A new token bound to ``ori``, returned this once; only its hash is stored.

        Earlier credentials stay valid, so an agency can roll over to the new one before the
        old ones are revoked.
        """
        token = issue_token()
        with _translated(f"issue a credential to {ori}"), self._engine.begin() as conn:
            known = conn.execute(select(agencies.c.ori).where(agencies.c.ori == ori)).first()
            if known is None:
                raise UnknownAgency(ori)
            conn.execute(
                insert(credentials).values(
                    ori=ori, token_hash=hash_token(token), created=self._clock(), revoked=None
                )
            )
            self._bump(conn)
        return token

    def revoke_credentials(self, ori: str) -> int:
        """Revoke every active credential of ``ori``; returns how many were revoked."""
        with _translated(f"revoke the credentials of {ori}"), self._engine.begin() as conn:
            known = conn.execute(select(agencies.c.ori).where(agencies.c.ori == ori)).first()
            if known is None:
                raise UnknownAgency(ori)
            result = conn.execute(
                update(credentials)
                .where(credentials.c.ori == ori, credentials.c.revoked.is_(None))
                .values(revoked=self._clock())
            )
            self._bump(conn)
            return result.rowcount

    def authenticate(self, token: str) -> str | None:
        """The ORI an active credential binds ``token`` to, or None: one unique-index lookup.

        Looking the hash up in SQL is not a constant-time comparison, and need not be: timing
        could only reveal digests of the attacker's own guesses, never a stored token.
        """
        if not token.startswith(TOKEN_PREFIX):
            return None  # not one of ours: no need to ask the database
        query = select(credentials.c.ori).where(
            credentials.c.token_hash == hash_token(token), credentials.c.revoked.is_(None)
        )
        with _translated("authenticate a credential"), self._engine.connect() as conn:
            ori: str | None = conn.execute(query).scalar()
        return ori

    def snapshot(self) -> dict[str, Agency]:
        """Every agency by ORI, for a hub that keeps the directory in memory."""
        return {agency.ori: agency for agency in self.list()}

    def credential_map(self) -> dict[str, str]:
        """Token hash -> ORI for every active credential, so a hub can authenticate in memory."""
        query = select(credentials.c.token_hash, credentials.c.ori).where(
            credentials.c.revoked.is_(None)
        )
        with _translated("read the credentials"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return {row.token_hash: row.ori for row in rows}

    def generation(self) -> int:
        """A number that grows on every change: refresh a snapshot when it differs."""
        query = select(directory_generation.c.value).where(directory_generation.c.id == 1)
        with _translated("read the directory generation"), self._engine.connect() as conn:
            value: int | None = conn.execute(query).scalar()
        if value is None:
            raise StorageError("directory: no generation row; call create_schema first")
        return value
