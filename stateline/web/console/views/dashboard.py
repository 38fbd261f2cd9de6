"""The auditor's dashboard: the transparency report's figures and charts for the node's state,
filtered by dates, requester category, ORI and outcome; every number leads to the requests
behind it, each request to its ledger entries, each entry to its inclusion proof, which the
page checks against the ledger's latest signed checkpoint.

Every account reads it; nobody changes anything here. Opening the dashboard brings the
analytical copy of the state's ledger up to date first (only what the ledger gained since);
its other pages, and every other page of the console, read the copy as it is.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from stateline.config import Config
from stateline.ledger.log import Ledger
from stateline.node.letters import state_name
from stateline.oversight.categories import CATEGORIES
from stateline.oversight.transparency import OUTCOME_NAMES, OUTCOMES, Report, Section
from stateline.oversight.transparency import transparency as report_of
from stateline.storage.alerts import Alert, AlertStore
from stateline.web.console.context import Console
from stateline.web.console.security import signed_in
from stateline.web.console.views import dashboard_copy as copy
from stateline.web.console.views.dashboard_filters import (
    DASHBOARD,
    REQUESTS,
    Drill,
    FilterError,
    Filters,
    condition,
    drill,
    filters,
    page_number,
)
from stateline.web.console.views.dashboard_proof import NotInLedger, ProvedEntry, proved

log = logging.getLogger(__name__)

CARDS = ("requests", *(OUTCOME_NAMES[o] for o in OUTCOMES))
"""The summary's figures, as its cards name them."""

TOP = 50
"""Agencies the dashboard lists by name, as the report does by default."""

ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css",
          "proofs.js": "text/javascript"}  # fmt: skip
"""The dashboard's files in ``stateline/web/static`` (``proofs.js``: the resident page's proof
check, shared); ``vega.js``, the Vega libraries the report inlines, is made at first use."""


@dataclass(frozen=True)
class DashboardSource:
    """Where the dashboard reads: the exchange's configuration (to bring the copy up to date),
    the node's ledger (for proofs) and the copy's folder (by default ``<data>/analytics``)."""

    config: Config
    ledger: Ledger
    copy_dir: Path | None = None

    @property
    def out(self) -> Path:
        from stateline.oversight.copy import default_dir

        return self.copy_dir or default_dir(self.config)


def _cells(section: Section, period: str) -> list[list[Drill | None]]:
    """For each cell of ``section``, the drill-down to the requests it counts (None: no count)."""
    name = section.name
    outcomes = ["all", *OUTCOMES]
    drilled: list[list[Drill | None]] = []
    for row in section.rows:
        cells: list[Drill | None] = [None] * len(row)
        label = None if row[0] is None else str(row[0])
        if name == "summary":
            cells = [Drill(name, None, column) for column in outcomes]
        elif name == "by_agency":
            cells[3:8] = [Drill(name, label, column) for column in outcomes]
        elif name == "over_time":
            day = row[0].isoformat()
            cells[1:6] = [Drill(name, day, column, period=period) for column in outcomes]
        elif name == "classes":
            cells[1:3] = [Drill(name, label, "released"), Drill(name, label, "withheld")]
        elif name == "immigration_reasons":
            cells[3] = Drill(name, label, str(row[1]), policy=str(row[2]))
        elif name == "review":
            cells[:4] = [Drill(name, None, c) for c in ("held", "decided", "waiting", "escalated")]
        elif name == "notices":
            cells = [Drill(name, None, c) for c in ("owed", "sent", "cancelled", "open", "overdue")]
        elif name == "alerts":
            cells[2:4] = [Drill(name, label, str(row[1]))] * 2
        else:  # a label, then requests by outcome (immigration: then its class lists)
            cells[1:6] = [Drill(name, label, column) for column in outcomes]
        drilled.append(cells)
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


def _tables(report: Report, chosen: Filters) -> list[dict[str, Any]]:
    """The report's sections as the page shows them: each count with its drill-down link."""
    shown = []
    for section in report.sections:
        rows = []
        for row, drills in zip(section.rows, _cells(section, report.period), strict=True):
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


