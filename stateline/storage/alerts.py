"""Raised abuse alerts in the node's database: each alert once, with the ledger entries behind it.

``alerts`` holds one row per alert (its rule, what it is about, severity, count, first and last
time); ``alert_evidence`` one row per lookup in evidence: the request, decision and disclosure
entries' indexes, its time and ORI. A lookup is evidence of at most one alert per rule and key
(the primary key says so), which is how a raise is folded in: one that continues a lookup
already stored, or shares any evidence with an alert, grows that alert; only evidence new to
the rule and key is written. The node raising alerts as traffic arrives and ``stateline
alerts`` scanning the ledger may therefore raise the same thing twice, and it is kept once.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    bindparam,
    case,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql.expression import ClauseElement

from stateline.errors import StorageError
from stateline.ledger.entries import from_micros, micros
from stateline.oversight.alerts import Lookup, Raised, alert_id
from stateline.storage.compiled import Compiled
from stateline.storage.failures import translated
from stateline.storage.schema import node_metadata

CHUNK = 500
"""Indexes a statement names at once (well below every driver's parameter limit)."""

alerts_table = Table(
    "alerts",
    node_metadata,
    Column("id", String(20), primary_key=True),
    Column("state", String(2), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("key", String(100), nullable=False),
    Column("ori", String(9)),
    Column("subject", String(64)),
    Column("severity", String(8), nullable=False),
    Column("window_seconds", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_at", BigInteger, nullable=False),  # microseconds since the epoch, UTC
    Column("last_at", BigInteger, nullable=False, index=True),
    Column("raised_at", BigInteger, nullable=False),  # when it was first stored
)

evidence_table = Table(
    "alert_evidence",
    node_metadata,
    Column("scope", BigInteger, nullable=False),  # the rule and key: :func:`scope`
    Column("request_index", BigInteger, nullable=False),
    Column("decision_index", BigInteger, nullable=False),
    Column("disclosure_index", BigInteger, nullable=False),
    Column("alert_id", String(20), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("ori", String(9), nullable=False),
    PrimaryKeyConstraint("scope", "request_index"),
    Index("ix_alert_evidence_alert_id", "alert_id"),
)


@dataclass(frozen=True, slots=True)
class Alert:
    """A stored alert and its evidence, as the CLI and the console list it."""

    id: str
    state: str
    rule: str
    key: str
    ori: str | None
    subject: str | None
    severity: str
    window: timedelta
    count: int
    first: datetime
    last: datetime
    raised: datetime
    evidence: tuple[int, ...]  # ledger indexes: each lookup's request, decision and disclosure
    oris: tuple[str, ...]  # the requesters in evidence

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "rule": self.rule,
            "severity": self.severity,
            "ori": self.ori,
            "subject": self.subject,
            "key": self.key,
            "count": self.count,
            "window": _duration(self.window),
            "first": _time(self.first),
            "last": _time(self.last),
            "raised": _time(self.raised),
            "oris": list(self.oris),
            "evidence": list(self.evidence),
        }


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _duration(window: timedelta) -> str:
    """ISO 8601: ``PT60M``, ``PT1440M``."""
    return f"PT{int(window.total_seconds()) // 60}M"


def scope(raised: Raised) -> int:
    """A rule and key as one signed 64-bit number (the first bytes of their SHA-256): the
    evidence table's key starts with it rather than with two strings, so its index stays
    small and a storm of raises writes little. Two keys sharing one would take about 2**32
    keys under one rule to be likely."""
    digest = hashlib.sha256(f"{raised.rule.value}\x1f{raised.key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def open_alerts(engine: Engine) -> AlertStore:
    """The alerts kept in ``engine``'s database (a node's), their tables made if need be."""
    store = AlertStore(engine)
    store.create_schema()
    return store


class AlertStore:
    """Stores raises as alerts, each once, and lists them newest first.

    It remembers, for each rule and key it stored evidence under, the alert and the last
    lookup: a raise that continues from that lookup (a pattern going on) is written without
    reading first, its evidence and the alerts' counts each as one statement for the batch.
    """

    KNOWN = 100_000
    """Rules and keys remembered at most; then it starts over."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[tuple[str, str], tuple[str, int]] = {}
        evidence = Compiled(insert(evidence_table), engine, _EVIDENCE)
        self._statements = (evidence, Compiled(_grow(), engine))

    def create_schema(self) -> None:
        with translated("alert schema creation failed"):
            node_metadata.create_all(self.engine, tables=[alerts_table, evidence_table])

    def record(self, raised: Sequence[Raised], now: datetime) -> list[str]:
        """Fold ``raised`` into the stored alerts in one transaction; the ids of alerts that
        are new."""
        if not raised:
            return []
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    return self._record(conn, raised, now)
            except IntegrityError:
                self._known.clear()  # another process stored some of this evidence: fold again
                continue
            except SQLAlchemyError as error:
                self._known.clear()
                raise StorageError("alert write failed") from error
        raise StorageError("alert write failed: the evidence kept changing")

    def _record(self, conn: Connection, raised: Sequence[Raised], now: datetime) -> list[str]:
        if len(self._known) > self.KNOWN:
            for stale in list(itertools.islice(self._known, self.KNOWN // 2)):
                del self._known[stale]  # the least recently stored half
        created: list[str] = []
        pending = _Pending(self._statements)
        for r in raised:
            rule_key = (r.rule.value, r.key)
            known = self._known.pop(rule_key, None)
            if known is None and r.continues is not None:
                known = _latest(conn, r)  # one read by the primary key's start
            if known is not None and r.continues == known[1]:
                # It goes on from the last lookup stored: all of its evidence is new.
                target = known[0]
                pending.add(r, target, r.evidence)
                latest: tuple[str, int] | None = (target, r.evidence[-1].index)
            else:
                pending.write(conn)
                target, fresh = _fold(conn, r, now, pending)
                if fresh:
                    created.append(target)
                    latest = (target, r.evidence[-1].index)
                else:
                    # What is stored may go further (a scan going over the ledger again):
                    # where it ends, so that a raise going on from there is written at once.
                    latest = _latest(conn, r)
            if latest is not None:
                self._known[rule_key] = latest  # at the end: the most recently stored
        pending.write(conn)
        return created

    def list(self, since: datetime | None = None, limit: int | None = None) -> list[Alert]:
        """Alerts whose evidence reaches ``since`` or later, most recent first."""
        query = select(alerts_table).order_by(alerts_table.c.last_at.desc(), alerts_table.c.id)
        if since is not None:
            query = query.where(alerts_table.c.last_at >= micros(since))
        if limit is not None:
            query = query.limit(limit)
        with translated("alert read failed"), self.engine.connect() as conn:
            rows = conn.execute(query).all()
            evidence = _evidence(conn, [row.id for row in rows])
        return [_alert(row, *evidence.get(row.id, ((), ()))) for row in rows]


_EVIDENCE = (
    "scope",
    "request_index",
    "decision_index",
    "disclosure_index",
    "alert_id",
    "at",
    "ori",
)
_GROWN = ("target", "added", "first_micros", "last_micros")


def _grow() -> ClauseElement:
    """Adds a batch's evidence to an alert: its count, and its first and last time."""
    a = alerts_table
    first = bindparam("first_micros", type_=BigInteger)
    last = bindparam("last_micros", type_=BigInteger)
    return (
        update(a)
        .where(a.c.id == bindparam("target"))
        .values(
            count=a.c.count + bindparam("added", type_=Integer),
            first_at=case((a.c.first_at > first, first), else_=a.c.first_at),
            last_at=case((a.c.last_at < last, last), else_=a.c.last_at),
        )
    )


class _Pending:
    """Evidence of raises, and what it adds to each alert, written as two statements (compiled
    once, rows handed to the driver as they are: a storm of raises is a storm of rows)."""

    def __init__(self, statements: tuple[Compiled, Compiled]) -> None:
        self.statements = statements
        self.rows: list[tuple[Any, ...]] = []
        self.grown: dict[str, tuple[int, int, int]] = {}  # alert -> added, first, last

    def add(self, raised: Raised, target: str, lookups: Sequence[Lookup]) -> None:
        within = scope(raised)
        times = [micros(lookup.at) for lookup in lookups]
        self.rows += [
            (within, lookup.index, lookup.indexes[1], lookup.indexes[2], target, at, lookup.ori)
            for lookup, at in zip(lookups, times, strict=True)
        ]
        added, first, last = self.grown.get(target, (0, 1 << 62, 0))
        self.grown[target] = (added + len(lookups), min(first, *times), max(last, *times))

    def write(self, conn: Connection) -> None:
        if self.rows:
            evidence, grow = self.statements
            conn.exec_driver_sql(evidence.sql, evidence.rows(_EVIDENCE, self.rows))
            grown = [(t, n, f, la) for t, (n, f, la) in self.grown.items()]
            conn.exec_driver_sql(grow.sql, grow.rows(_GROWN, grown))
        self.rows, self.grown = [], {}


_e = evidence_table
_HELD = select(_e.c.request_index, _e.c.alert_id).where(
    _e.c.scope == bindparam("scope"), _e.c.request_index.in_(bindparam("indexes", expanding=True))
)
_LATEST = (
    select(_e.c.alert_id, _e.c.request_index)
    .where(_e.c.scope == bindparam("scope"))
    .order_by(_e.c.request_index.desc())
    .limit(1)
)
# Built once: SQLAlchemy then finds them compiled in its cache at every raise.


def _fold(
    conn: Connection, raised: Raised, now: datetime, pending: _Pending
) -> tuple[str, bool | None]:
    """Store one raise, reading what is stored first: its alert's id, and whether the alert
    is new (None: all of its evidence was stored already)."""
    within = scope(raised)
    indexes = [lookup.index for lookup in raised.evidence]
    if raised.continues is not None:
        indexes.insert(0, raised.continues)
    held: dict[int, str] = {}
    for part in _chunks(indexes):
        found = conn.execute(_HELD, {"scope": within, "indexes": list(part)})
        held.update((int(index), str(alert)) for index, alert in found)
    new = [lookup for lookup in raised.evidence if lookup.index not in held]
    if not new:
        return held[min(held)], None
    if held:
        # The alert of the earliest evidence already stored: the one this raise goes on with.
        target = held[min(held)]
    else:
        target = alert_id(raised.state, raised.rule.value, raised.key, new[0].index)
        row = {
            "id": target,
            "state": raised.state,
            "rule": raised.rule.value,
            "key": raised.key,
            "ori": raised.ori,
            "subject": raised.subject,
            "severity": raised.severity,
            "window_seconds": int(raised.window.total_seconds()),
            "count": 0,
            "first_at": micros(new[0].at),
            "last_at": micros(new[0].at),
            "raised_at": micros(now),
        }
        conn.execute(insert(alerts_table), [row])
    pending.add(raised, target, new)
    pending.write(conn)
    return target, not held


def _latest(conn: Connection, raised: Raised) -> tuple[str, int] | None:
    """The alert and index of the last lookup stored under a raise's rule and key."""
    row = conn.execute(_LATEST, {"scope": scope(raised)}).first()
    return (str(row[0]), int(row[1])) if row is not None else None


def _evidence(
    conn: Connection, ids: Sequence[str]
) -> dict[str, tuple[tuple[int, ...], tuple[str, ...]]]:
    """Each alert's ledger indexes, ascending, and the ORIs in its evidence."""
    indexes: dict[str, list[int]] = defaultdict(list)
    oris: dict[str, set[str]] = defaultdict(set)
    e = evidence_table
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        query = select(
            e.c.alert_id, e.c.request_index, e.c.decision_index, e.c.disclosure_index, e.c.ori
        ).where(e.c.alert_id.in_(part))
        for alert, request, decision, disclosure, ori in conn.execute(query):
            indexes[alert] += (int(request), int(decision), int(disclosure))
            oris[alert].add(ori)
    return {a: (tuple(sorted(indexes[a])), tuple(sorted(oris[a]))) for a in indexes}


def _alert(row: Any, evidence: tuple[int, ...], oris: tuple[str, ...]) -> Alert:
    return Alert(
        id=row.id,
        state=row.state,
        rule=row.rule,
        key=row.key,
        ori=row.ori,
        subject=row.subject,
        severity=row.severity,
        window=timedelta(seconds=row.window_seconds),
        count=row.count,
        first=from_micros(row.first_at),
        last=from_micros(row.last_at),
        raised=from_micros(row.raised_at),
        evidence=evidence,
        oris=oris,
    )
