"""The public statistics a state can publish as is: requests by requester category and by
agency, exact, and counts of the people looked up, released with differential privacy.

Counts of requests describe agencies, not people: they come exact from the analytical copy,
the same figures as the transparency report's. Counts of people describe residents: each is a
count of distinct subject keys (the keyed hash a ledger names a person by), so each person
counts at most once in each figure however often they were looked up, and each is released
through :mod:`stateline.oversight.privacy` with a share of the budget. The subject keys are not
in the analytical copy (it holds no key that stands for a person): they are read from the
ledgers, streamed a chunk at a time over the index range the copy says the year's requests and
answers occupy, and counted distinct by DuckDB.

Who a request looked up (:func:`people_of`): the people its answer found, by their licence
numbers' keys, where it found any; otherwise the person the query named (by licence number, or
by name and date of birth). A plate or VIN query that found no one names no person. A person a
query named both ways counts under both keys: the privacy statement says so.

A resident's county cannot be derived: a ledger names people only by keyed hash, never by
address, and these statistics read no records (:data:`NOT_RELEASED`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]

from stateline.directory.model import Agency
from stateline.oversight.categories import (
    CBP,
    HSI,
    ICE_ERO,
    IMMIGRATION,
    POLICE_OUT_OF_STATE,
    STATE_AGENCY_OUT_OF_STATE,
    requester_category,
)
from stateline.oversight.parts import signed_heads
from stateline.oversight.ports import Sources
from stateline.oversight.privacy import (
    Budget,
    Noisy,
    add_noise,
)
from stateline.oversight.transparency import (
    Report,
    Scope,
    Section,
    transparency,
)


@dataclass(frozen=True, slots=True)
class Figure:
    """A count of people: those looked up by the requester categories ``asked_by`` (every
    requester, where None), or with ``sent``, only those whose records an answer carried."""

    name: str
    title: str
    asked_by: frozenset[str] | None
    sent: bool = False

    def counts(self, category: str) -> bool:
        return self.asked_by is None or category in self.asked_by


FIGURES = (
    Figure("people_looked_up", "People looked up", None),
    Figure(
        "people_out_of_state",
        "People looked up by out-of-state police and agencies",
        frozenset({POLICE_OUT_OF_STATE, STATE_AGENCY_OUT_OF_STATE}),
    ),
    Figure("people_immigration", "People looked up by federal immigration", frozenset(IMMIGRATION)),
    Figure("people_ice_ero", "People looked up by ICE ERO", frozenset({ICE_ERO})),
    Figure("people_hsi", "People looked up by HSI", frozenset({HSI})),
    Figure("people_cbp", "People looked up by CBP", frozenset({CBP})),
    Figure(
        "people_sent_to_immigration",
        "People whose records federal immigration received",
        frozenset(IMMIGRATION),
        sent=True,
    ),
)
"""The figures about people, in the order a release lists them; the budget is split across
all of them, whether or not anyone asked."""

NOT_RELEASED = (
    (
        "People looked up, by county",
        "A ledger names people only by a keyed hash, never by address, and these statistics "
        "read no records: a resident's county cannot be derived.",
    ),
)
"""Figures asked for that cannot be made, and why."""

UNIT = (
    "a person is known only as the ledger names them: by a keyed hash of their licence "
    "number, or of the name and date of birth a query gave where no record was found; someone "
    "named both ways counts under both"
)

CHUNK = 100_000
"""Ledger entries read at a time."""

EVERY_AGENCY = 2**31 - 1
"""The transparency report's ``top``, for a list of every agency that asked."""


def people_of(asked: Sequence[str], disclosed: Sequence[str]) -> tuple[str, ...]:
    """Who one answer looked up: the people it found (the disclosure's subjects the request did
    not name), or where it found none, those the request named."""
    found = tuple(s for s in disclosed if s not in asked)
    return found or tuple(asked)


