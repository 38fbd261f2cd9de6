"""The notices outbox: letters the law owes people, soonest due first, overdue ones marked.

Every account reads the outbox, each letter as text and as a PDF to print, and may record a
letter sent; only counsel may decide a letter is not to be sent (``notices.WHO_MAY``), delay
it until a date, or end its delay (``delays.WHO_MAY_DELAY``). The steps answer the HTMX
partial, a page, or (asked with ``Accept: application/json``, as ``stateline notices`` does
beside a running server) the notice's standing as JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from stateline.node.notices.delays import (
    MAX_COUNSEL_DAYS,
    MAX_COURT_DAYS,
    WHO_MAY_DELAY,
    Delay,
    InvalidDelay,
    Standing,
)
from stateline.node.notices.model import (
    WHO_MAY,
    Notice,
    NoticeError,
    NoticeEvent,
    NoticeStatus,
    UnknownNotice,
)
from stateline.node.notices.service import Outbox
from stateline.node.review.model import Reviewer
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


def wants_json(request: Request) -> bool:
    """Whether the step was sent by a program (the CLI) that reads JSON, not a page."""
    return "application/json" in request.headers.get("accept", "")


def last_day(typed: str) -> date:
    """The delay's last day as a date form sends it, ``YYYY-MM-DD``; ``InvalidDelay`` if not."""
    try:
        return date.fromisoformat(typed.strip())
    except ValueError:
        raise InvalidDelay("give the delay's last day as a date, YYYY-MM-DD") from None


def delay_json(delay: Delay | None) -> dict[str, Any] | None:
    if delay is None:
        return None
    return {
        "event": delay.event.value,
        "basis": delay.basis.value,
        "until": delay.until.isoformat() if delay.until else None,
        "actor": delay.actor,
        "at": delay.at.isoformat(),
        "reason": delay.reason,
        "reference": delay.reference,
    }


def notice_json(notice: Notice, standing: Standing, delay: Delay | None) -> dict[str, Any]:
    """A notice's standing as a step's JSON answer: status, due date, the delay holding it."""
    until = standing.delayed_until
    return {
        "notice_id": notice.notice_id,
        "state": notice.state,
        "status": notice.status.value,
        "due": standing.due.isoformat(),
        "overdue": standing.overdue,
        "delayed_until": until.isoformat() if until is not None else None,
        "delay": delay_json(delay),
    }


def routes(console: Console, outbox: Outbox, router: APIRouter) -> None:
    def listing(request: Request, name: str, show: str) -> Response:
        user = signed_in(console, request)
        if show not in SHOW:
            raise HTTPException(404, "no such view of the outbox")
        listed = outbox.list(*SHOW[show])
        standing = outbox.standing(listed)
        # Soonest due first, a delayed letter by the date it is due again after its delay.
        notices = sorted(listed, key=lambda n: standing[n.notice_id].due)
        overdue = sum(1 for notice in notices if standing[notice.notice_id].overdue)
        return console.render(
            request,
            name,
            user=user,
            notices=notices,
            standing=standing,
            now=outbox.clock(),
            show=show,
            overdue=overdue,
        )

    def found(notice_id: str) -> Notice:
        try:
            return outbox.get(notice_id)
        except UnknownNotice as error:
            raise HTTPException(404, "no such notice") from error

    def context(user: SignedIn, notice: Notice, error: str | None = None) -> dict[str, Any]:
        role = user.account.role
        today = outbox.today(notice)
        return {
            "user": user,
            "notice": notice,
            "now": outbox.clock(),
            "standing": outbox.standing([notice])[notice.notice_id],
            "delay": outbox.delay(notice.notice_id),
            "today": today,
            "latest_counsel": today + timedelta(days=MAX_COUNSEL_DAYS),
            "latest_court": today + timedelta(days=MAX_COURT_DAYS),
            "max_counsel_days": MAX_COUNSEL_DAYS,
            "max_court_days": MAX_COURT_DAYS,
            "may_send": role in WHO_MAY[NoticeEvent.SENT],
            "may_cancel": role in WHO_MAY[NoticeEvent.CANCELLED],
            "may_delay": role in WHO_MAY_DELAY,
            "error": error,
        }

    def answer(
        request: Request, user: SignedIn, notice_id: str, act: Callable[[Reviewer], object]
    ) -> Response:
        """Take a step on a notice for the signed-in account, and answer as the client asks:
        the HTMX partial, a page (400 with the error), or JSON (400 with ``error``)."""
        error: str | None = None
        try:
            act(user.account.reviewer)
        except NoticeError as problem:
            error = str(problem)
        notice = found(notice_id)
        page = context(user, notice, error)
        if wants_json(request):
            body = notice_json(notice, page["standing"], page["delay"])
            if error is not None:
                return JSONResponse({"error": error, **body}, status_code=400)
            return JSONResponse(body)
        if request.headers.get("HX-Request"):
            return console.render(request, "_notice_actions.html", **page)
        if error is not None:
            return console.render(request, "notice.html", 400, **page)
        return RedirectResponse(f"{PREFIX}/notices/{notice_id}", status_code=303)

    def acting(request: Request, csrf: str) -> SignedIn:
        same_origin(request)
        user = signed_in(console, request)
        check_csrf(user.csrf, csrf)
        return user

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

    @router.post("/notices/{notice_id}/sent")
    def mark_sent(request: Request, notice_id: str, csrf: str = Form("")) -> Response:
        user = acting(request, csrf)
        known = found(notice_id).notice_id
        return answer(request, user, known, lambda who: outbox.mark_sent(known, who))

    @router.post("/notices/{notice_id}/cancel")
    def cancel(
        request: Request, notice_id: str, csrf: str = Form(""), reason: str = Form("")
    ) -> Response:
        user = acting(request, csrf)
        known = found(notice_id).notice_id
        return answer(request, user, known, lambda who: outbox.cancel(known, who, reason))

    @router.post("/notices/{notice_id}/delay")
    def delay_notice(
        request: Request,
        notice_id: str,
        csrf: str = Form(""),
        until: str = Form(""),
        reason: str = Form(""),
        court_order: str = Form(""),
    ) -> Response:
        """Counsel delays the letter, and hides its request from the person, through
        ``until``; on a court's order when ``court_order`` names it."""
        user = acting(request, csrf)
        known = found(notice_id).notice_id

        def grant(who: Reviewer) -> object:
            return outbox.grant_delay(
                known, who, until=last_day(until), reason=reason, court_order=court_order
            )

        return answer(request, user, known, grant)

    @router.post("/notices/{notice_id}/lift")
    def lift_delay(
        request: Request, notice_id: str, csrf: str = Form(""), reason: str = Form("")
    ) -> Response:
        """Counsel ends a delay today: the letter is due again, the request shown."""
        user = acting(request, csrf)
        known = found(notice_id).notice_id
        return answer(request, user, known, lambda who: outbox.lift_delay(known, who, reason))
