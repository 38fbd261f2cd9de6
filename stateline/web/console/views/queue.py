"""The review queue: requests still waiting, oldest first, overdue ones marked."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stateline.web.console.context import Console
from stateline.web.console.security import signed_in


def routes(console: Console, router: APIRouter) -> None:
    def page(request: Request, name: str) -> Response:
        user = signed_in(console, request)
        items = console.service.queue()  # escalates what passed its deadline first
        now = console.service.clock()
        return console.render(request, name, user=user, items=items, now=now)

    @router.get("/")
    def queue(request: Request) -> Response:
        return page(request, "queue.html")

    @router.get("/queue/rows")
    def rows(request: Request) -> Response:
        """The queue's rows alone, which the page refreshes with HTMX."""
        return page(request, "_queue_rows.html")
