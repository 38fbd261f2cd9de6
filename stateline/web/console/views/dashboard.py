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
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from stateline.config import Config
from stateline.ledger.log import Ledger
from stateline.node.notices.letters import state_name
from stateline.oversight.categories import CATEGORIES
from stateline.oversight.transparency import OUTCOME_NAMES
from stateline.oversight.transparency import transparency as report_of
from stateline.web.console.context import Console
from stateline.web.console.ports import Alerts
from stateline.web.console.security import signed_in
from stateline.web.console.views import dashboard_copy as copy
from stateline.web.console.views.dashboard_figures import CARDS, charts, tables
from stateline.web.console.views.dashboard_filters import (
    DASHBOARD,
    REQUESTS,
    FilterError,
    Filters,
    alerts_for,
    condition,
    drill,
    evidence,
    filters,
    page_number,
)
from stateline.web.console.views.dashboard_proof import NotInLedger, ProvedEntry, proved

log = logging.getLogger(__name__)

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
        from stateline.oversight.parts import default_dir

        return self.copy_dir or default_dir(self.config)


def routes(
    console: Console, source: DashboardSource, alerts: Alerts, state: str, router: APIRouter
) -> None:
    title = f"Requests to {state_name(state)}"
    static = files("stateline.web") / "static"
    kept = {name: (static / name).read_bytes() for name in ASSETS}

    def today() -> date:
        return datetime.now(UTC).date()

    def opened() -> Any:
        from stateline.oversight.copy import connect
        from stateline.oversight.parts import CopyError

        try:
            db = connect(source.out)
        except CopyError as error:
            log.warning("console: the dashboard cannot read the analytical copy: %s", error)
            raise HTTPException(503, "The analytical copy cannot be read: open the dashboard "
                                "again, or run `stateline report refresh`.") from error  # fmt: skip
        db.execute("SET TimeZone = 'UTC'")  # a day of the filters is a UTC day, as the report's
        return db

    def asked(start: str, end: str, category: str, ori: str, outcome: str) -> Filters:
        try:
            return filters(start, end, category, ori, outcome)
        except FilterError as error:
            raise HTTPException(400, str(error)) from error

    def figures(request: Request, name: str, chosen: Filters, **more: Any) -> Response:
        user = signed_in(console, request)
        db = opened()
        try:
            raised = alerts_for(alerts.list(), chosen)
            report = report_of(db, chosen.scope(state), today(), title, TOP, raised)
            options = copy.outcomes(db, state)
        finally:
            db.close()
        summary, *shown = tables(report, chosen)
        return console.render(
            request,
            name,
            user=user,
            filters=chosen,
            report=report,
            tables=shown,
            charts=charts(report, chosen),
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
        indexes = evidence(alerts.list(), chosen, picked) if picked.section == "alerts" else []
        narrower, more = condition(picked, today(), indexes)
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
