"""What every console view shares: the services, the templates, and how a page is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from stateline.node.notices.service import Outbox
from stateline.node.review.model import ReviewState
from stateline.node.review.service import ReviewService
from stateline.web.console.ports import Accounts
from stateline.web.console.zones import when
from stateline.wire.grammar import DataClass

PREFIX = "/console"


def day(value: date) -> str:
    """A due date with its weekday: ``2026-07-08 Wed``."""
    return value.strftime("%Y-%m-%d %a")


LABELS = {
    ReviewState.HELD: "Held",
    ReviewState.ESCALATED: "Escalated to counsel",
    ReviewState.APPROVED: "Approved in full",
    ReviewState.PARTIALLY_APPROVED: "Approved in part",
    ReviewState.DENIED: "Denied",
}


def label(state: ReviewState) -> str:
    return LABELS[state]


def classes(values: Any) -> str:
    return ", ".join(sorted(DataClass(v).value for v in values)) or "none"


def templates(zone: tzinfo = UTC) -> Environment:
    """The console's templates; the ``when`` filter shows times in ``zone``."""
    env = Environment(
        loader=PackageLoader("stateline.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = partial(when, zone=zone)
    env.filters["day"] = day
    env.filters["classes"] = classes
    env.filters["label"] = label
    env.globals["prefix"] = PREFIX
    return env


@dataclass(frozen=True)
class Console:
    """The console's collaborators and settings, handed to every view module."""

    service: ReviewService
    accounts: Accounts
    templates: Environment
    secure_cookies: bool
    title: str
    outbox: Outbox | None = None  # the node's notices outbox, when the console shows it
    zone: tzinfo = UTC  # the node's state's clock, which pages show times in

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        page = self.templates.get_template(f"console/{name}")
        outbox = self.outbox is not None
        html = page.render(title=self.title, request=request, has_outbox=outbox, **context)
        return HTMLResponse(html, status_code=status)
