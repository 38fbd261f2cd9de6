"""A state node's records in its own database: people, addresses, vehicles, history, name index.

Every lookup is one statement and one round trip: the person row carries its addresses,
vehicles and history as JSON arrays aggregated by the database (``json_group_array`` on SQLite,
``json_agg`` on PostgreSQL), and searches select people through an index (``oln``, the
``name_keys`` table of surname phonetic keys by DOB, ``vehicles.plate``, ``vehicles.vin``).
Reads are Core statements compiled once per store and run straight on a pooled DBAPI cursor;
writes go through SQLAlchemy Core in batches. Driver errors become ``StorageError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Date,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    ScalarSelect,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    select,
)

from stateline.errors import StorageError
from stateline.node.records.model import (
    Address,
    CredentialType,
    HistoryEvent,
    HistoryKind,
    LicenceStatus,
    NameMatch,
    Person,
    Vehicle,
)
from stateline.node.records.phonetic import MAX_KEY, surname_keys
from stateline.node.records.search import NameQuery, rank
from stateline.storage.compiled import Compiled, Reads
from stateline.storage.failures import translated
from stateline.storage.schema import node_metadata

people = Table(
    "people",
    node_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("oln", String(20), nullable=False, unique=True),
    Column("state", String(2), nullable=False),
    Column("last", String(40), nullable=False),
    Column("first", String(30), nullable=False),
    Column("middle", String(30), nullable=False),
    Column("suffix", String(4), nullable=False),
    Column("dob", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("ssn", String(9), nullable=False),
    Column("height_in", SmallInteger, nullable=False),
    Column("weight_lb", SmallInteger, nullable=False),
    Column("eyes", String(3), nullable=False),
    Column("hair", String(3), nullable=False),
    Column("licence_class", String(2), nullable=False),
    Column("licence_status", String(10), nullable=False),
    Column("issued", Date, nullable=False),
    Column("expires", Date, nullable=False),
    Column("credential", String(10), nullable=False),
)

photos = Table(
    "photos",
    node_metadata,
    Column("person_id", ForeignKey("people.id"), primary_key=True),
    Column("png", LargeBinary, nullable=False),
)
"""Photos apart from people: a real photo is tens of kilobytes, and most queries never ask."""

addresses = Table(
    "addresses",
    node_metadata,
    Column("person_id", ForeignKey("people.id"), primary_key=True),
    Column("seq", SmallInteger, primary_key=True),  # 0: current, then prior ones newest first
    Column("street", String(60), nullable=False),
    Column("city", String(40), nullable=False),
    Column("state", String(2), nullable=False),
    Column("zip", String(10), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date),
    sqlite_with_rowid=False,  # clustered by person: one B-tree descent reads them all
)

vehicles = Table(
    "vehicles",
    node_metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("people.id"), nullable=False, index=True),
    Column("plate", String(10), nullable=False, index=True),
    Column("plate_year", String(4), nullable=False),
    Column("plate_type", String(2), nullable=False),
    Column("vin", String(17), nullable=False, index=True),
    Column("make", String(20), nullable=False),
    Column("model", String(20), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("colour", String(3), nullable=False),
)

history = Table(
    "history",
    node_metadata,
    Column("person_id", ForeignKey("people.id"), primary_key=True),
    Column("seq", SmallInteger, primary_key=True),  # newest first
    Column("occurred", Date, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("description", String(60), nullable=False),
    Column("points", SmallInteger, nullable=False),
    sqlite_with_rowid=False,
)

name_keys = Table(
    "name_keys",
    node_metadata,
    Column("dob", Date, primary_key=True),
    Column("key", String(MAX_KEY + 2), primary_key=True),
    Column("person_id", ForeignKey("people.id"), primary_key=True),
    sqlite_with_rowid=False,  # the primary key is the whole table: one B-tree, read in order
)
"""The name-search index: each person under each phonetic key of their surname, by DOB."""

Index("ix_name_keys_person_id", name_keys.c.person_id)

TABLES = (people, photos, addresses, vehicles, history, name_keys)

_STATUS = {s.value: s for s in LicenceStatus}
_CREDENTIAL = {c.value: c for c in CredentialType}
_KIND = {k.value: k for k in HistoryKind}


def _json_rows(dialect: str, columns: Sequence[Any], where: Any) -> ScalarSelect[Any]:
    """A subquery giving, as JSON text, one array per matching row of ``columns``."""
    if dialect == "postgresql":
        aggregate: Any = cast(func.json_agg(func.json_build_array(*columns)), Text)
    else:
        aggregate = func.json_group_array(func.json_array(*columns))
    return select(aggregate).where(where).scalar_subquery()


def _loader(dialect: str) -> Select[Any]:
    """Select people with their photo, addresses, vehicles and history: one row per person."""
    a, v, h = addresses.c, vehicles.c, history.c
    return (
        select(
            people,
            photos.c.png,
            _json_rows(
                dialect,
                [a.seq, a.street, a.city, a.state, a.zip, a.since, a.until],
                a.person_id == people.c.id,
            ).label("addresses"),
            _json_rows(
                dialect,
                [v.id, v.plate, v.plate_year, v.plate_type, v.vin, v.make, v.model, v.year,
                 v.colour],
                v.owner_id == people.c.id,
            ).label("vehicles"),
            _json_rows(
                dialect,
                [h.seq, h.occurred, h.kind, h.description, h.points],
                h.person_id == people.c.id,
            ).label("history"),
        )
        .select_from(people.outerjoin(photos, photos.c.person_id == people.c.id))
    )  # fmt: skip


def _to_date(value: date | str) -> date:
    # SQLite hands dates back as ISO text (no type processing on this path); PostgreSQL as dates.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _person(row: Sequence[Any]) -> Person:
    """A person from one loader row: the people columns, the photo, then three JSON arrays."""
    (person_id, oln, state, last, first, middle, suffix, dob, sex, ssn, height_in, weight_lb,
     eyes, hair, licence_class, status, issued, expires, credential, png, address_json,
     vehicle_json, history_json) = row  # fmt: skip
    return Person(
        id=person_id,
        oln=oln,
        state=state,
        last=last,
        first=first,
        middle=middle,
        suffix=suffix,
        dob=_to_date(dob),
        sex=sex,
        ssn=ssn,
        height_in=height_in,
        weight_lb=weight_lb,
        eyes=eyes,
        hair=hair,
        licence_class=licence_class,
        licence_status=_STATUS[status],
        issued=_to_date(issued),
        expires=_to_date(expires),
        credential=_CREDENTIAL[credential],
        photo=bytes(png) if png else b"",
        addresses=tuple(
            Address(
                street, city, st, zip_code, date.fromisoformat(since), until and _to_date(until)
            )
            for _, street, city, st, zip_code, since, until in sorted(
                orjson.loads(address_json or "[]")
            )
        ),
        vehicles=tuple(
            Vehicle(plate, plate_year, plate_type, vin, make, model, year, colour, person_id)
            for _, plate, plate_year, plate_type, vin, make, model, year, colour in sorted(
                orjson.loads(vehicle_json or "[]")
            )
        ),
        history=tuple(
            HistoryEvent(date.fromisoformat(occurred), _KIND[kind], description, points)
            for _, occurred, kind, description, points in sorted(orjson.loads(history_json or "[]"))
        ),
    )


Rows = tuple[list[tuple[Any, ...]], ...]
"""Rows to insert, one list per table of ``TABLES``, each row in its table's column order."""

