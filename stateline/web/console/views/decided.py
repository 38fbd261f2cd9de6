"""Decided requests: the latest decision first, a page at a time, searched by message id,
requesting ORI and outcome, each row leading to the request's own page."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from stateline.node.review.model import ReviewState
from stateline.storage.review import DECIDED
from stateline.web.console.context import PREFIX, Console, label
from stateline.web.console.security import signed_in

PAGE_SIZE = 25
"""Decided requests on one page."""

LONGEST_TERM = 64
"""Longest search term kept; message ids are 32 characters, ORIs 9."""

OUTCOMES = {state.value: state for state in DECIDED}
"""The outcomes a search may ask for, by the value the form sends."""


@dataclass(frozen=True, slots=True)
class Search:
    """What the reviewer searched for, and which page of the answer to show."""

    message: str = ""
    ori: str = ""
    outcome: ReviewState | None = None
    page: int = 1

    @property
    def filtered(self) -> bool:
        return bool(self.message or self.ori or self.outcome)

    def query(self, page: int | None = None) -> str:
        """This search's URL query at ``page`` (by default its own), empty terms left out."""
        number = self.page if page is None else page
        terms = {
            "message": self.message,
            "ori": self.ori,
            "outcome": self.outcome.value if self.outcome else "",
            "page": str(number) if number > 1 else "",
        }
        return urlencode({name: value for name, value in terms.items() if value})

    def href(self, page: int | None = None) -> str:
        """The decided page's address for this search at ``page``."""
        query = self.query(page)
        return f"{PREFIX}/decided" + (f"?{query}" if query else "")


def search(message: str, ori: str, outcome: str, page: str) -> Search:
    """The search a form or a link asks for; an outcome no form offers is a 400."""
    if outcome and outcome not in OUTCOMES:
        raise HTTPException(400, "no such outcome")
    number = int(page) if page.isdigit() else 1
    return Search(
        message.strip()[:LONGEST_TERM],
        ori.strip().upper()[:LONGEST_TERM],
        OUTCOMES.get(outcome),
        max(number, 1),
    )


def routes(console: Console, router: APIRouter) -> None:
    store = console.service.store

    def listing(request: Request, name: str, asked: Search) -> Response:
        user = signed_in(console, request)
        message, ori, outcome = asked.message, asked.ori, asked.outcome
        total = store.count_decided(message_id=message, requester=ori, outcome=outcome)
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        shown = Search(message, ori, outcome, min(asked.page, pages))
        offset = (shown.page - 1) * PAGE_SIZE
        items = store.decided(
            message_id=message, requester=ori, outcome=outcome, limit=PAGE_SIZE, offset=offset
        )
        outcomes = [(state.value, label(state)) for state in DECIDED]
        return console.render(
            request,
            name,
            user=user,
            items=items,
            total=total,
            pages=pages,
            search=shown,
            outcomes=outcomes,
        )

    @router.get("/decided")
    def decided_page(
        request: Request, message: str = "", ori: str = "", outcome: str = "", page: str = ""
    ) -> Response:
        return listing(request, "decided.html", search(message, ori, outcome, page))

    @router.get("/decided/rows")
    def decided_rows(
        request: Request, message: str = "", ori: str = "", outcome: str = "", page: str = ""
    ) -> Response:
        """The results alone, which the search form swaps in with HTMX; the browser's address
        becomes the full page's, so reloading or sharing it shows the same search."""
        asked = search(message, ori, outcome, page)
        response = listing(request, "_decided_results.html", asked)
        response.headers["HX-Push-Url"] = asked.href()
        return response
