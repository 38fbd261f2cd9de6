"""The dashboard's filters and drill-downs as a URL carries them: what a form or a link asks for,
the report scope it means, and the condition that picks the requests behind one number.

Pure: parsing, SQL text and links, no database. Each drill-down picks the rows of
``requests_full`` that the transparency report counted in that cell, with the labels the
report's own queries give (``oversight.transparency``); a test compares every cell's number
with its drill-down's count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from stateline.oversight.categories import CATEGORIES
from stateline.oversight.transparency import OUTCOME_NAMES, OUTCOMES, ReportError, Scope
from stateline.web.console.context import PREFIX
from stateline.wire.grammar import ORI_RE

if TYPE_CHECKING:
    from stateline.storage.alerts import Alert

DASHBOARD = f"{PREFIX}/dashboard"
REQUESTS = f"{DASHBOARD}/requests"

PAGE_SIZE = 25
"""Requests on one page of a drill-down."""

_OUTCOME = re.compile(r"[a-z][a-z-]{0,31}")
_TERM = 120
"""Longest label a drill-down link carries: agency ORIs, categories, policy ids, data classes."""


class FilterError(ValueError):
    """A filter or a drill-down no page of the dashboard offers; the message says why."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What the auditor narrowed the dashboard to: the days (UTC, both ends included), one
    requester category, one requesting ORI and one outcome, each empty when not asked."""

    start: date | None = None
    end: date | None = None
    category: str = ""
    ori: str = ""
    outcome: str = ""

    def scope(self, state: str) -> Scope:
        """The report's scope: the node's state, narrowed by these filters."""
        return Scope(
            (state,),
            self.start,
            self.end,
            self.category or None,
            self.ori or None,
            self.outcome or None,
        )

    @property
    def terms(self) -> dict[str, str]:
        """The filters as query parameters, the empty ones left out."""
        found = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "category": self.category,
            "ori": self.ori,
            "outcome": self.outcome,
        }
        return {name: value for name, value in found.items() if value}

    @property
    def filtered(self) -> bool:
        return bool(self.terms)

    def href(self, path: str = DASHBOARD, **more: Any) -> str:
        """``path`` with these filters and ``more`` (empty values left out) as its query."""
        terms = self.terms | {k: str(v) for k, v in more.items() if v not in (None, "")}
        return path + (f"?{urlencode(terms)}" if terms else "")


def _day(value: str, name: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise FilterError(f"{name} must be a date, ccyy-mm-dd") from error


def filters(start: str, end: str, category: str, ori: str, outcome: str) -> Filters:
    """The filters a form or a link asks for; one that no page offers raises ``FilterError``."""
    chosen = Filters(
        _day(start, "the first day"),
        _day(end, "the last day"),
        category.strip(),
        ori.strip().upper(),
        outcome.strip(),
    )
    if chosen.category and chosen.category not in CATEGORIES:
        raise FilterError("no such requester category")
    if chosen.ori and not ORI_RE.fullmatch(chosen.ori):
        raise FilterError("an ORI is 9 letters and digits, the first two a state or US")
    if chosen.outcome and not _OUTCOME.fullmatch(chosen.outcome):
        raise FilterError("no such outcome")
    try:
        chosen.scope("")
    except ReportError as error:
        raise FilterError(str(error)) from error
    return chosen


LABELS: dict[str, str] = {
    "by_category": "requester_category",
    "by_agency": "requester",
    "by_key": "key",
    "by_search": "CASE WHEN destinations = 'NL' THEN search || ', all states' ELSE search END",
    "by_purpose": "coalesce(purpose, 'unstated')",
    "by_legal_process": "coalesce(legal_process, 'none')",
    "by_destination": "coalesce(destinations, 'unknown')",
    "immigration": "requester_category",
    "immigration_reasons": "requester_category",
}
"""Each section's row label as the report's queries make it (``transparency._grouped``)."""

FIXED: dict[str, dict[str, str]] = {
    "review": {
        "held": "outcome = 'review'",
        "decided": "outcome = 'review' AND decided_at IS NOT NULL",
        "waiting": "outcome = 'review' AND decided_at IS NULL",
        "escalated": "outcome = 'review' AND escalations > 0",
    },
    "notices": {
        "owed": "notices_owed > 0",
        "sent": "notices_sent > 0",
        "cancelled": "notices_cancelled > 0",
        "open": "notices_open > 0",
        "overdue": "notices_open > 0 AND notice_due < ?",
    },
}
"""Columns that pick requests by a condition of their own: the review workload's and the
notices' (the notices' count letters; their drill-down, the requests that owe them)."""

CLASS_COLUMNS = {"released": "disclosed_classes", "withheld": "classes_withheld"}
PERIODS = ("day", "week", "month")

SECTIONS = (
    "summary",
    *LABELS,
    "over_time",
    "classes",
    *FIXED,
    "alerts",
)

TITLES = {
    "summary": "all requests",
    "by_category": "requester category",
    "by_agency": "agency",
    "by_key": "message key",
    "by_search": "search",
    "by_purpose": "stated purpose",
    "by_legal_process": "legal process",
    "by_destination": "sent to",
    "immigration": "federal immigration component",
    "immigration_reasons": "why federal immigration requests were refused",
    "over_time": "period",
    "classes": "data class",
    "review": "review workload",
    "notices": "notices",
    "alerts": "abuse alert",
}
"""How a drill-down's heading names the section its number came from."""


