"""The served application over a real socket: a request whose body is cut short by the client
is never acted on, on the submission fast path and on the FastAPI routes alike."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stateline.bootstrap import System
from stateline.node.records.model import Person
from stateline.web.app import create_app, server_app
from stateline.web.server import OneWriteProtocol
from tests.serving import serving

LOCAL = "NYSTP0000"
SHORT = 40
"""Bytes the client announces beyond the body it sends."""


class Watched:
    """The app as served, with a note of when it first reads body bytes, what it answers and
    when it is done: the test's only view into the server, so it need not guess at timing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.read = threading.Event()
        self.done = threading.Event()
        self.statuses: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def reading() -> Message:
            message = await receive()
            if message.get("body"):
                self.read.set()
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
            await send(message)

        try:
            await self.app(scope, reading, sending)
        finally:
            self.done.set()


def cut_short(url: str, path: str, headers: dict[str, str], body: bytes, app: Watched) -> None:
    """Send ``body`` under a Content-Length :data:`SHORT` bytes longer, wait until the app has
    read it, then close the connection."""
    parts = urlsplit(url)
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {len(body) + SHORT}\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port)) as client:
        client.sendall(head.encode() + body)
        assert app.read.wait(30), "the server never read the body"
    assert app.done.wait(30), "the request was never finished"


def refused(statuses: list[int]) -> bool:
    """Nothing was answered (the client is gone), or a 400: never a success, never a fault."""
    return statuses in ([], [400])


Make = Callable[[System], ASGIApp]
APPS: dict[str, Make] = {
    "served": lambda system: server_app(system.exchange, system.log),
    "routes": lambda system: create_app(system.exchange, system.log),
}


@pytest.mark.parametrize("make", APPS.values(), ids=list(APPS))
def test_a_query_cut_short_is_not_decided(
    make: Make, system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    ledger = system.nodes["NY"].ledger
    before = ledger.size
    app = Watched(make(system))
    query = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][0].oln}".encode()
    headers = {"Authorization": f"Bearer {tokens[LOCAL]}", "Content-Type": "text/plain"}
    with serving(app, http=OneWriteProtocol) as url:
        cut_short(url, "/v1/messages", headers, query, app)
    assert ledger.size == before  # nothing received, decided or disclosed
    assert refused(app.statuses)


@pytest.mark.parametrize("make", APPS.values(), ids=list(APPS))
def test_a_document_cut_short_is_not_kept(
    make: Make, system: System, tokens: dict[str, str]
) -> None:
    app = Watched(make(system))
    document = b"%PDF-1.7\n% a synthetic warrant, cut short\n"
    headers = {"Authorization": f"Bearer {tokens[LOCAL]}", "Content-Type": "application/pdf"}
    with serving(app, http=OneWriteProtocol) as url:
        cut_short(url, "/v1/documents", headers, document, app)
    assert refused(app.statuses)  # no 201: nothing kept
