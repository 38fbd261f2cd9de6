"""Abuse alerts: what the node's rules raised from its ledger, the latest first, with the ledger
indexes behind each (docs/alerts.md). Every account reads them; nobody changes them here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stateline.oversight.alerts import Rule
from stateline.web.console.context import Console
from stateline.web.console.ports import Alerts
from stateline.web.console.security import signed_in

SHOWN = 200
"""Alerts on the page at most: the latest."""
EVIDENCE_SHOWN = 12
"""Ledger indexes a row shows before it says how many more there are."""
BADGES = {"high": "denied", "medium": "escalated", "low": ""}
"""The badge style of each severity, from the console's own palette."""


def routes(console: Console, alerts: Alerts, router: APIRouter) -> None:
    def page(request: Request, name: str) -> Response:
        user = signed_in(console, request)
        found = alerts.list(limit=SHOWN)
        labels = {rule.value: rule.label for rule in Rule}
        return console.render(
            request,
            name,
            user=user,
            alerts=found,
            labels=labels,
            badges=BADGES,
            shown=SHOWN,
            evidence_shown=EVIDENCE_SHOWN,
        )

    @router.get("/alerts")
    def alerts_page(request: Request) -> Response:
        return page(request, "alerts.html")

    @router.get("/alerts/rows")
    def alert_rows(request: Request) -> Response:
        """The alerts' rows alone, which the page refreshes with HTMX."""
        return page(request, "_alert_rows.html")
