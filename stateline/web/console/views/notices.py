"""The notices outbox: letters the law owes people, soonest due first, overdue ones marked.

Every account reads the outbox, each letter as text and as a PDF to print, and may record a
letter sent; only counsel may decide a letter is not to be sent (``notices.WHO_MAY``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from stateline.node.notices import (
    WHO_MAY,
    Notice,
    NoticeError,
    NoticeEvent,
    NoticeStatus,
    UnknownNotice,
)
from stateline.node.outbox import Outbox
from stateline.web.console.context import PREFIX, Console
from stateline.web.console.security import SignedIn, check_csrf, same_origin, signed_in

log = logging.getLogger(__name__)

SHOW: dict[str, tuple[NoticeStatus, ...]] = {
    "open": (NoticeStatus.PENDING,),
    "sent": (NoticeStatus.SENT,),
    "cancelled": (NoticeStatus.CANCELLED,),
    "all": (),
}
"""The outbox's views, by the ``show`` parameter: letters still to send by default."""


def routes(console: Console, outbox: Outbox, router: APIRouter) -> None:
    def listing(request: Request, name: str, show: str) -> Response:
        user = signed_in(console, request)
        if show not in SHOW:
            raise HTTPException(404, "no such view of the outbox")
        notices = outbox.list(*SHOW[show])
        now = outbox.clock()
        overdue = sum(1 for notice in notices if notice.overdue(now))
        return console.render(
            request, name, user=user, notices=notices, now=now, show=show, overdue=overdue
        )

    def found(notice_id: str) -> Notice:
        try:
            return outbox.get(notice_id)
        except UnknownNotice as error:
            raise HTTPException(404, "no such notice") from error

    def context(user: SignedIn, notice: Notice, error: str | None = None) -> dict[str, Any]:
        role = user.account.role
        return {
            "user": user,
            "notice": notice,
            "now": outbox.clock(),
            "may_send": role in WHO_MAY[NoticeEvent.SENT],
            "may_cancel": role in WHO_MAY[NoticeEvent.CANCELLED],
            "error": error,
        }

    @router.get("/notices")
    def notices_page(request: Request, show: str = "open") -> Response:
        return listing(request, "notices.html", show)

    @router.get("/notices/rows")
    def notice_rows(request: Request, show: str = "open") -> Response:
        """The outbox's rows alone, which the page refreshes with HTMX."""
        return listing(request, "_notice_rows.html", show)

    @router.get("/notices/{notice_id}")
    def notice_page(request: Request, notice_id: str) -> Response:
        user = signed_in(console, request)
        return console.render(request, "notice.html", **context(user, found(notice_id)))

    @router.get("/notices/{notice_id}/letter.pdf")
    def letter(request: Request, notice_id: str) -> Response:
        user = signed_in(console, request)
        notice = found(notice_id)
        log.info("console: %s printed notice %s", user.account.username, notice.notice_id)
        headers = {"Content-Disposition": f'attachment; filename="{notice.notice_id}.pdf"'}
        return Response(outbox.pdf(notice.notice_id), media_type="application/pdf", headers=headers)

    def close(
        request: Request, notice_id: str, event: NoticeEvent, csrf: str, reason: str
    ) -> Response:
        same_origin(request)
        user = signed_in(console, request)
        check_csrf(user.csrf, csrf)
        reviewer = user.account.reviewer
        error: str | None = None
        try:
            if event is NoticeEvent.SENT:
                notice = outbox.mark_sent(found(notice_id).notice_id, reviewer)
            else:
                notice = outbox.cancel(found(notice_id).notice_id, reviewer, reason)
        except NoticeError as problem:
            error = str(problem)
            notice = found(notice_id)
        partial = bool(request.headers.get("HX-Request"))
        page = context(user, notice, error)
        if partial:
            return console.render(request, "_notice_actions.html", **page)
        if error is not None:
            return console.render(request, "notice.html", 400, **page)
        return RedirectResponse(f"{PREFIX}/notices/{notice_id}", status_code=303)

    @router.post("/notices/{notice_id}/sent")
    def mark_sent(request: Request, notice_id: str, csrf: str = Form("")) -> Response:
        return close(request, notice_id, NoticeEvent.SENT, csrf, "")

    @router.post("/notices/{notice_id}/cancel")
    def cancel(
        request: Request, notice_id: str, csrf: str = Form(""), reason: str = Form("")
    ) -> Response:
        return close(request, notice_id, NoticeEvent.CANCELLED, csrf, reason)
