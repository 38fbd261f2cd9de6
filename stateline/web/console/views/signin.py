"""Signing in (password, then TOTP code when the account has one) and signing out."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from stateline.storage.accounts import AuthenticationFailed
from stateline.web.console.context import PREFIX, Console
from stateline.web.console.security import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    check_csrf,
    new_signin_token,
    same_origin,
    set_session_cookie,
    set_signin_cookie,
    signed_in,
)

log = logging.getLogger(__name__)


def routes(console: Console, router: APIRouter) -> None:
    def form(request: Request, status: int = 200, error: str | None = None) -> Response:
        token = new_signin_token()
        page = console.render(request, "signin.html", status, csrf=token, error=error)
        set_signin_cookie(page, console, token)
        return page

    @router.get("/signin")
    def signin_page(request: Request) -> Response:
        return form(request)

    @router.post("/signin")
    def signin(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        code: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        same_origin(request)
        check_csrf(request.cookies.get(SIGNIN_COOKIE), csrf)
        try:
            session = console.accounts.authenticate(username, password, code.strip() or None)
        except AuthenticationFailed:
            log.info("console: sign-in refused")
            return form(request, 401, "Sign-in failed: check the name, password and code.")
        log.info("console: %s signed in", session.account.username)
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        lifetime = int((session.expires - datetime.now(UTC)).total_seconds())
        set_session_cookie(response, console, session.token, max(lifetime, 0))
        response.delete_cookie(SIGNIN_COOKIE, path=PREFIX)
        return response

    @router.post("/signout")
    def signout(request: Request, csrf: str = Form("")) -> Response:
        same_origin(request)
        user = signed_in(console, request)
        check_csrf(user.csrf, csrf)
        console.accounts.end_session(user.token)
        log.info("console: %s signed out", user.account.username)
        response = RedirectResponse(f"{PREFIX}/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response
