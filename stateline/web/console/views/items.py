"""One held request: what was asked, by whom, under what legal process, and the decision form."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from stateline.node.review.model import (
    Action,
    HeldItem,
    ReviewError,
    UnknownItem,
    actions_for,
)
from stateline.web.console.context import PREFIX, Console
from stateline.web.console.security import SignedIn, check_csrf, same_origin, signed_in
from stateline.wire.grammar import PROCESS_DETAIL_TAGS, DataClass

log = logging.getLogger(__name__)

INLINE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
"""Document types a browser may show in place; any other is downloaded as plain bytes."""

IMAGES = frozenset(t for t in INLINE if t.startswith("image/"))

QUERY_LABELS: dict[str, str] = {
    "IMQ": "Photo asked",
    "RSN": "Reason code",
    "PUR": "Purpose code",
    "ATN": "Person asking",
    "OCA": "Case number",
    "AFM": "Acting for",
    "NDR": "Notice delay asked",
}
"""Plain names for the query tags a reviewer reads; identifying tags keep their Nlets names."""

SHOWN_ELSEWHERE = frozenset({"PRP", "LPK", *PROCESS_DETAIL_TAGS})
"""Tags the page shows in their own place: the purpose, and the legal process with its document."""

_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def routes(console: Console, router: APIRouter) -> None:
    def held(message_id: str) -> HeldItem:
        try:
            return console.service.get(message_id)
        except UnknownItem as error:
            raise HTTPException(404, "no such request in the queue") from error

    def context(user: SignedIn, item: HeldItem, **extra: Any) -> dict[str, Any]:
        return {
            "user": user,
            "item": item,
            "now": console.service.clock(),
            "actions": console.service.actions(item.message_id),
            "allowed": actions_for(item, user.account.role),
            "images": IMAGES,
            "labels": QUERY_LABELS,
            "elsewhere": SHOWN_ELSEWHERE,
            "error": None,
            **extra,
        }

    @router.get("/items/{message_id}")
    def item_page(request: Request, message_id: str) -> Response:
        user = signed_in(console, request)
        item = held(message_id)
        history = console.service.history(item.requester.ori)
        return console.render(request, "item.html", **context(user, item, history=history))

    @router.get("/items/{message_id}/document")
    def document(request: Request, message_id: str) -> Response:
        user = signed_in(console, request)
        found = console.service.document(message_id)
        if found is None:
            raise HTTPException(404, "no document attached")
        log.info("console: %s opened the document of message %s", user.account.username, message_id)
        name = _FILENAME.sub("_", found.filename)[:100] or "document"
        if found.content_type in INLINE:
            media, disposition = found.content_type, f'inline; filename="{name}"'
        else:
            media, disposition = "application/octet-stream", f'attachment; filename="{name}"'
        return Response(
            found.content, media_type=media, headers={"Content-Disposition": disposition}
        )

    @router.post("/items/{message_id}/decision")
    def decide(
        request: Request,
        message_id: str,
        action: str = Form(""),
        classes: list[str] = Form([]),
        reason: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        same_origin(request)
        user = signed_in(console, request)
        check_csrf(user.csrf, csrf)
        partial = bool(request.headers.get("HX-Request"))
        error: str | None = None
        try:
            chosen = frozenset(DataClass(c) for c in classes)
            item = console.service.decide(
                message_id,
                user.account.reviewer,
                Action(action),
                released=chosen,
                reason=reason,
            )
        except ValueError:  # an action or class name no form of ours sends
            error = "That is not a decision this form offers."
        except UnknownItem as problem:
            raise HTTPException(404, "no such request in the queue") from problem
        except ReviewError as problem:
            error = str(problem)
        if error is not None:
            item = held(message_id)
            extra = {"error": error, "reason": reason}
            if partial:
                return console.render(request, "_decision.html", **context(user, item, **extra))
            history = console.service.history(item.requester.ori)
            page = context(user, item, history=history, **extra)
            return console.render(request, "item.html", 400, **page)
        if partial:
            return console.render(request, "_decision.html", **context(user, item))
        return RedirectResponse(f"{PREFIX}/items/{message_id}", status_code=303)