def _charts(report: Report, chosen: Filters) -> dict[str, Any]:
    """The report's charts, and for each how a bar leads to its requests (``dashboard.js``)."""
    from stateline.oversight.charts import charts  # Altair: loaded when a chart is drawn

    drawn = charts(report)
    fields = {"by_category": "category", "immigration": "component", "over_time": "when",
              "classes": "class"}  # fmt: skip
    periods = {"over_time": report.period}
    return {
        "specs": drawn,
        "drill": {
            name: {
                "field": fields[name],
                "href": chosen.href(REQUESTS, by=name, period=periods.get(name)),
            }
            for name in drawn
        },
        "outcomes": {OUTCOME_NAMES[o]: o for o in OUTCOMES},
    }


def _alerts(alerts: list[Alert], chosen: Filters) -> list[Alert]:
    """The state's alerts an ORI filter concerns (alerts count lookups, not requests of a
    category or an outcome)."""
    if not chosen.ori:
        return alerts
    return [a for a in alerts if a.ori == chosen.ori or chosen.ori in a.oris]


def _evidence(alerts: list[Alert], chosen: Filters, picked: Drill) -> list[int]:
    """The ledger indexes the alerts behind an alerts row name (its rule and severity, in the
    report's period)."""
    found: set[int] = set()
    for alert in _alerts(alerts, chosen):
        if alert.rule != picked.label or alert.severity != picked.column:
            continue
        if chosen.start is not None and alert.last.date() < chosen.start:
            continue
        if chosen.end is not None and alert.first.date() > chosen.end:
            continue
        found.update(alert.evidence)
    return sorted(found)


