"""Sessions, CSRF tokens and the headers every console response carries.

The session cookie is HttpOnly, SameSite=Strict and (unless turned off for plain-HTTP tests)
Secure. Every form carries a CSRF token: after sign-in an HMAC of the session token, which a
page on another site can neither read nor compute; on the sign-in form a random token also set
as a cookie (double submit). A POST whose ``Origin`` names another host is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from starlette.responses import PlainTextResponse, Response

from stateline.storage.accounts import Account
from stateline.web.console.context import PREFIX, Console

SESSION_COOKIE = "stateline_console"
SIGNIN_COOKIE = "stateline_console_signin"

HEADERS = {
    # Only our own files: htmx and the CSS come from /console/static, nothing inline.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Nothing leaves in a Referer to other sites; "no-referrer" would also make the browser
    # send "Origin: null" on our own forms, which the origin check refuses.
    "Referrer-Policy": "same-origin",
    # Pages show personal data: no browser or proxy keeps a copy.
    "Cache-Control": "no-store",
}


class SecureRoute(APIRoute):
    """A route whose responses, redirects and refusals included, carry ``HEADERS``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def secured(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as error:
                response = PlainTextResponse(
                    str(error.detail), status_code=error.status_code, headers=error.headers
                )
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return secured


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The account behind a request, and the CSRF token its forms carry."""

    account: Account
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"stateline console csrf", hashlib.sha256).hexdigest()


def new_signin_token() -> str:
    return secrets.token_urlsafe(32)


def sign_in_required(request: Request) -> HTTPException:
    """Off to the sign-in page; an HTMX request is told to navigate there itself."""
    target = f"{PREFIX}/signin"
    if request.headers.get("HX-Request"):
        return HTTPException(401, "sign in", headers={"HX-Redirect": target})
    return HTTPException(303, "sign in", headers={"Location": target})


def signed_in(console: Console, request: Request) -> SignedIn:
    """The signed-in account, or an HTTPException that sends the browser to sign in."""
    token = request.cookies.get(SESSION_COOKIE)
    account = console.accounts.session(token) if token else None
    if account is None or token is None:
        raise sign_in_required(request)
    return SignedIn(account, token)


def same_origin(request: Request) -> None:
    """Refuse a POST that a browser says came from another site."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "cross-site request refused")


def check_csrf(expected: str | None, submitted: str | None) -> None:
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "the form expired or did not come from this console: reload it")


def set_session_cookie(response: Response, console: Console, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=console.secure_cookies,
    )


def set_signin_cookie(response: Response, console: Console, token: str) -> None:
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=3600,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=console.secure_cookies,
    )
