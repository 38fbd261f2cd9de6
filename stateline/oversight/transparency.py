"""The transparency report: who asked a state (or the nation) for what, how each request was
decided, what left, and what the review and notice duties cost, from the analytical copy.

Every figure is a count of request rows (``requests_full``), each of which is one request
entry of a ledger with its decision and disclosure beside it; ``--format parquet`` writes the
rows behind a report, each with its ledger indexes, and ``stateline ledger prove`` proves any
of them. Federal immigration requests have a section of their own, by component, with what was
released, withheld and why, as Oregon's reports to its legislature have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from stateline.oversight import rollups
from stateline.oversight.categories import CATEGORIES, IMMIGRATION

OUTCOMES = ("release", "withhold", "deny", "review")
"""Decision outcomes, in the order reports show them (``review``: held for a person)."""

OUTCOME_NAMES = {
    "release": "released",
    "withhold": "withheld in part",
    "deny": "denied",
    "review": "held for review",
}


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: the states (all, where None) and the days, both ends included;
    and, where given, only the requests of one requester category, from one ORI, with one
    outcome (each narrows the others)."""

    states: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None
    category: str | None = None
    ori: str | None = None
    outcome: str | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ReportError(f"the period ends ({self.end}) before it starts ({self.start})")

    def where(self, day: str | None = None) -> tuple[str, list[Any]]:
        """The SQL condition on ``requests`` (or, with ``day``, on a rollup whose UTC day is
        that column) and its parameters."""
        clauses: list[str] = []
        values: list[Any] = []
        if self.states is not None:
            clauses.append(f"state IN ({', '.join('?' for _ in self.states)})")
            values.extend(self.states)
        if self.start is not None:
            clauses.append(f"{day} >= ?" if day else '"at" >= ?')
            values.append(self.start.isoformat())
        if self.end is not None:
            clauses.append(f"{day} <= ?" if day else '"at" < ?')
            values.append((self.end if day else self.end + timedelta(days=1)).isoformat())
        for column, value in (("requester_category", self.category), ("requester", self.ori)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        if self.outcome is not None:
            # A copy made before it used the report's words calls a withholding
            # "release-redacted"; the rollups use the report's words.
            legacy = self.outcome == "withhold" and not day
            clauses.append("outcome IN (?, 'release-redacted')" if legacy else "outcome = ?")
            values.append(self.outcome)
        return (" AND ".join(clauses) or "true"), values


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the report, and a sentence saying what it counts."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    scope: Scope
    period: str  # the bucket of the over-time section: day, week or month
    sections: list[Section] = field(default_factory=list)

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)


_OUTCOME_HEADINGS = tuple(OUTCOME_NAMES[o] for o in OUTCOMES)


def json_value(cell: Any) -> Any:
    """A report's cell as JSON holds it: dates as ISO text, decimals as numbers, lists."""
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, Decimal):
        return float(cell)
    if isinstance(cell, tuple):
        return list(cell)
    return cell


def section_json(section: Section) -> dict[str, Any]:
    """A section as a JSON document holds it: its title, columns and rows."""
    return {
        "title": section.title,
        "columns": list(section.columns),
        "rows": [[json_value(c) for c in row] for row in section.rows],
    }


def bucket(scope: Scope, first: date | None, last: date | None) -> str:
    """Days for up to two months, weeks up to a year and a half, months beyond."""
    start, end = scope.start or first, scope.end or last
    if start is None or end is None:
        return "day"
    days = (end - start).days
    return "day" if days <= 62 else "week" if days <= 550 else "month"


_SETS = {
    "summary": (),
    "by_category": ("requester_category",),
    "by_key": ("key",),
    "by_search": ("search",),
    "by_purpose": ("purpose",),
    "by_legal_process": ("legal_process",),
    "by_destination": ("destinations",),
}
"""The groupings the report counts requests by, each with every outcome, in one scan (the
agencies and the days are counted apart, from rollups of their own)."""

_DIMENSIONS = ("requester_category", "key", "search", "purpose", "legal_process",
               "destinations")  # fmt: skip