def routes(
    console: Console, source: DashboardSource, alerts: AlertStore, state: str, router: APIRouter
) -> None:
    title = f"Requests to {state_name(state)}"
    static = files("stateline.web") / "static"
    kept = {name: (static / name).read_bytes() for name in ASSETS}

    def today() -> date:
        return datetime.now(UTC).date()

    def opened() -> Any:
        from stateline.oversight.copy import CopyError, connect

        try:
            return connect(source.out)
        except CopyError as error:
            log.warning("console: the dashboard cannot read the analytical copy: %s", error)
            raise HTTPException(503, "The analytical copy cannot be read: open the dashboard "
                                "again, or run `stateline report refresh`.") from error  # fmt: skip

    def asked(start: str, end: str, category: str, ori: str, outcome: str) -> Filters:
        try:
            return filters(start, end, category, ori, outcome)
        except FilterError as error:
            raise HTTPException(400, str(error)) from error

    def figures(request: Request, name: str, chosen: Filters, **more: Any) -> Response:
        user = signed_in(console, request)
        db = opened()
        try:
            raised = _alerts(alerts.list(), chosen)
            report = report_of(db, chosen.scope(state), today(), title, TOP, raised)
            options = copy.outcomes(db, state)
        finally:
            db.close()
        summary, *tables = _tables(report, chosen)
        return console.render(
            request,
            name,
            user=user,
            filters=chosen,
            report=report,
            tables=tables,
            charts=_charts(report, chosen),
            cards=zip(CARDS, summary["rows"][0], strict=True),
            categories=CATEGORIES,
            outcomes=[(o, OUTCOME_NAMES.get(o, o)) for o in options],
            head=copy.head(source.out, state),
            state=state,
            **more,
        )

    @router.get("/dashboard")
    def dashboard(
        request: Request,
        start: str = Query("", alias="from"),
        end: str = Query("", alias="to"),
        category: str = "",
        ori: str = "",
        outcome: str = "",
    ) -> Response:
        signed_in(console, request)
        chosen = asked(start, end, category, ori, outcome)
        # Only here: opening the dashboard is what brings the copy up to date.
        problem = copy.refresh(source.config, state, source.out)
        if problem is not None:
            log.warning("console: the analytical copy of %s was not brought up to date", state)
        return figures(request, "dashboard.html", chosen, problem=problem)

    @router.get("/dashboard/figures")
    def dashboard_figures(
        request: Request,
        start: str = Query("", alias="from"),
        end: str = Query("", alias="to"),
        category: str = "",
        ori: str = "",
        outcome: str = "",
    ) -> Response:
        """The figures alone, which the filter form swaps in with HTMX; the browser's address
        becomes the full page's, so reloading or sharing it shows the same figures."""
        chosen = asked(start, end, category, ori, outcome)
        response = figures(request, "_dashboard_figures.html", chosen)
        response.headers["HX-Push-Url"] = chosen.href(DASHBOARD)
        return response

    @router.get("/dashboard/requests")
    def requests_behind(
        request: Request,
        start: str = Query("", alias="from"),
        end: str = Query("", alias="to"),
        category: str = "",
        ori: str = "",
        outcome: str = "",
        by: str = "summary",
        label: str | None = None,
        column: str = "",
        policy: str | None = None,
        period: str | None = None,
        page: str = "",
    ) -> Response:
        user = signed_in(console, request)
        chosen = asked(start, end, category, ori, outcome)
        try:
            picked = drill(by, label, column, policy, period)
        except FilterError as error:
            raise HTTPException(400, str(error)) from error
        where, values = chosen.scope(state).where()
        evidence = _evidence(alerts.list(), chosen, picked) if picked.section == "alerts" else []
        narrower, more = condition(picked, today(), evidence)
        db = opened()
        try:
            found = copy.requests_page(db, f"{where} AND {narrower}", [*values, *more],
                                       page_number(page))  # fmt: skip
        finally:
            db.close()
        return console.render(
            request,
            "dashboard_requests.html",
            user=user,
            filters=chosen,
            drill=picked,
            found=found,
            back=chosen.href(DASHBOARD),
            page_href=lambda n: chosen.href(REQUESTS, **picked.terms, page=n),
            outcome_names=OUTCOME_NAMES,
        )

    @router.get("/dashboard/requests/{message_id}")
    def one_request(request: Request, message_id: str) -> Response:
        user = signed_in(console, request)
        db = opened()
        try:
            found = copy.request(db, state, message_id[:64])
        finally:
            db.close()
        if found is None:
            raise HTTPException(404, "no such request in the analytical copy")
        return console.render(
            request, "dashboard_request.html", user=user, found=found, outcome_names=OUTCOME_NAMES
        )

    def entry(index: int) -> ProvedEntry:
        try:
            return proved(source.ledger, index)
        except NotInLedger as error:
            raise HTTPException(404, str(error)) from error

    @router.get("/dashboard/entries/{index}")
    def entry_page(request: Request, index: int) -> Response:
        user = signed_in(console, request)
        shown = entry(index)
        proof = json.dumps(shown.proof, indent=2) + "\n" if shown.proof else None
        return console.render(
            request, "dashboard_entry.html", user=user, entry=shown, proof=proof, state=state
        )

    @router.get("/dashboard/entries/{index}/proof.json")
    def entry_proof(request: Request, index: int) -> Response:
        """The proof as a file ``stateline ledger check-proof`` reads."""
        signed_in(console, request)
        shown = entry(index)
        if shown.proof is None:
            raise HTTPException(404, "retention removed this entry's body: no proof to give")
        headers = {"Content-Disposition": f'attachment; filename="proof-{state}-{index}.json"'}
        body = json.dumps(shown.proof, indent=2) + "\n"
        return Response(body, media_type="application/json", headers=headers)

    @router.get("/dashboard/static/{name}")
    def asset(name: str) -> Response:
        if name == "vega.js":
            from stateline.oversight.html import vega_bundle  # made once, at first use

            content, media = vega_bundle().encode(), "text/javascript"
        elif name in kept:
            content, media = kept[name], ASSETS[name]
        else:
            raise HTTPException(404, "no such file")
        headers = {"Cache-Control": "public, max-age=3600"}
        return Response(content, media_type=media, headers=headers)
