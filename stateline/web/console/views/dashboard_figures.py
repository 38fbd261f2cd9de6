"""The transparency report as the dashboard shows it: each cell of each section with where its
number leads (the requests behind it), and the charts with where their bars lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from stateline.oversight.transparency import OUTCOME_NAMES, OUTCOMES, Report, Section
from stateline.web.console.views.dashboard_filters import REQUESTS, Drill, Filters

CARDS = ("requests", *(OUTCOME_NAMES[o] for o in OUTCOMES))
"""The summary's figures, as its cards name them."""

CHART_LABELS = {"by_category": "category", "immigration": "component", "over_time": "when",
                "classes": "class"}  # fmt: skip
"""The field of each chart's data that holds a bar's label (``oversight.charts``)."""


def cells(section: Section, period: str) -> list[list[Drill | None]]:
    """For each cell of ``section``, the drill-down to the requests it counts (None: no count)."""
    name = section.name
    outcomes = ["all", *OUTCOMES]
    drilled: list[list[Drill | None]] = []
    for row in section.rows:
        picked: list[Drill | None] = [None] * len(row)
        label = None if row[0] is None else str(row[0])
        if name == "summary":
            picked = [Drill(name, None, column) for column in outcomes]
        elif name == "by_agency":
            picked[3:8] = [Drill(name, label, column) for column in outcomes]
        elif name == "over_time":
            day = row[0].isoformat()
            picked[1:6] = [Drill(name, day, column, period=period) for column in outcomes]
        elif name == "classes":
            picked[1:3] = [Drill(name, label, "released"), Drill(name, label, "withheld")]
        elif name == "immigration_reasons":
            picked[3] = Drill(name, label, str(row[1]), policy=str(row[2]))
        elif name == "review":
            picked[:4] = [Drill(name, None, c) for c in ("held", "decided", "waiting", "escalated")]
        elif name == "notices":
            picked = [
                Drill(name, None, c) for c in ("owed", "sent", "cancelled", "open", "overdue")
            ]
        elif name == "alerts":
            picked[2:4] = [Drill(name, label, str(row[1]))] * 2
        else:  # a label, then requests by outcome (immigration: then its class lists)
            picked[1:6] = [Drill(name, label, column) for column in outcomes]
        drilled.append(picked)
    return drilled


def figure(value: Any) -> str:
    """A report's cell as the page writes it: counts with thousands separators, hours to one
    decimal, dates as ISO, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return f"{value:,.1f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a section's table: its text, and where its number leads (None: nowhere)."""

    text: str
    href: str | None = None
    number: bool = False


def tables(report: Report, chosen: Filters) -> list[dict[str, Any]]:
    """The report's sections as the page shows them: each count with its drill-down link."""
    shown = []
    for section in report.sections:
        rows = []
        for row, drills in zip(section.rows, cells(section, report.period), strict=True):
            rows.append(
                [
                    Cell(
                        figure(value),
                        _href(chosen, d) if d is not None and value else None,
                        isinstance(value, int | float | Decimal) and not isinstance(value, bool),
                    )
                    for value, d in zip(row, drills, strict=True)
                ]
            )
        shown.append({"name": section.name, "title": section.title, "note": section.note,
                      "columns": section.columns, "rows": rows})  # fmt: skip
    return shown


def _href(chosen: Filters, picked: Drill) -> str:
    return chosen.href(REQUESTS, **picked.terms)


def charts(report: Report, chosen: Filters) -> dict[str, Any]:
    """The report's charts, and for each how a bar leads to its requests (``dashboard.js``)."""
    from stateline.oversight.charts import charts as drawn_of  # Altair, loaded when first drawn

    drawn = drawn_of(report)
    periods = {"over_time": report.period}
    return {
        "specs": drawn,
        "drill": {
            name: {
                "field": CHART_LABELS[name],
                "href": chosen.href(REQUESTS, by=name, period=periods.get(name)),
            }
            for name in drawn
        },
        "outcomes": {OUTCOME_NAMES[o]: o for o in OUTCOMES},
    }