class Lookups:
    """Turns one state's entries, fed in index order, into ``(figure, subject key)`` pairs for
    the requests of one year (UTC), and the answers sent in it."""

    def __init__(
        self,
        state: str,
        agencies: Mapping[str, Agency],
        year: int,
        figures: Sequence[Figure] = FIGURES,
    ) -> None:
        self.state = state
        self.agencies = agencies
        self.figures = tuple(figures)
        self.pairs: list[tuple[int, str]] = []
        self.unreadable = 0  # entries whose body retention removed
        self._year = f"{year:04d}-"
        self._open: dict[str, Any] | None = None  # a request awaiting its decision and answer
        self._outcome: str | None = None
        self._held: dict[str, tuple[str, ...]] = {}  # for a late answer: who a request named
        self._categories: dict[str, str] = {}

    def feed(self, entry: dict[str, Any] | None) -> None:
        """One entry (``None``: its body was removed by retention, and it counts nowhere)."""
        if entry is None:
            self.unreadable += 1
            return
        kind = entry.get("kind")
        if kind == "request":
            self._open = entry if entry["at"].startswith(self._year) else None
            self._outcome = None
        elif kind == "decision":
            if self._open is not None and self._open["message_id"] == entry["message_id"]:
                self._outcome = entry["outcome"]
        elif kind == "disclosure":
            request = self._open
            if (
                request is not None
                and self._outcome is not None
                and request["message_id"] == entry["message_id"]
            ):
                self._answered(request, self._outcome, entry)
                self._open = None
            elif entry["at"].startswith(self._year):
                self._late(entry)

    def _category(self, ori: str) -> str:
        known = self._categories.get(ori)
        if known is None:
            known = self._categories[ori] = requester_category(self.agencies.get(ori), self.state)
        return known

    def _answered(self, request: dict[str, Any], outcome: str, answer: dict[str, Any]) -> None:
        category = self._category(request["requester"])
        asked = tuple(request.get("subjects") or ())
        people = people_of(asked, answer.get("subjects") or ())
        carried = bool(answer.get("data_classes"))
        for number, figure in enumerate(self.figures):
            if figure.counts(category) and (carried or not figure.sent):
                self.pairs.extend((number, person) for person in people)
        if outcome == "review" and any(f.sent and f.counts(category) for f in self.figures):
            self._held[request["message_id"]] = asked

    def _late(self, answer: dict[str, Any]) -> None:
        """An answer sent after the first: a held request's, once a person decided it."""
        asked = self._held.pop(answer["message_id"], ())
        if not answer.get("data_classes"):
            return
        category = self._category(answer["recipient"])
        people = people_of(asked, answer.get("subjects") or ())
        for number, figure in enumerate(self.figures):
            if figure.sent and figure.counts(category):
                self.pairs.extend((number, person) for person in people)


@dataclass(frozen=True, slots=True)
class Published:
    """A figure as released: with its noise, or ``None`` where no request could have counted
    anyone (the year's exact counts of requests and answers show none), published as none."""

    figure: Figure
    noisy: Noisy | None


@dataclass(frozen=True, slots=True)
class Release:
    """One release of a state's (or the nation's) public statistics for one year."""

    title: str
    covers: str
    year: int
    budget: Budget
    people: tuple[Published, ...]
    requests: tuple[Section, ...]  # summary, by category, by agency: exact
    report: Report  # the transparency report they come from (for its chart)
    heads: tuple[tuple[str, int, str], ...]  # each ledger's size and root as the copy read them
    unreadable: int
    made: datetime


def publish(
    counts: Mapping[str, int], budget: Budget, behind: Mapping[str, int] | None = None
) -> tuple[Published, ...]:
    """Each figure's count with its noise, one share of ``budget`` each; a figure with no
    request ``behind`` it (:func:`requests_behind`) is none, exactly, and draws no noise.

    Telling it apart costs no privacy: it follows from counts of requests and answers, which
    describe agencies and are published exact. Its share stays set aside all the same."""
    if len(budget.shares) != len(FIGURES):
        raise ValueError(
            f"the budget is split for {len(budget.shares)} figures, not {len(FIGURES)}"
        )
    known = behind or {}
    return tuple(
        Published(
            figure,
            None if known.get(figure.name) == 0 else add_noise(counts.get(figure.name, 0), share),
        )
        for figure, share in zip(FIGURES, budget.shares, strict=True)
    )


def requests_behind(db: Any, scope: Scope) -> dict[str, int]:
    """For each figure, the requests its people could come from: those its requester
    categories made (for a ``sent`` figure, the answers to them that carried records, later
    answers to held requests included)."""
    where, values = scope.where()
    behind: dict[str, int] = {}
    for figure in FIGURES:
        asked_by = sorted(figure.asked_by or ())
        by = "true" if figure.asked_by is None else f"requester_category IN ({_marks(asked_by)})"
        if figure.sent:
            sql = (
                f"SELECT (SELECT count(*) FROM requests WHERE {where} AND {by} "
                "AND len(disclosed_classes) > 0) + (SELECT count(*) FROM late_disclosures "
                f"WHERE {where} AND len(classes) > 0 AND recipient IN "
                f"(SELECT requester FROM requests WHERE {by}))"
            )
            params = [*values, *asked_by, *values, *asked_by]
        else:
            sql = f"SELECT count(*) FROM requests WHERE {where} AND {by}"
            params = [*values, *asked_by]
        behind[figure.name] = int(db.execute(sql, params).fetchone()[0])
    return behind


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values)


