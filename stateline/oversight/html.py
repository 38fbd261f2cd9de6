"""The transparency report as one self-contained HTML page: tables, charts and the Vega
libraries that draw them all inline, so a legislator can open the file with no network."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import jinja2

from stateline.oversight.charts import charts
from stateline.oversight.transparency import OUTCOME_NAMES, Report, Section


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed in one script (from vl-convert, offline), made once."""
    import vl_convert

    bundle: str = vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;")
    return _inline(bundle)


def _inline(script: str) -> str:
    """Text that may sit inside a <script> element: no end tag, no comment opener in it."""
    return script.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return f"{value:,.1f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def templates(cell: Any) -> jinja2.Environment:
    """The oversight pages' templates, escaped, with ``cell`` to show a table's cell."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("stateline.oversight", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["cell"] = cell
    return environment


_ENV = templates(_cell)


def _numeric(section: Section) -> list[bool]:
    """Which columns hold counts (right-aligned)."""
    return [
        bool(section.rows)
        and all(isinstance(row[i], int | float | Decimal) for row in section.rows)
        for i in range(len(section.columns))
    ]


def render(
    report: Report,
    covers: str,
    heads: list[tuple[str, int, str]],
    made: datetime,
) -> str:
    """The page. ``covers`` says which states; ``heads`` each state's ledger size and root as
    the copy read them."""
    summary = report.section("summary").rows[0]
    cards = [("requests", summary[0])] + [
        (OUTCOME_NAMES[o], n) for o, n in zip(OUTCOME_NAMES, summary[1:], strict=True)
    ]
    scope = report.scope
    period_text = (
        f"{scope.start or 'the first'} to {scope.end or 'the last'}"
        if scope.start or scope.end
        else "all dates in the ledgers"
    )
    sections = [
        {
            "name": s.name,
            "title": s.title,
            "note": s.note,
            "columns": s.columns,
            "rows": s.rows,
            "numeric": _numeric(s),
        }
        for s in report.sections
        if s.name != "summary"
    ]
    drawn = charts(report)
    return _ENV.get_template("transparency.html").render(
        report=report,
        covers=covers,
        period_text=period_text,
        made=made.strftime("%Y-%m-%d %H:%M UTC"),
        cards=cards,
        sections=sections,
        charts=drawn,
        heads=heads,
        specs=_inline(json.dumps(drawn)),
        bundle=vega_bundle(),
    )
