"""Replaying a simulated year through state law: DuckDB counts, Cedar decides, DuckDB joins.

DuckDB groups every query of the year by the attributes a decision depends on (the Parquet is
never loaded into Python), each distinct combination is decided once (``outcomes``), and the
decisions are joined back to the counts and summed by state and requester category. The review
workload follows from the held requests: a day's worth of them, for a national year (the counts
divided by the folder's scale), and the reviewers they keep busy.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from stateline.oversight.categories import CATEGORIES
from stateline.simulate.errors import SimulationError
from stateline.simulate.generate import AGENCIES, QUERIES
from stateline.simulate.laws import Laws, choose_laws
from stateline.simulate.manifest import Manifest, read_manifest
from stateline.simulate.outcomes import KEY, decide, sensitivity

OUTCOMES = ("release", "release-redacted", "deny", "review")
"""The four outcomes, as the policy names them: released, withheld in part, denied, held."""

_COLUMNS = ("queries", "released", "withheld", "denied", "held", "counsel", "notices")


@dataclass(frozen=True, slots=True)
class Counts:
    """What happened to a set of queries."""

    queries: int = 0
    released: int = 0  # released in full
    withheld: int = 0  # released with some data classes withheld
    denied: int = 0
    held: int = 0  # held for a person to review
    counsel: int = 0  # of the held, those that go to the state's legal counsel
    notices: int = 0  # the subject is owed a notice

    def as_json(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in _COLUMNS}


@dataclass(frozen=True, slots=True)
class Workload:
    """A state's review queue over a national year: held requests a day, reviewers needed."""

    held_per_day: float
    reviewer_hours_per_day: float
    reviewers: int

    def as_json(self) -> dict[str, float | int]:
        return {
            "held_per_day": round(self.held_per_day, 1),
            "reviewer_hours_per_day": round(self.reviewer_hours_per_day, 1),
            "reviewers": self.reviewers,
        }


@dataclass(frozen=True, slots=True)
class Replay:
    """A replay's figures: by state and category, by state with its workload, by category."""

    manifest: Manifest
    laws: Laws
    review_minutes: float
    reviewer_hours: float
    combinations: int  # distinct attribute combinations the group-by found
    cells: dict[tuple[str, str], Counts] = field(default_factory=dict)
    states: dict[str, Counts] = field(default_factory=dict)
    categories: dict[str, Counts] = field(default_factory=dict)
    total: Counts = Counts()
    workload: dict[str, Workload] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "year": self.manifest.year,
            "scale": self.manifest.scale,
            "seed": self.manifest.seed,
            "policy": self.laws.policy,
            "swaps": dict(self.laws.swaps),
            "review_minutes": self.review_minutes,
            "reviewer_hours": self.reviewer_hours,
            "combinations": self.combinations,
            "total": self.total.as_json(),
            "by_category": [{"category": c, **n.as_json()} for c, n in self.categories.items()],
            "by_state": [
                {
                    "state": s,
                    "bundle": self.laws.by_state[s],
                    **n.as_json(),
                    **self.workload[s].as_json(),
                }
                for s, n in self.states.items()
            ],
            "by_state_and_category": [
                {"state": s, "category": c, **n.as_json()} for (s, c), n in self.cells.items()
            ],
        }


def _quoted(values: frozenset[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values)) or "''"


def keyed_sql(folder: Path, laws: Laws, extra: str = "") -> str:
    """Every query of the year with the columns of its combination (:data:`KEY`), as its
    state's law tells them apart, and ``extra`` columns of its own (SQL over ``q``, the query,
    and ``a``, its agency)."""
    sense = sensitivity(laws)
    queries = (folder / QUERIES / "*" / "*" / "*.parquet").as_posix().replace("'", "''")
    agencies = (folder / AGENCIES).as_posix().replace("'", "''")
    named = " ".join(
        f"WHEN q.state = '{state}' AND a.home_state IN ({_quoted(codes)}) THEN a.home_state"
        for state, codes in sorted(sense.places.items())
    )
    return f"""
        SELECT q.state, a.agency_type,
            CASE WHEN a.home_state = q.state THEN 'in' WHEN a.home_state = 'US' THEN 'US'
                 {named} ELSE 'out'
            END AS home,
            a.missions, q.acting_for, q.certified, q.mke, q.search = 'partial' AS partial,
            q.photo, q.purpose, q.process, q.scope, q.notice_delay,
            CASE WHEN q.state IN ({_quoted(sense.record)}) THEN q.credential ELSE 'any'
            END AS credential,
            CASE WHEN q.state IN ({_quoted(sense.requester)}) THEN q.ori ELSE '' END AS ori
            {"," if extra else ""} {extra}
        FROM read_parquet('{queries}', hive_partitioning = true) AS q
        JOIN read_parquet('{agencies}') AS a ON a.ori = q.ori
    """