def build(
    sources: Sources,
    out: Path,
    states: tuple[str, ...] | None,
    year: int,
    budget: Budget,
    title: str,
    covers: str,
    made: datetime,
) -> Release:
    """The release over the analytical copy (brought up to date by the caller) and the
    ledgers; ``states`` None: every state in the copy. Raises
    :class:`~stateline.oversight.copy.CopyError` and storage errors; writes nothing."""
    from stateline.oversight.copy import connect

    db = connect(out)
    try:
        scope = Scope(states, date(year, 1, 1), date(year, 12, 31))
        report = transparency(db, scope, made.date(), title, EVERY_AGENCY)
        ranges = ledger_ranges(db, scope)
        behind = requests_behind(db, scope)
    finally:
        db.close()
    with sources.hub() as hub:
        agencies = hub.agencies()
    counts, unreadable = count_people(sources, agencies, ranges, year)
    requests = (
        replace(report.section("summary"), title="Requests and their outcomes"),
        replace(
            report.section("by_category"),
            title="Requests by who asked",
            note="Exact: these describe agencies, not people. Categories come from the "
            "directory's facts about each agency.",
        ),
        replace(report.section("by_agency"), title="Requests by agency", note="Exact."),
    )
    return Release(
        title,
        covers,
        year,
        budget,
        publish(counts, budget, behind),
        requests,
        report,
        tuple(signed_heads(out, states)),
        unreadable,
        made,
    )


def ledger_ranges(db: Any, scope: Scope) -> dict[str, tuple[int, int]]:
    """Each state's ledger indexes ``[lo, hi)`` that hold the period's requests and answers."""
    where, values = scope.where()
    rows = db.execute(
        f"SELECT state, min(lo), max(hi) + 1 FROM ("
        f"SELECT state, min(request_index) AS lo, max(disclosure_index) AS hi FROM requests "
        f"WHERE {where} GROUP BY state UNION ALL "
        f'SELECT state, min("index"), max("index") FROM late_disclosures '
        f"WHERE {where} GROUP BY state) GROUP BY state ORDER BY state",
        values + values,
    ).fetchall()
    return {str(state): (int(lo), int(hi)) for state, lo, hi in rows}


def count_people(
    sources: Sources,
    agencies: Mapping[str, Agency],
    ranges: Mapping[str, tuple[int, int]],
    year: int,
) -> tuple[dict[str, int], int]:
    """Each figure's count of distinct people in ``year``, read from each state's ledger over
    its range, and how many entries there had lost their body to retention."""
    import duckdb

    db = duckdb.connect()
    try:
        db.execute("CREATE TABLE people (figure UTINYINT, person VARCHAR)")
        unreadable = 0
        for state, (lo, hi) in ranges.items():
            lookups = Lookups(state, agencies, year)
            _read(sources, state, lo, hi, lookups, db)
            unreadable += lookups.unreadable
        counted = dict(
            db.execute(
                "SELECT figure, count(DISTINCT person) FROM people GROUP BY figure"
            ).fetchall()
        )
    finally:
        db.close()
    return {f.name: int(counted.get(n, 0)) for n, f in enumerate(FIGURES)}, unreadable


def _read(sources: Sources, state: str, lo: int, hi: int, lookups: Lookups, db: Any) -> None:
    """Feed ``state``'s entries ``[lo, hi)`` to ``lookups``, a chunk at a time, and move its
    pairs into ``db`` after each."""
    from stateline.ledger.keys import origin_for
    from stateline.ledger.read import read_once

    with sources.ledger(state) as (store, journal):
        for batch in read_once(store, journal, origin_for(state), lo, hi, CHUNK).batches:
            for _index, body in batch:
                lookups.feed(None if body is None else orjson.loads(body))
            _move(lookups, db)


def _move(lookups: Lookups, db: Any) -> None:
    if not lookups.pairs:
        return
    figures, people = zip(*lookups.pairs, strict=True)
    batch = pa.table({"figure": pa.array(figures, pa.uint8()), "person": pa.array(people)})
    db.register("batch", batch)
    db.execute("INSERT INTO people SELECT figure, person FROM batch")
    db.unregister("batch")
    lookups.pairs.clear()
