"""The console's router factory: every page under ``/console``, each route with secure headers."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from stateline.node.notices.service import Outbox
from stateline.node.review.service import ReviewService
from stateline.web.console.context import PREFIX, Console, templates
from stateline.web.console.ports import Accounts, Alerts
from stateline.web.console.security import SecureRoute
from stateline.web.console.views import alerts as alert_list
from stateline.web.console.views import (
    assets,
    dashboard,
    decided,
    items,
    notices,
    queue,
    read_only,
    signin,
)
from stateline.web.console.zones import zone_for


def console_router(
    service: ReviewService,
    accounts: Accounts,
    alerts: Alerts,
    *,
    title: str = "Review console",
    secure_cookies: bool = True,
    outbox: Outbox | None = None,
    state: str | None = None,
    dashboard_source: dashboard.DashboardSource | None = None,
) -> APIRouter:
    """The review console, to mount with ``create_app(..., console=console_router(...))``.

    ``secure_cookies=False`` only for plain-HTTP tests: browsers send a Secure cookie over
    HTTPS alone. With an ``outbox``, the console also serves the notices outbox. ``state`` is
    the node's state (``NY``): pages show times on its clock; without it, in UTC. The abuse
    alerts page reads ``alerts`` (the node's).
    With a ``dashboard_source`` (and the ``state``), the console also serves the auditor's
    dashboard. An auditor's account reads every page and may send no form but sign-out.
    """
    if dashboard_source is not None and state is None:
        raise ValueError("the dashboard shows one state's requests: give the node's state")
    zone = zone_for(state)
    console = Console(service, accounts, templates(zone), secure_cookies, title, outbox, zone)
    console.templates.globals["has_dashboard"] = dashboard_source is not None
    router = APIRouter(
        prefix=PREFIX,
        route_class=SecureRoute,
        include_in_schema=False,
        dependencies=[Depends(read_only.refuse_acts(console))],
    )
    signin.routes(console, router)
    queue.routes(console, router)
    items.routes(console, router)
    decided.routes(console, router)
    if outbox is not None:
        notices.routes(console, outbox, router)
    alert_list.routes(console, alerts, router)
    if dashboard_source is not None and state is not None:
        dashboard.routes(console, dashboard_source, alerts, state.strip().upper(), router)
    assets.routes(router)
    return router
