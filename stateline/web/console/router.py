"""The console's router factory: every page under ``/console``, each route with secure headers."""

from __future__ import annotations

from fastapi import APIRouter

from stateline.node.outbox import Outbox
from stateline.node.review_service import ReviewService
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import AlertStore
from stateline.web.console.context import PREFIX, Console, templates
from stateline.web.console.security import SecureRoute
from stateline.web.console.views import alerts as alert_list
from stateline.web.console.views import assets, decided, items, notices, queue, signin
from stateline.web.console.zones import zone_for


def console_router(
    service: ReviewService,
    accounts: AccountStore,
    *,
    title: str = "Review console",
    secure_cookies: bool = True,
    outbox: Outbox | None = None,
    state: str | None = None,
    alerts: AlertStore | None = None,
) -> APIRouter:
    """The review console, to mount with ``create_app(..., console=console_router(...))``.

    ``secure_cookies=False`` only for plain-HTTP tests: browsers send a Secure cookie over
    HTTPS alone. With an ``outbox``, the console also serves the notices outbox. ``state`` is
    the node's state (``NY``): pages show times on its clock; without it, in UTC. The abuse
    alerts page reads ``alerts``, by default those in the review queue's database (the node's).
    """
    zone = zone_for(state)
    console = Console(service, accounts, templates(zone), secure_cookies, title, outbox, zone)
    router = APIRouter(prefix=PREFIX, route_class=SecureRoute, include_in_schema=False)
    signin.routes(console, router)
    queue.routes(console, router)
    items.routes(console, router)
    decided.routes(console, router)
    if outbox is not None:
        notices.routes(console, outbox, router)
    if alerts is None:
        alerts = AlertStore(service.store.engine)
        alerts.create_schema()
    alert_list.routes(console, alerts, router)
    assets.routes(router)
    return router
