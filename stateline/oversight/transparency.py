"""The transparency report: who asked a state (or the nation) for what, how each request was
decided, what left, and what the review and notice duties cost, from the analytical copy.

Every figure is a count of request rows (``requests_full``), each of which is one request
entry of a ledger with its decision and disclosure beside it; ``--format parquet`` writes the
rows behind a report, each with its ledger indexes, and ``stateline ledger prove`` proves any
of them. Federal immigration requests have a section of their own, by component, with what was
released, withheld and why, as Oregon's reports to its legislature have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

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
    """What a report covers: the states (all, where None) and the days, both ends included."""

    states: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ReportError(f"the period ends ({self.end}) before it starts ({self.start})")

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on ``requests_full`` and its parameters."""
        clauses: list[str] = []
        values: list[Any] = []
        if self.states is not None:
            clauses.append(f"state IN ({', '.join('?' for _ in self.states)})")
            values.extend(self.states)
        if self.start is not None:
            clauses.append('"at" >= ?')
            values.append(self.start.isoformat())
        if self.end is not None:
            clauses.append('"at" < ?')
            values.append((self.end + timedelta(days=1)).isoformat())
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


def _outcome_columns(prefix: str = "") -> str:
    return ", ".join(f"count(*) FILTER (WHERE {prefix}outcome = '{o}') AS {o}" for o in OUTCOMES)


_OUTCOME_HEADINGS = tuple(OUTCOME_NAMES[o] for o in OUTCOMES)


def bucket(scope: Scope, first: date | None, last: date | None) -> str:
    """Days for up to two months, weeks up to a year and a half, months beyond."""
    start, end = scope.start or first, scope.end or last
    if start is None or end is None:
        return "day"
    days = (end - start).days
    return "day" if days <= 62 else "week" if days <= 550 else "month"