INSERTED = {t: [c.name for c in t.c if c is not vehicles.c.id] for t in TABLES}
"""The columns each insert fills: all of them, but for the vehicle id the database assigns."""


def _rows(person: Person, day: Callable[[date], Any]) -> Rows:
    """One person's rows, dates written by ``day`` (ISO text on SQLite), enums by value."""
    p, pid = person, person.id
    return (
        [(pid, p.oln, p.state, p.last, p.first, p.middle, p.suffix, day(p.dob), p.sex, p.ssn,
          p.height_in, p.weight_lb, p.eyes, p.hair, p.licence_class, p.licence_status.value,
          day(p.issued), day(p.expires), p.credential.value)],
        [(pid, p.photo)] if p.photo else [],
        [(pid, seq, a.street, a.city, a.state, a.zip, day(a.since), a.until and day(a.until))
         for seq, a in enumerate(p.addresses)],
        [(pid, v.plate, v.plate_year, v.plate_type, v.vin, v.make, v.model, v.year, v.colour)
         for v in p.vehicles],
        [(pid, seq, day(e.occurred), e.kind.value, e.description, e.points)
         for seq, e in enumerate(p.history)],
        [(day(p.dob), key, pid) for key in surname_keys(p.last)],
    )  # fmt: skip


def _clean(value: str) -> str:
    return "".join(value.split()).upper()