def _group_sql(folder: Path, laws: Laws) -> str:
    return f"""
        SELECT {", ".join(KEY)}, category, count(*) AS queries
        FROM ({keyed_sql(folder, laws, "q.category AS category")})
        GROUP BY ALL
    """


def _connect(threads: int) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(f"SET threads = {max(1, threads)}")
    connection.execute("SET preserve_insertion_order = false")
    connection.execute("SET enable_progress_bar = false")  # the command shows its own
    return connection


def replay(
    folder: Path,
    policy: str = "statute",
    swaps: Mapping[str, str] | None = None,
    review_minutes: float = 10.0,
    reviewer_hours: float = 6.0,
    threads: int = 2,
) -> Replay:
    """Decide every query of the simulated year in ``folder`` by ``policy`` with ``swaps``."""
    if not review_minutes > 0 or not reviewer_hours > 0:
        raise SimulationError("--review-minutes and --reviewer-hours must be above 0")
    manifest = read_manifest(folder)
    for part in (folder / QUERIES, folder / AGENCIES):
        if not part.exists():
            raise SimulationError(f"{folder} is not a simulated year: {part.name} is missing")
    laws = choose_laws(policy, swaps)
    connection = _connect(threads)
    try:
        rows, combinations = _decide_and_count(connection, folder, laws)
    finally:
        connection.close()
    cells = {(r[0], r[1]): Counts(*(int(v or 0) for v in r[2:])) for r in rows}
    total = _sum(cells.values())
    if total.queries != manifest.queries:
        raise SimulationError(
            f"{folder} holds {total.queries} queries but its manifest says {manifest.queries}: "
            "files are missing or were changed"
        )
    return _summarise(manifest, laws, review_minutes, reviewer_hours, combinations, cells)


def _decide_and_count(
    connection: duckdb.DuckDBPyConnection, folder: Path, laws: Laws
) -> tuple[list[tuple[Any, ...]], int]:
    """Counts by state, category and outcome; and how many combinations were decided."""
    try:
        connection.execute(f"CREATE TEMP TABLE combos AS {_group_sql(folder, laws)}")
        distinct = f"SELECT DISTINCT {', '.join(KEY)} FROM combos"
        keys = [tuple(row) for row in connection.execute(distinct).fetchall()]
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise SimulationError(f"{folder} holds an unreadable Parquet file: {first}") from error
    verdicts = decide(keys, laws)
    decided = pa.table(
        {
            **{name: [k[i] for k in keys] for i, name in enumerate(KEY)},
            "outcome": [v.outcome for v in verdicts],
            "notify": [v.notify for v in verdicts],
            "counsel": [v.counsel for v in verdicts],
        }
    )
    connection.register("decided", decided)
    rows = connection.execute(
        f"""
        SELECT c.state, c.category, sum(c.queries),
            {", ".join(f"sum(c.queries) FILTER (d.outcome = '{o}')" for o in OUTCOMES)},
            sum(c.queries) FILTER (d.outcome = 'review' AND d.counsel),
            sum(c.queries) FILTER (d.notify)
        FROM combos AS c JOIN decided AS d USING ({", ".join(KEY)})
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()
    return rows, len(keys)


def _sum(counts: Iterable[Counts]) -> Counts:
    items = list(counts)
    return Counts(*(sum(getattr(c, name) for c in items) for name in _COLUMNS))


def _summarise(
    manifest: Manifest,
    laws: Laws,
    review_minutes: float,
    reviewer_hours: float,
    combinations: int,
    cells: dict[tuple[str, str], Counts],
) -> Replay:
    order = {c: i for i, c in enumerate(CATEGORIES)}
    cells = dict(sorted(cells.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))))
    states = {s: _sum(n for (cs, _), n in cells.items() if cs == s) for s in laws.by_state}
    present = sorted({c for _, c in cells}, key=lambda c: order.get(c, 99))
    categories = {c: _sum(n for (_, cc), n in cells.items() if cc == c) for c in present}
    days = 366 if calendar.isleap(manifest.year) else 365
    workload = {}
    for state, counts in states.items():
        per_day = counts.held / manifest.scale / days
        hours = per_day * review_minutes / 60
        workload[state] = Workload(per_day, hours, math.ceil(hours / reviewer_hours - 1e-9))
    return Replay(
        manifest=manifest,
        laws=laws,
        review_minutes=review_minutes,
        reviewer_hours=reviewer_hours,
        combinations=combinations,
        cells=cells,
        states=states,
        categories=categories,
        total=_sum(cells.values()),
        workload=workload,
    )
