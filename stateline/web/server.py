"""Serving the application: uvicorn, with each response's head and body sent in one write and
each request's head bounded in size and time."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar, cast

import httptools
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from stateline.web.limits import HeadLimits
from stateline.web.logs import log_config

logger = logging.getLogger(__name__)


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
    :class:`_HeadWithBody`), and bounding each request's head in size and in time.

    llhttp and httptools put no bound on a head: a header line is gathered by concatenation
    until it ends, so one client streaming a header of many megabytes held the server's loop
    for seconds and was then served, and one sending half a request line held its connection
    open for good. Here a head past :attr:`HeadLimits.size` bytes or :attr:`HeadLimits.lines`
    header lines is answered 431, and one not whole :attr:`HeadLimits.timeout` seconds after
    the connection opened or its previous answer ended is answered 408 (a connection that sent
    nothing is closed without an answer); either way the connection closes and no application
    code runs for that request. The count is kept per chunk received and the clock per
    connection, so a request that keeps within the limits costs a few comparisons.
    """

    limits: ClassVar[HeadLimits] = HeadLimits()

    # Per connection, set in connection_made. While a head is arriving, _head_size counts its
    # bytes so far; -1 while a request's body is read. _idle_since is when the connection began
    # to wait for a head with no request of its own being answered, None while one is.
    _head_size: int
    _idle_since: float | None
    _head_timer: asyncio.TimerHandle | None

    @classmethod
    def limited(cls, limits: HeadLimits) -> type[OneWriteProtocol]:
        """This protocol with ``limits`` in place of the defaults."""
        return type(cls.__name__, (cls,), {"limits": limits})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(cast(asyncio.Transport, _HeadWithBody(transport, self.loop)))
        self._head_size = 0
        self._idle_since = self.loop.time()
        self._head_timer = self.loop.call_later(self.limits.timeout, self._check_head_time)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def handle_websocket_upgrade(self) -> None:
        self._stop_head_timer()  # the connection is the WebSocket protocol's from here
        super().handle_websocket_upgrade()

    def data_received(self, data: bytes) -> None:
        if self._head_size >= 0:
            self._head_size += len(data)
            if self._head_size > self.limits.size:
                self._head_at_cap(data)
                return
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        # uvicorn's data_received, but a head this class refused (in a parser callback, which
        # raised to stop the parser) is not answered a second time with a 400.
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport.is_closing():
                return
            message = "Invalid HTTP request received."
            self.logger.warning(message)
            self.send_400_response(message)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def _head_at_cap(self, data: bytes) -> None:
        """``data`` takes the head past its cap, though it may also hold the end of the head
        and what follows: the head is refused only if it is not whole within the cap."""
        room = len(data) - (self._head_size - self.limits.size)
        self._feed(data[:room])
        if self.transport.is_closing():
            return
        if self._head_size > self.limits.size:  # no head was completed: still counting
            self._refuse(431, "Request Header Fields Too Large")
        else:
            self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._head_size = -1
        self._idle_since = None
        if len(self.headers) > self.limits.lines:
            self._refuse(431, "Request Header Fields Too Large")
            raise _HeadRefused  # stops the parser before the request reaches the app
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._head_size = 0  # the next request's head starts here
        cycle = self.cycle  # None after a WebSocket upgrade, which has no cycle
        if cycle is not None and cycle.response_complete:  # answered before its body had all come
            self._idle_since = self.loop.time()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        if self._head_size >= 0 and not self.pipeline:  # its body all read, no request queued
            self._idle_since = self.loop.time()
        super().on_response_complete()

    def _check_head_time(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        since, now = self._idle_since, self.loop.time()
        if since is not None and now - since >= self.limits.timeout:
            if self._head_size > 0:
                self._refuse(408, "Request Timeout")
            else:  # nothing asked: nothing to answer
                self.transport.close()
            return
        wait = self.limits.timeout if since is None else since + self.limits.timeout - now
        self._head_timer = self.loop.call_later(wait, self._check_head_time)

    def _refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` and close, or only close while an earlier request's answer is
        still being written (a pipelining client): its bytes must not be interleaved."""
        self._head_size = -1
        logger.info("request head refused: %d %s", status, reason)
        if self.cycle is None or self.cycle.response_complete:
            body = f"{reason}\n".encode()
            head = [STATUS_LINE[status]]
            head += [
                name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers
            ]
            head.append(b"content-type: text/plain; charset=utf-8\r\n")
            head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
            self.transport.write(b"".join(head) + body)
        self.transport.close()


class _HeadRefused(Exception):
    """Raised in a parser callback to stop parsing a head that has been refused."""


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` until interrupted, with the head limits the environment sets, logging
    each line with its time, level and logger."""
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        http=OneWriteProtocol.limited(HeadLimits.from_env()),
        log_config=log_config(),
        log_level="warning",  # uvicorn's own loggers; Stateline's log from INFO (see logs.py)
        access_log=False,
    )