_Source = tuple[str, list[Any]]
"""A parenthesised query and its parameters."""


def rolled_up(db: Any, scope: Scope) -> frozenset[str]:
    """The rollups the report over ``scope`` reads (``oversight.rollups``): those ``db`` has,
    unless the scope names an ORI (they count agencies together)."""
    if scope.ori is not None:
        return frozenset()
    found = db.execute(
        "SELECT view_name FROM duckdb_views() WHERE view_name LIKE 'rollup_%' "
        "UNION ALL SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'rollup_%'"
    ).fetchall()
    return frozenset(name.removeprefix("rollup_") for (name,) in found)


def _rows(scope: Scope) -> _Source:
    """The request rows of ``scope`` in the report's words, each counting one."""
    where, values = scope.where()
    return f"(SELECT {rollups.LABELS}, 1 AS n FROM requests WHERE {where})", values


def _class_rows(scope: Scope) -> _Source:
    """The data classes and policies of the request rows of ``scope``, each counting one."""
    where, values = scope.where()
    rows = rollups.CLASSES.replace("{source}", f"(SELECT * FROM requests WHERE {where})")
    return f"(SELECT *, 1 AS n FROM ({rows}))", values


def _monthly(
    scope: Scope, rolled: frozenset[str], rollup: str, columns: str, rows: Any = _rows
) -> _Source:
    """``columns`` of the requests of ``scope``: the months it covers whole from ``rollup``,
    the days of a month it cuts from the rows (``rows(scope)``); all from the rows unless
    ``rolled`` holds ``rollup``."""
    first, last = _whole_months(scope)
    if rollup not in rolled or (first is not None and last is not None and first > last):
        source, values = rows(scope)
        return f"(SELECT {columns} FROM {source})", values
    where, values = replace(scope, start=first, end=last).where(day="month")
    parts = [f"SELECT {columns} FROM rollup_{rollup} WHERE {where}"]
    edges = []
    if scope.start is not None and first is not None and scope.start < first:
        edges.append(replace(scope, end=first - timedelta(days=1)))
    if scope.end is not None and last is not None and _month_end(last) < scope.end:
        edges.append(replace(scope, start=_month_end(last) + timedelta(days=1)))
    for edge in edges:
        source, more = rows(edge)
        parts.append(f"SELECT {columns} FROM {source}")
        values += more
    return "(" + " UNION ALL ".join(parts) + ")", values


def _grouped(db: Any, scope: Scope, rolled: frozenset[str]) -> dict[str, dict[Any, list[int]]]:
    """Requests by each grouping of :data:`_SETS` and outcome (one scan of the copy or its
    rollups), by day and by agency: for each grouping, its label's counts (all, then each of
    :data:`OUTCOMES`)."""
    source, values = _monthly(scope, rolled, "counts", f"{', '.join(_DIMENSIONS)}, outcome, n")
    sets = ", ".join(f"({', '.join((*dims, 'outcome'))})" for dims in _SETS.values())
    sql = f"""
        SELECT GROUPING({", ".join(_DIMENSIONS)}) AS g, {", ".join(_DIMENSIONS)},
               outcome, sum(n) AS n
        FROM {source}
        GROUP BY GROUPING SETS ({sets})
    """
    masks = {
        sum(
            1 << (len(_DIMENSIONS) - 1 - i) for i, d in enumerate(_DIMENSIONS) if d not in dims
        ): name
        for name, dims in _SETS.items()
    }
    kinds = (*_SETS, "over_time", "by_agency")
    grouped: dict[str, dict[Any, list[int]]] = {name: {} for name in kinds}
    for row in db.execute(sql, values).fetchall():
        g, dims = row[0], row[1 : 1 + len(_DIMENSIONS)]
        outcome, n = row[1 + len(_DIMENSIONS) :]
        kind = masks[g]
        label: Any = next((d for d, dim in zip(dims, _DIMENSIONS, strict=True)
                           if dim in _SETS[kind]), None)  # fmt: skip
        _count(grouped[kind], label, outcome, n)
    if "days" in rolled:
        where, values = scope.where(day="day")
        source = f"(SELECT * FROM rollup_days WHERE {where})"
    else:
        source, values = _rows(scope)
    for day, outcome, n in db.execute(
        f"SELECT day, outcome, sum(n) FROM {source} GROUP BY ALL", values
    ).fetchall():
        _count(grouped["over_time"], day, outcome, n)
    # The nation's rollup has no state: an agency that asks most states is a row a month.
    rollup = "nation" if scope.states is None else "agencies"
    columns = "requester, requester_name, requester_category, outcome, n"
    source, values = _monthly(scope, rolled, rollup, columns)
    # One name and category for an agency that has several (it is in-state police to its own
    # state, out-of-state to the others): the first of them, whichever way it is counted.
    names: dict[str, tuple[Any, Any]] = {}
    for ori, name, category, outcome, n in db.execute(
        "SELECT requester, min(requester_name), min(requester_category), outcome, sum(n) "
        f"FROM {source} GROUP BY requester, outcome",
        values,
    ).fetchall():
        _count(grouped["by_agency"], ori, outcome, n)
        known = names.setdefault(ori, (name, category))
        names[ori] = (min(known[0], name), min(known[1], category))
    grouped["_names"] = {k: list(v) for k, v in names.items()}
    return grouped