@dataclass(frozen=True, slots=True)
class Drill:
    """One number of the report: its section, the label of its row, and its column (``all``,
    an outcome, or the section's own measure). ``policy`` and ``period`` complete the label of
    the rows that need them: a policy rule, a bucket of time."""

    section: str = "summary"
    label: str | None = None
    column: str = "all"
    policy: str | None = None
    period: str | None = None

    @property
    def terms(self) -> dict[str, str]:
        found = {
            "by": self.section,
            "label": self.label,
            "column": "" if self.column == "all" else self.column,
            "policy": self.policy,
            "period": self.period,
        }
        return {name: value for name, value in found.items() if value is not None and value}

    def words(self) -> str:
        """The number as a heading says it: ``requester category: state agency, denied``."""
        parts = [TITLES[self.section]]
        if self.label is not None:
            parts[0] += f": {self.label}"
        if self.policy is not None:
            parts.append(f"rule {self.policy}")
        if self.column != "all":
            parts.append(OUTCOME_NAMES.get(self.column, self.column))
        return ", ".join(parts)

    def window(self) -> tuple[date, date]:
        """An over-time row's days: its first, and the first after it."""
        assert self.label is not None and self.period in PERIODS
        first = date.fromisoformat(self.label)
        if self.period == "day":
            return first, first + timedelta(days=1)
        if self.period == "week":
            return first, first + timedelta(days=7)
        after = first.replace(day=28) + timedelta(days=4)
        return first, after.replace(day=1)


def drill(by: str, label: str | None, column: str, policy: str | None, period: str | None) -> Drill:
    """The drill-down a link asks for; one no page makes raises ``FilterError``."""
    if by not in SECTIONS:
        raise FilterError("no such section of the report")
    if any(v is not None and len(v) > _TERM for v in (label, policy)):
        raise FilterError("the label is too long to be one of the report's")
    column = column or "all"
    chosen = Drill(by, label, column, policy, period)
    if by in FIXED:
        if column not in FIXED[by]:
            raise FilterError("no such figure in that section")
        return replace(chosen, label=None, policy=None, period=None)
    if by == "classes":
        if column not in CLASS_COLUMNS or label is None:
            raise FilterError("a data class and released or withheld, please")
        return chosen
    if by == "alerts":
        if label is None:
            raise FilterError("which alert rule?")
        return chosen
    if column != "all" and column not in OUTCOMES:
        raise FilterError("no such outcome")
    if by == "over_time":
        if period not in PERIODS or label is None:
            raise FilterError("a period (day, week or month) and its first day, please")
        try:
            chosen.window()
        except ValueError as error:
            raise FilterError("the period's first day must be a date, ccyy-mm-dd") from error
    if by == "immigration_reasons" and (policy is None or column == "all"):
        raise FilterError("a rule and an outcome, please")
    return chosen


def condition(chosen: Drill, today: date, evidence: list[int]) -> tuple[str, list[Any]]:
    """The SQL condition on ``requests_full`` that picks the requests behind ``chosen``, and
    its parameters. ``evidence``: for an alert, the ledger indexes its alerts name."""
    clauses: list[str] = []
    values: list[Any] = []
    section = chosen.section
    if section in FIXED:
        clauses.append(FIXED[section][chosen.column])
        if chosen.column == "overdue":
            values.append(today.isoformat())
        return " AND ".join(clauses), values
    if section == "classes":
        return f"list_contains({CLASS_COLUMNS[chosen.column]}, ?)", [chosen.label]
    if section == "alerts":
        # Any of a request's three entries may be the one an alert names.
        return (
            "(list_contains(?, request_index) OR list_contains(?, decision_index) "
            "OR list_contains(?, disclosure_index))",
            [evidence, evidence, evidence],
        )
    if section == "over_time":
        first, after = chosen.window()
        clauses += ['"at" >= ?', '"at" < ?']
        values += [first.isoformat(), after.isoformat()]
    elif section in LABELS:
        if chosen.label is None:
            clauses.append(f"{LABELS[section]} IS NULL")
        else:
            clauses.append(f"{LABELS[section]} = ?")
            values.append(chosen.label)
    if section == "immigration_reasons":
        clauses.append("list_contains(policy_ids, ?)")
        values.append(chosen.policy)
    if chosen.column != "all":
        clauses.append("outcome = ?")
        values.append(chosen.column)
    return (" AND ".join(clauses) or "true"), values


def alerts_for(alerts: list[Alert], chosen: Filters) -> list[Alert]:
    """The state's alerts an ORI filter concerns (alerts count lookups, not requests of a
    category or an outcome)."""
    if not chosen.ori:
        return alerts
    return [a for a in alerts if a.ori == chosen.ori or chosen.ori in a.oris]


def evidence(alerts: list[Alert], chosen: Filters, picked: Drill) -> list[int]:
    """The ledger indexes the alerts behind an alerts row name (its rule and severity, in the
    report's period)."""
    found: set[int] = set()
    for alert in alerts_for(alerts, chosen):
        if alert.rule != picked.label or alert.severity != picked.column:
            continue
        if chosen.start is not None and alert.last.date() < chosen.start:
            continue
        if chosen.end is not None and alert.first.date() > chosen.end:
            continue
        found.update(alert.evidence)
    return sorted(found)


def page_number(page: str) -> int:
    """A page number a link asks for: 1 for anything that is not a positive number."""
    return max(int(page), 1) if page.isdigit() else 1
