"""The application factory: a FastAPI app around one running exchange."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from stateline import __version__
from stateline.errors import StorageError
from stateline.hub.exchange import Exchange
from stateline.web import api
from stateline.web.docs import docs_router
from stateline.wire import jsonform

logger = logging.getLogger(__name__)


async def _purge_forever(purges: list[Callable[[datetime], int]]) -> None:
    while True:
        await asyncio.sleep(PURGE_INTERVAL)
        for purge in purges:
            try:
                await asyncio.to_thread(purge, datetime.now(UTC))
            except StorageError:
                logger.exception("purge of expired personal data failed; will retry")


PURGE_INTERVAL = 60.0
"""Seconds between removals of what the hub no longer keeps: the mailbox's expired replies and
AMs, and expired legal-process documents."""

MAX_SUBMISSION = 1 << 20
"""Bytes a submitted message may have on the fast path (the wire's own limits are far lower,
and answer a longer message with its ER)."""

_JSON = [(b"content-type", b"application/json")]


class SubmitFastPath:
    """``POST /v1/messages``, the exchange's hot path, answered straight from ASGI.

    Every other request goes through FastAPI. This one is most of the traffic, and FastAPI's
    routing, dependency solving and middleware cost about as much as the exchange itself, so
    the server answers it here, through the same :func:`api.submit_message` as the documented
    route (which stays for OpenAPI and for in-process clients). A fault is a 500 with no
    detail, as everywhere.
    """

    def __init__(self, app: ASGIApp, exchange: Exchange) -> None:
        self.app = app
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == "/v1/messages"
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        try:
            body = await _read_body(receive)
        except ClientDisconnect:
            return  # the client is gone, and a message cut short is never acted on
        if body is None:
            status, payload = 413, b'{"detail":"message too large"}'
        else:
            try:
                status, payload = await api.submit_message(
                    self.exchange,
                    headers.get(b"content-type", b"").decode("latin-1"),
                    _text(headers.get(b"authorization")),
                    body,
                    _text(headers.get(b"idempotency-key")),
                )
            except Exception as error:
                # Its type only: an exception's text may quote the message's fields.
                logger.error("submission failed: %s", type(error).__name__)
                status, payload = 500, b'{"detail":"internal error"}'
        length = [(b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": _JSON + length})
        await send({"type": "http.response.body", "body": payload})


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it passes :data:`MAX_SUBMISSION`.

    Raises :class:`ClientDisconnect` when the client goes away before the body is whole: a
    message cut short may still parse, and a licence number cut short may be another person's.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_SUBMISSION:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def server_app(
    exchange: Exchange,
    log: api.Sent | None = None,
    console: APIRouter | None = None,
    witness: APIRouter | None = None,
    resident: APIRouter | None = None,
) -> ASGIApp:
    """What ``stateline serve`` runs: :func:`create_app` behind the submission fast path."""
    return SubmitFastPath(create_app(exchange, log, console, witness, resident), exchange)


def create_app(
    exchange: Exchange,
    log: api.Sent | None = None,
    console: APIRouter | None = None,
    witness: APIRouter | None = None,
    resident: APIRouter | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        purges: list[Callable[[datetime], int]] = [exchange.switch.attachments.purge]
        if log is not None:
            purges.append(log.purge)
        purger = asyncio.create_task(_purge_forever(purges))
        try:
            yield
        finally:
            purger.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="Stateline",
        version=__version__,
        description="Interstate driver-data exchange: agencies query states' records through "
        "the hub; each state decides by its own law.",
        docs_url=None,  # served by docs_router, from local files rather than a CDN
        redoc_url=None,
    )
    app.include_router(docs_router(app.openapi_url or "/openapi.json", app.title))
    app.include_router(api.router(exchange, log))
    if console is not None:  # a state's review console (stateline.web.console), under /console
        app.include_router(console)
    if witness is not None:  # the hub as a witness (stateline.web.witness)
        app.include_router(witness)
    if resident is not None:  # "who looked me up" (stateline.web.resident)
        app.include_router(resident)

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(ClientDisconnect)
    async def gone(_request: Request, _error: Exception) -> Response:
        # The body was cut short and nothing was done with it; the answer goes nowhere.
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _error: Exception) -> JSONResponse:
        # A fault never shows a traceback to a caller; the log has it, without field values.
        return JSONResponse({"detail": "internal error"}, status_code=500)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {})["Message"] = jsonform.json_schema()
            # Every agency call carries the credential bound to its ORI.
            components["securitySchemes"] = {"agency": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"agency": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
