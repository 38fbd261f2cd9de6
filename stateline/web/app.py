"""The application factory: a FastAPI app around one running exchange."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from stateline import __version__
from stateline.hub.exchange import Exchange
from stateline.storage.engine import StorageError
from stateline.storage.messages import MessageLog
from stateline.web import api
from stateline.wire import jsonform

logger = logging.getLogger(__name__)


async def _flush_forever(log: MessageLog) -> None:
    while True:
        await asyncio.sleep(FLUSH_INTERVAL)
        try:
            await asyncio.to_thread(log.flush)
        except StorageError:
            logger.exception("message log flush failed; will retry")


FLUSH_INTERVAL = 0.2
"""Seconds between writes of the buffered message log."""


def create_app(
    exchange: Exchange, log: MessageLog | None = None, console: APIRouter | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(_flush_forever(log)) if log is not None else None
        try:
            yield
        finally:
            if flusher is not None:
                flusher.cancel()
            if log is not None:
                log.flush()

    app = FastAPI(
        lifespan=lifespan,
        title="Stateline",
        version=__version__,
        description="Interstate driver-data exchange: agencies query states' records through "
        "the hub; each state decides by its own law.",
    )
    app.include_router(api.router(exchange, log))
    if console is not None:  # a state's review console (stateline.web.console), under /console
        app.include_router(console)

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

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
