"""Serving the application: uvicorn, with each response's head and body sent in one write."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeadWithBody:
    """A connection's transport whose writes go out in pairs: a response's head waits for its
    body, until the end of the loop pass at the latest.

    uvicorn writes the head and then the body of a response. Two writes are two system calls,
    two segments and two wake-ups of the client; on a small answer those cost as much as
    answering. Everything but ``write`` and ``close`` goes straight to the transport.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self._release)  # a head with no body after it
        else:
            self._held = None
            self._transport.write(held + data)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self._release()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, writing each response in one piece (see
    :class:`_HeadWithBody`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(cast(asyncio.Transport, _HeadWithBody(transport, self.loop)))


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` until interrupted."""
    import uvicorn

    uvicorn.run(
        app, host=host, port=port, http=OneWriteProtocol, log_level="warning", access_log=False
    )
