"""Signing in (password, then TOTP code when the account has one) and signing out.

Failed sign-ins lock the name tried and the client's address for a while (``storage.lockouts``;
docs/review.md gives the rule): meanwhile the form answers 429 with ``Retry-After`` and says
when to try again, on the state's clock. The log names an account by ``account_ref`` and a
client by a keyed hash that lasts as long as the process, never by the name typed (which may
be a password typed in the wrong box) or by the address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from stateline.storage.accounts import AuthenticationFailed, SignInLocked, account_ref
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
from stateline.web.console.zones import local

log = logging.getLogger(__name__)

_CLIENT_KEY = secrets.token_bytes(32)


def client_ref(address: str | None) -> str:
    """How the log names a client address: the same within one process, unreadable outside."""
    if address is None:
        return "unknown"
    return hmac.new(_CLIENT_KEY, address.encode(), hashlib.sha256).hexdigest()[:16]


def wait_words(seconds: int) -> str:
    """``about 3 minutes``: how long a lock has to run, as a person says it."""
    if seconds < 60:
        return "under a minute"
    minutes = math.ceil(seconds / 60)
    return f"about {minutes} {'minute' if minutes == 1 else 'minutes'}"


def routes(console: Console, router: APIRouter) -> None:
    def form(
        request: Request,
        status: int = 200,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        token = new_signin_token()
        page = console.render(request, "signin.html", status, csrf=token, error=error)
        set_signin_cookie(page, console, token)
        page.headers.update(headers or {})
        return page

    def who(username: str) -> str:
        # A name that is no account's may be a password typed in the wrong box: never logged.
        known = console.accounts.get(username) is not None
        return f"account {account_ref(username)}" if known else "an unknown name"

    def locked(
        request: Request, username: str, address: str | None, lock: SignInLocked
    ) -> Response:
        now = datetime.now(UTC)
        seconds = max(math.ceil((lock.until - now).total_seconds()), 1)
        by = " and ".join(sorted(lock.by))
        event = "locked" if lock.started else "refused while locked"
        log.warning(
            "console: sign-in %s (%s) for %s from client %s until %s",
            event,
            by,
            who(username),
            client_ref(address),
            lock.until.isoformat(),
        )
        message = (
            "Too many failed sign-ins: signing in is paused until "
            f"{local(lock.until, console.zone)} ({wait_words(seconds)}). Try again then."
        )
        return form(request, 429, message, {"Retry-After": str(seconds)})

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
        address = request.client.host if request.client is not None else None
        try:
            session = console.accounts.authenticate(
                username, password, code.strip() or None, address=address
            )
        except SignInLocked as lock:
            return locked(request, username, address, lock)
        except AuthenticationFailed:
            log.info(
                "console: sign-in failed for %s from client %s",
                who(username),
                client_ref(address),
            )
            return form(request, 401, "Sign-in failed: check the name, password and code.")
        log.info(
            "console: account %s signed in from client %s",
            account_ref(session.account.username),
            client_ref(address),
        )
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
        log.info("console: account %s signed out", account_ref(user.account.username))
        response = RedirectResponse(f"{PREFIX}/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response