def transparency(db: Any, scope: Scope, today: date, title: str, top: int = 50) -> Report:
    """The report over ``db`` (a connection from :func:`stateline.oversight.copy.connect`)."""
    where, values = scope.where()

    def rows(sql: str, extra: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in db.execute(sql, values + (extra or [])).fetchall()]

    first, last = rows(f'SELECT min("at")::DATE, max("at")::DATE FROM requests_full WHERE {where}')[
        0
    ]
    period = bucket(scope, first, last)
    report = Report(title, scope, period)
    add = report.sections.append
    total = rows(f"SELECT count(*), {_outcome_columns()} FROM requests_full WHERE {where}")[0]
    add(
        Section(
            "summary",
            "Requests and their outcomes",
            ("requests", *_OUTCOME_HEADINGS),
            [total],
            "Each request a state's node decided, as its ledger records it.",
        )
    )
    order = ", ".join(f"'{c}'" for c in CATEGORIES)
    add(
        Section(
            "by_category",
            "By who asked",
            ("requester category", "requests", *_OUTCOME_HEADINGS),
            rows(
                f"SELECT requester_category, count(*), {_outcome_columns()} FROM requests_full "
                f"WHERE {where} GROUP BY 1 "
                f"ORDER BY list_position([{order}], requester_category) NULLS LAST"
            ),
            "Categories come from the directory's facts about each agency.",
        )
    )
    add(
        Section(
            "by_agency",
            f"By agency (the {top} that asked most)",
            ("ORI", "agency", "category", "requests", *_OUTCOME_HEADINGS),
            rows(
                f"SELECT requester, any_value(requester_name), any_value(requester_category), "
                f"count(*), {_outcome_columns()} FROM requests_full WHERE {where} "
                "GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT ?",
                [top],
            ),
        )
    )
    for name, title_, column, label in (
        ("by_key", "By message key", "key", "message key"),
        ("by_purpose", "By stated purpose", "coalesce(purpose, 'unstated')", "purpose"),
        (
            "by_legal_process",
            "By legal process cited",
            "coalesce(legal_process, 'none')",
            "legal process",
        ),
        ("by_destination", "By destination", "coalesce(destinations, 'unknown')", "sent to"),
    ):
        add(
            Section(
                name,
                title_,
                (label, "requests", *_OUTCOME_HEADINGS),
                rows(
                    f"SELECT {column}, count(*), {_outcome_columns()} FROM requests_full "
                    f"WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1"
                ),
            )
        )
    add(
        Section(
            "classes",
            "Data classes released and withheld",
            ("data class", "requests that released it", "requests that withheld it"),
            rows(
                "WITH released AS (SELECT unnest(disclosed_classes) AS c FROM requests_full "
                f"WHERE {where}), withheld AS (SELECT unnest(classes_withheld) AS c "
                f"FROM requests_full WHERE {where}) "
                "SELECT c, count(*) FILTER (WHERE side = 'r'), count(*) FILTER (WHERE side = 'w') "
                "FROM (SELECT c, 'r' AS side FROM released UNION ALL "
                "SELECT c, 'w' FROM withheld) GROUP BY 1 ORDER BY 2 DESC, 1",
                values,
            ),
            "Released: the answer carried it; withheld: the state's law kept it back.",
        )
    )
    add(
        Section(
            "over_time",
            f"Over time, by {period}",
            (period, "requests", *_OUTCOME_HEADINGS),
            rows(
                f"SELECT date_trunc('{period}', \"at\")::DATE, count(*), {_outcome_columns()} "
                f"FROM requests_full WHERE {where} GROUP BY 1 ORDER BY 1"
            ),
        )
    )
    immigration = ", ".join(f"'{c}'" for c in IMMIGRATION)
    add(
        Section(
            "immigration",
            "Federal immigration requests",
            ("component", "requests", *_OUTCOME_HEADINGS, "classes released", "classes withheld"),
            rows(
                f"SELECT requester_category, count(*), {_outcome_columns()}, "
                "list_sort(list_distinct(flatten(list(disclosed_classes)))), "
                "list_sort(list_distinct(flatten(list(classes_withheld)))) "
                f"FROM requests_full WHERE {where} AND requester_category IN ({immigration}) "
                f"GROUP BY 1 ORDER BY list_position([{immigration}], requester_category)"
            ),
            "ICE Enforcement and Removal Operations, Homeland Security Investigations and "
            "Customs and Border Protection, as the directory describes their missions.",
        )
    )
    add(
        Section(
            "immigration_reasons",
            "Why federal immigration requests were denied or withheld",
            ("component", "outcome", "policy", "requests"),
            rows(
                "SELECT requester_category, outcome, policy, count(*) FROM ("
                "SELECT requester_category, outcome, unnest(policy_ids) AS policy "
                f"FROM requests_full WHERE {where} AND requester_category IN ({immigration}) "
                "AND outcome IN ('deny', 'withhold')) GROUP BY ALL ORDER BY 4 DESC, 1, 2, 3"
            ),
            "The state's policy rules that decided them (stateline policy explain).",
        )
    )
    hours = 'epoch(decided_at - "at") / 3600'
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
            rows(
                "SELECT count(*), count(decided_at), count(*) - count(decided_at), "
                f"count(*) FILTER (WHERE escalations > 0), "
                f"round(quantile_cont({hours}, 0.5), 1), round(quantile_cont({hours}, 0.9), 1) "
                f"FROM requests_full WHERE {where} AND outcome = 'review'"
            ),
            "Requests the state's law held for a person, and how long they waited.",
        )
    )
    add(
        Section(
            "notices",
            "Notices owed to the people asked about",
            ("owed", "sent", "cancelled", "open", "overdue"),
            _notices(db, where, values, today),
            "Letters the law owes within days of a request; overdue: open past the due date.",
        )
    )
    return report


def _notices(db: Any, where: str, values: list[Any], today: date) -> list[tuple[Any, ...]]:
    row = db.execute(
        "SELECT coalesce(sum(notices_owed), 0), coalesce(sum(notices_sent), 0), "
        "coalesce(sum(notices_cancelled), 0), coalesce(sum(notices_open), 0), "
        "coalesce(sum(notices_open) FILTER (WHERE notice_due < ?), 0) "
        f"FROM requests_full WHERE {where}",
        [today.isoformat(), *values],
    ).fetchone()
    return [tuple(int(v) for v in row)]