class SqlRecordStore:
    """The node's records: bulk loading, and lookup by OLN, name + DOB + sex, plate and VIN.

    Raises ``StorageError`` (never a driver exception) when the database fails.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = Reads(engine, failure=StorageError, what="records")
        dialect = engine.dialect
        # SQLite keeps a Date as ISO text, and sqlite3's own date adapter is deprecated.
        self._day: Callable[[date], Any] = (
            date.isoformat if dialect.name == "sqlite" else (lambda day: day)
        )
        self._inserts = [Compiled(table.insert(), engine, INSERTED[table]) for table in TABLES]
        for insert, table in zip(self._inserts, TABLES, strict=True):
            # _rows writes tuples in INSERTED order: a positional insert must bind in that order.
            if insert.positional and list(insert.names) != INSERTED[table]:
                raise AssertionError(f"{table.name}: insert binds {insert.names}")
        self._loader = _loader(dialect.name)
        v = vehicles.c
        self._by_oln = self._compile(self._loader.where(people.c.oln == bindparam("oln")))
        owners = select(v.owner_id).where(
            v.plate == bindparam("plate"),
            v.plate_year == bindparam("plate_year"),
            v.plate_type == bindparam("plate_type"),
        )
        self._by_plate = self._compile(self._loader.where(people.c.id.in_(owners)))
        owner = select(v.owner_id).where(v.vin == bindparam("vin"))
        self._by_vin = self._compile(self._loader.where(people.c.id.in_(owner)))
        self._by_name: dict[int, Compiled] = {}  # by number of keys searched
        self._count = self._compile(select(func.count()).select_from(people))

    @property
    def engine(self) -> Engine:
        """The node's database engine (bootstrap disposes of it on shutdown)."""
        return self._engine

    def close(self) -> None:
        """Hand back the connection reads keep (before the engine is disposed of)."""
        self._reads.close()

    def _compile(self, statement: Select[Any]) -> Compiled:
        return Compiled(statement, self._engine)

    def _name_statement(self, keys: int) -> Compiled:
        compiled = self._by_name.get(keys)
        if compiled is None:
            candidates = select(name_keys.c.person_id).where(
                name_keys.c.dob == bindparam("dob"),
                name_keys.c.key.in_([bindparam(f"key{i}") for i in range(keys)]),
            )
            compiled = self._compile(self._loader.where(people.c.id.in_(candidates)))
            self._by_name[keys] = compiled
        return compiled

    def _fetch(self, statement: Compiled, values: dict[str, Any]) -> list[Any]:
        return self._reads.fetch(statement, values)

    def _load(self, statement: Compiled, values: dict[str, Any]) -> list[Person]:
        return [_person(row) for row in self._fetch(statement, values)]

    def create_schema(self) -> None:
        """Create the record tables and indexes that do not exist yet."""
        with translated("cannot create the record tables", detail=True):
            node_metadata.create_all(self._engine, tables=list(TABLES))

    def clear(self) -> None:
        """Delete every record (before a reload); the tables stay."""
        with translated("cannot clear the records", detail=True), self._engine.begin() as conn:
            for table in reversed(TABLES):  # children before parents
                conn.execute(table.delete())

    def insert_people(self, people_: Iterable[Person], batch: int = 5000) -> int:
        """Insert people with everything they hold, ``batch`` people per transaction.

        Returns how many were inserted. A failed batch is rolled back whole (earlier batches
        stay) and raises ``StorageError``.
        """
        inserted = 0
        pending: Rows = tuple([] for _ in TABLES)
        for person in people_:
            for rows, more in zip(pending, _rows(person, self._day), strict=True):
                rows.extend(more)
            inserted += 1
            if inserted % batch == 0:
                self._write(pending)
                pending = tuple([] for _ in TABLES)
        if pending[0]:
            self._write(pending)
        self._analyse()
        return inserted

    def _analyse(self) -> None:
        """Refresh the planner's statistics after a load: without them PostgreSQL may plan a
        prepared lookup as a full scan (tens of milliseconds instead of a fraction of one)."""
        if self._engine.dialect.name == "sqlite":
            statements = ["PRAGMA analysis_limit=1000", "ANALYZE"]  # sampled: fast on any size
        else:
            schema = (self._engine.get_execution_options().get("schema_translate_map") or {}).get(
                None
            )
            names = (f"{schema}.{t.name}" if schema else t.name for t in TABLES)
            statements = [f"ANALYZE {', '.join(names)}"]
        with (
            translated("cannot analyse the record tables", detail=True),
            self._engine.begin() as conn,
        ):
            for statement in statements:
                conn.exec_driver_sql(statement)

    def _write(self, pending: Rows) -> None:
        # Rows go to the driver's executemany as compiled: Connection.execute would process
        # every parameter of every row in Python first, which costs more than SQLite's work.
        named = not self._engine.dialect.positional
        with translated("cannot insert records", detail=True), self._engine.begin() as conn:
            for table, insert, rows in zip(TABLES, self._inserts, pending, strict=True):
                if not rows:
                    continue  # parents go before children, for the foreign keys
                if named:  # psycopg's pyformat takes a dict per row
                    names = INSERTED[table]
                    dicts = [dict(zip(names, row, strict=True)) for row in rows]
                    conn.exec_driver_sql(insert.sql, dicts)
                else:
                    conn.exec_driver_sql(insert.sql, rows)

    def count(self) -> int:
        """How many people the node holds."""
        return int(self._fetch(self._count, {})[0][0])

    def by_oln(self, oln: str) -> Person | None:
        """The holder of licence number ``oln``, or ``None`` (NOT ON FILE)."""
        found = self._load(self._by_oln, {"oln": _clean(oln)})
        return found[0] if found else None

    def by_name(
        self, last: str, first: str, dob: date, sex: str, limit: int = 10
    ) -> list[NameMatch]:
        """People born on ``dob`` whose surname sounds like ``last``, ranked by how well they
        match the whole name and sex, best first; an empty list means NOT ON FILE."""
        query = NameQuery.of(last, first)
        keys = sorted(surname_keys(query.last))
        if not keys:
            return []
        values: dict[str, Any] = {f"key{i}": key for i, key in enumerate(keys)}
        values["dob"] = self._day(dob)
        candidates = self._load(self._name_statement(len(keys)), values)
        return rank(query, sex, candidates, limit=limit)

    def by_plate(
        self, plate: str, plate_year: str, plate_type: str
    ) -> list[tuple[Vehicle, Person]]:
        """Vehicles registered under this plate number, year (or ``NX``) and NCIC type, with
        their owners; an empty list means NOT ON FILE."""
        wanted = (_clean(plate), _clean(plate_year), _clean(plate_type))
        values = dict(zip(("plate", "plate_year", "plate_type"), wanted, strict=True))
        owners = self._load(self._by_plate, values)
        return [
            (v, owner)
            for owner in owners
            for v in owner.vehicles
            if (v.plate, v.plate_year, v.plate_type) == wanted
        ]

    def by_vin(self, vin: str) -> list[tuple[Vehicle, Person]]:
        """Vehicles with this VIN (normally one), with their owners."""
        vin = _clean(vin)
        owners = self._load(self._by_vin, {"vin": vin})
        return [(v, owner) for owner in owners for v in owner.vehicles if v.vin == vin]