def _count(into: dict[Any, list[int]], label: Any, outcome: str, n: Any) -> None:
    counts = into.setdefault(label, [0] * (1 + len(OUTCOMES)))
    counts[0] += int(n)
    if outcome in OUTCOMES:
        counts[1 + OUTCOMES.index(outcome)] += int(n)


def _whole_months(scope: Scope) -> tuple[date | None, date | None]:
    """The first and the last month (by their first day) that ``scope`` covers whole; None
    where it is open."""
    first = last = None
    if scope.start is not None:
        first = scope.start if scope.start.day == 1 else _month_end(scope.start) + timedelta(1)
    if scope.end is not None:
        after = scope.end + timedelta(days=1)
        last = (after.replace(day=1) - timedelta(days=1)).replace(day=1)
    return first, last


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _period(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())  # weeks begin on Monday, as ISO's do
    if period == "month":
        return day.replace(day=1)
    return day


def _by_count(counted: dict[Any, list[int]]) -> list[tuple[Any, ...]]:
    """Labels with their counts, the largest first (ties by label)."""
    ordered = sorted(counted.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
    return [(label, *counts) for label, counts in ordered]


def transparency(
    db: Any,
    scope: Scope,
    today: date,
    title: str,
    top: int = 50,
    alerts: Sequence[Any] = (),
) -> Report:
    """The report over ``db`` (a connection from :func:`stateline.oversight.copy.connect`).

    The counts by requester, key, purpose, legal process, destination and day come from one
    scan of the copy (grouping sets); the data classes and the immigration section's reasons
    from a second; the review and the notices from the few rows they concern.
    """
    rolled = rolled_up(db, scope)
    grouped = _grouped(db, scope, rolled)
    days = [d for d in grouped["over_time"] if d is not None]
    period = bucket(scope, min(days, default=None), max(days, default=None))
    report = Report(title, scope, period)
    add = report.sections.append
    empty = [0] * (1 + len(OUTCOMES))
    add(
        Section(
            "summary",
            "Requests and their outcomes",
            ("requests", *_OUTCOME_HEADINGS),
            [tuple(grouped["summary"].get(None, empty))],
            "Each request a state's node decided, as its ledger records it.",
        )
    )
    order = {c: i for i, c in enumerate(CATEGORIES)}
    categories = grouped["by_category"]
    add(
        Section(
            "by_category",
            "By who asked",
            ("requester category", "requests", *_OUTCOME_HEADINGS),
            [(c, *categories[c]) for c in sorted(categories, key=lambda c: order.get(c, 99))],
            "Categories come from the directory's facts about each agency.",
        )
    )
    names = grouped["_names"]
    agencies = sorted(grouped["by_agency"].items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
    add(
        Section(
            "by_agency",
            f"By agency (the {top} that asked most)",
            ("ORI", "agency", "category", "requests", *_OUTCOME_HEADINGS),
            [(ori, *names[ori], *counts) for ori, counts in agencies],
        )
    )
    for name, title_, label in (
        ("by_key", "By message key", "message key"),
        ("by_search", "By how the person was searched for", "search"),
        ("by_purpose", "By stated purpose", "purpose"),
        ("by_legal_process", "By legal process cited", "legal process"),
        ("by_destination", "By destination", "sent to"),
    ):
        add(
            Section(name, title_, (label, "requests", *_OUTCOME_HEADINGS), _by_count(grouped[name]))
        )
    listed = _listed(db, scope, rolled)
    add(
        Section(
            "classes",
            "Data classes released and withheld",
            ("data class", "requests that released it", "requests that withheld it"),
            listed["classes"],
            "Released: the answer carried it; withheld: the state's law kept it back.",
        )
    )
    over_time: dict[date, list[int]] = {}
    for day, counts in grouped["over_time"].items():
        if day is None:
            continue
        into = over_time.setdefault(_period(day, period), [0] * len(counts))
        for i, n in enumerate(counts):
            into[i] += n
    add(
        Section(
            "over_time",
            f"Over time, by {period}",
            (period, "requests", *_OUTCOME_HEADINGS),
            [(when, *over_time[when]) for when in sorted(over_time)],
        )
    )
    add(
        Section(
            "immigration",
            "Federal immigration requests",
            ("component", "requests", *_OUTCOME_HEADINGS, "classes released", "classes withheld"),
            [
                (c, *categories[c], *listed["immigration"].get(c, ([], [])))
                for c in IMMIGRATION
                if c in categories
            ],
            "ICE Enforcement and Removal Operations, Homeland Security Investigations and "
            "Customs and Border Protection, as the directory describes their missions.",
        )
    )
    add(
        Section(
            "immigration_reasons",
            "Why federal immigration requests were denied or withheld",
            ("component", "outcome", "policy", "requests"),
            listed["reasons"],
            "The state's policy rules that decided them (stateline policy explain).",
        )
    )
    held = grouped["summary"].get(None, empty)[1 + OUTCOMES.index("review")]
    review = _review(db, scope, held)
    add(
        Section(
            "review",
            "Review workload",
            (
                "held",
                "decided",
                "waiting",
                "escalated to counsel",
                "hours to decision, p50",
                "hours to decision, p90",
            ),
            [review],
            "Requests the state's law held for a person, and how long they waited.",
        )
    )
    add(
        Section(
            "notices",
            "Notices owed to the people asked about",
            ("owed", "sent", "cancelled", "open", "overdue"),
            _notices(db, scope, today),
            "Letters the law owes within days of a request; overdue: open past the due date.",
        )
    )
    add(
        Section(
            "alerts",
            "Abuse alerts raised",
            ("rule", "severity", "alerts", "requests behind them", "first", "last"),
            _alerts(alerts, scope),
            "Patterns the states' nodes watch for (bulk lookups, fishing by name, a subject "
            "looked up by many agencies, ...); each alert names the ledger entries behind it "
            "(stateline alerts --json).",
        )
    )
    return report


def _alerts(alerts: Sequence[Any], scope: Scope) -> list[tuple[Any, ...]]:
    """Alerts of the states and period in scope, by rule and severity."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for alert in alerts:
        if scope.states is not None and alert.state not in scope.states:
            continue
        if scope.start is not None and alert.last.date() < scope.start:
            continue
        if scope.end is not None and alert.first.date() > scope.end:
            continue
        grouped.setdefault((alert.rule, alert.severity), []).append(alert)
    return [
        (
            rule,
            severity,
            len(found),
            sum(a.count for a in found),
            min(a.first for a in found).date(),
            max(a.last for a in found).date(),
        )
        for (rule, severity), found in sorted(grouped.items(), key=lambda kv: -len(kv[1]))
    ]


def _listed(db: Any, scope: Scope, rolled: frozenset[str]) -> dict[str, Any]:
    """From one scan of the list columns (or their rollup): each data class released and
    withheld (overall, and for each immigration component), and the rules that denied or
    withheld immigration requests."""
    columns = "requester_category, outcome, kind, item, n"
    source, values = _monthly(scope, rolled, "classes", columns, _class_rows)
    sql = f"SELECT requester_category, outcome, kind, item, sum(n) FROM {source} GROUP BY ALL"
    classes: dict[str, list[int]] = {}
    per_component: dict[str, tuple[set[str], set[str]]] = {}
    reasons: list[tuple[Any, ...]] = []
    for category, outcome, kind, item, n in db.execute(sql, values).fetchall():
        n = int(n)
        if kind == "p":
            reasons.append((category, outcome, item, n))
            continue
        side = 0 if kind == "r" else 1
        classes.setdefault(item, [0, 0])[side] += n
        if category in IMMIGRATION:
            per_component.setdefault(category, (set(), set()))[side].add(item)
    merged: dict[tuple[Any, ...], int] = {}
    for category, outcome, item, n in reasons:
        merged[category, outcome, item] = merged.get((category, outcome, item), 0) + n
    return {
        "classes": [(c, *n) for c, n in sorted(classes.items(), key=lambda kv: (-kv[1][0], kv[0]))],
        "immigration": {
            c: (sorted(released), sorted(withheld))
            for c, (released, withheld) in per_component.items()
        },
        "reasons": sorted(
            ((*k, n) for k, n in merged.items()), key=lambda r: (-r[3], r[0], r[1], r[2])
        ),
    }


def _review(db: Any, scope: Scope, held: int) -> tuple[Any, ...]:
    """The review section's row: of the ``held`` requests of ``scope``, those a person has
    decided, and how long they waited (from the reviews' own rows, joined to their requests)."""
    if not db.execute("SELECT count(*) FROM reviews").fetchone()[0]:
        return (held, 0, held, 0, None, None)  # no review: no need to read the requests
    where, values = scope.where()
    hours = 'epoch(d.decided_at - r."at") / 3600'
    decided, escalated, p50, p90 = db.execute(
        "WITH d AS (SELECT state, message_id, "
        "min(\"at\") FILTER (WHERE action <> 'escalate') AS decided_at, "
        "count(*) FILTER (WHERE action = 'escalate') AS escalations "
        "FROM reviews GROUP BY state, message_id) "
        "SELECT count(d.decided_at), count(*) FILTER (WHERE d.escalations > 0), "
        f"round(quantile_cont({hours}, 0.5), 1), round(quantile_cont({hours}, 0.9), 1) "
        'FROM d JOIN (SELECT state, message_id, "at" FROM requests '
        f"WHERE {where} AND outcome = 'review') AS r USING (state, message_id)",
        values,
    ).fetchone()
    return (held, decided, held - decided, escalated, p50, p90)


def _notices(db: Any, scope: Scope, today: date) -> list[tuple[Any, ...]]:
    """From the notices' own rows, joined to the requests the report covers."""
    if not db.execute("SELECT count(*) FROM notices").fetchone()[0]:
        return [(0, 0, 0, 0, 0)]  # no notice: no need to read the requests
    where, values = scope.where()
    row = db.execute(
        "WITH owed AS ("
        "SELECT state, message_id, "
        "count(DISTINCT notice_id) FILTER (WHERE event = 'created') AS owed, "
        "count(DISTINCT notice_id) FILTER (WHERE event = 'sent') AS sent, "
        "count(DISTINCT notice_id) FILTER (WHERE event = 'cancelled') AS cancelled, "
        "min(due) AS due FROM notices GROUP BY ALL) "
        "SELECT coalesce(sum(o.owed), 0), coalesce(sum(o.sent), 0), "
        "coalesce(sum(o.cancelled), 0), coalesce(sum(o.owed - o.sent - o.cancelled), 0), "
        "coalesce(sum(o.owed - o.sent - o.cancelled) FILTER (WHERE o.due < ?), 0) "
        "FROM owed o JOIN (SELECT state, message_id FROM requests "
        f"WHERE {where}) AS r USING (state, message_id)",
        [today.isoformat(), *values],
    ).fetchone()
    return [tuple(int(v) for v in row)]
