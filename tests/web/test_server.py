"""The server's HTTP protocol: every response whole and in order, its head sent with its body,
and every request's head bounded in size and in time."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from stateline.web.limits import HeadLimits
from stateline.web.server import OneWriteProtocol
from tests.serving import serving


def app() -> FastAPI:
    api = FastAPI()

    @api.post("/echo")
    async def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    @api.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"part {n}\n".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    @api.get("/empty", status_code=204)
    async def empty() -> None:
        return None

    return api


def test_responses_on_one_connection_arrive_whole_and_in_order() -> None:
    with serving(app(), http=OneWriteProtocol) as url, httpx.Client(base_url=url) as client:
        for n in range(20):
            response = client.post("/echo", json={"n": str(n)})
            assert response.status_code == 200 and response.json() == {"n": str(n)}
        streamed = client.get("/stream")
        assert streamed.text == "part 0\npart 1\npart 2\n"
        assert client.get("/empty").status_code == 204
        assert client.get("/missing").status_code == 404
        assert client.post("/echo", json={"n": "last"}).json() == {"n": "last"}


def test_a_response_before_the_connection_closes_is_sent_whole() -> None:
    with serving(app(), http=OneWriteProtocol) as url:
        response = httpx.post(f"{url}/echo", json={"a": "b"}, headers={"Connection": "close"})
        assert response.status_code == 200 and response.json() == {"a": "b"}
        assert response.headers.get("connection") == "close"


# Request heads: bounded in size and in time.

QUICK = OneWriteProtocol.limited(HeadLimits(timeout=0.5))
"""The protocol with a short head timeout, so that tests of the cut-off finish quickly."""


def connect(url: str) -> socket.socket:
    """A raw connection to the server; a read that hangs fails the test instead of blocking."""
    parts = urlsplit(url)
    client = socket.create_connection((parts.hostname, parts.port))
    client.settimeout(30)
    return client


def read_to_close(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def test_a_head_over_the_size_cap_is_answered_431_and_the_connection_closed() -> None:
    big = b"x" * HeadLimits().size
    with serving(app(), http=OneWriteProtocol) as url, connect(url) as client:
        client.sendall(b"GET /empty HTTP/1.1\r\nHost: test\r\nX-Big: " + big + b"\r\n\r\n")
        answer = read_to_close(client)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"connection: close" in answer.lower()


def test_a_head_with_too_many_lines_is_answered_431() -> None:
    lines = b"".join(b"X-%d: 1\r\n" % n for n in range(HeadLimits().lines + 1))
    with serving(app(), http=OneWriteProtocol) as url, connect(url) as client:
        client.sendall(b"GET /empty HTTP/1.1\r\nHost: test\r\n" + lines + b"\r\n")
        assert read_to_close(client).startswith(b"HTTP/1.1 431 ")


def test_heads_within_the_caps_are_served_with_their_bodies_and_pipelined() -> None:
    # A head just under the cap, its body and a second request all in one write: the cap
    # counts the head only, and each request is answered.
    body = b'{"a": "b"}'
    head = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    head += b"Content-Length: %d\r\n" % len(body)
    head += b"X-Pad: " + b"p" * (HeadLimits().size - len(head) - 11) + b"\r\n\r\n"
    assert len(head) == HeadLimits().size
    lines = b"".join(b"X-%d: 1\r\n" % n for n in range(HeadLimits().lines - 2))
    last = b"GET /empty HTTP/1.1\r\nHost: test\r\n" + lines + b"Connection: close\r\n\r\n"
    with serving(app(), http=OneWriteProtocol) as url, connect(url) as client:
        client.sendall(head + body + last)
        answers = read_to_close(client)
    assert answers.startswith(b"HTTP/1.1 200 ")
    assert b'{"a":"b"}HTTP/1.1 204 ' in answers


def test_a_head_that_stalls_is_answered_408_and_the_connection_closed() -> None:
    with serving(app(), http=QUICK) as url, connect(url) as client:
        client.sendall(b"GET /emp")  # half a request line, and nothing more
        answer = read_to_close(client)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_head_that_trickles_in_is_cut_off_too() -> None:
    with serving(app(), http=QUICK) as url, connect(url) as client:
        client.sendall(b"GET /empty HTTP/1.1\r\n")
        for n in range(600):  # a header line every 50 ms, until the server answers: 30 s at most
            if select.select([client], [], [], 0.05)[0]:
                break
            client.sendall(b"X-%d: 1\r\n" % n)
        assert read_to_close(client).startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_closed() -> None:
    with serving(app(), http=QUICK) as url, connect(url) as client:
        assert read_to_close(client) == b""


def test_the_next_head_on_a_kept_alive_connection_has_a_deadline_too() -> None:
    with serving(app(), http=QUICK) as url, connect(url) as client:
        client.sendall(b"GET /empty HTTP/1.1\r\nHost: test\r\n\r\n")
        first = client.recv(65536)
        assert first.startswith(b"HTTP/1.1 204 ")
        client.sendall(b"GET /empty HTTP/1.1\r\nHost: te")
        assert read_to_close(client).startswith(b"HTTP/1.1 408 ")


def test_a_slow_answer_is_not_cut_off_by_the_head_deadline() -> None:
    # The deadline is for heads only: a request answered after it passes is answered whole.
    api = app()

    @api.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(1.5)  # three head deadlines of the protocol under test
        return {"slow": "yes"}

    with serving(api, http=QUICK) as url, httpx.Client(base_url=url) as client:
        assert client.get("/slow").json() == {"slow": "yes"}
        assert client.get("/slow").json() == {"slow": "yes"}  # the same connection, again


def stream_a_huge_header(url: str, outcome: list[bytes]) -> None:
    """Send a header line of up to 64 MiB, then the end of the head; note what comes back."""
    with connect(url) as client:
        try:
            client.sendall(b"GET /empty HTTP/1.1\r\nHost: test\r\nX-Huge: ")
            chunk = b"h" * (1 << 20)
            for _ in range(64):
                client.sendall(chunk)
            client.sendall(b"\r\n\r\n")
        except OSError:
            pass  # cut off while sending: what it was told may still be readable
        try:
            outcome.append(read_to_close(client))
        except OSError:
            outcome.append(b"")  # reset: the answer was lost with the unread bytes


def test_others_are_answered_while_clients_stream_huge_headers() -> None:
    outcomes: list[bytes] = []
    with serving(app(), http=OneWriteProtocol) as url, httpx.Client(base_url=url) as client:
        streams = [
            threading.Thread(target=stream_a_huge_header, args=(url, outcomes)) for _ in range(4)
        ]
        for stream in streams:
            stream.start()
        for n in range(20):
            started = time.monotonic()
            assert client.post("/echo", json={"n": str(n)}).json() == {"n": str(n)}
            assert time.monotonic() - started < 10  # a generous bound: answered, not stalled
        for stream in streams:
            stream.join(60)
            assert not stream.is_alive()
    # No huge head was served: each was refused, or the connection reset under the sender.
    assert len(outcomes) == 4
    assert all(o == b"" or o.startswith(b"HTTP/1.1 431 ") for o in outcomes), outcomes


def test_a_websocket_upgrade_still_reaches_the_app() -> None:
    # The app serves no WebSocket: it refuses the handshake (403), as under uvicorn's protocol.
    handshake = (
        b"GET /socket HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with serving(app(), http=QUICK) as url, connect(url) as client:
        client.sendall(b"GET /empty HTTP/1.1\r\nHost: test\r\n\r\n")
        assert client.recv(65536).startswith(b"HTTP/1.1 204 ")
        client.sendall(handshake)
        assert read_to_close(client).startswith(b"HTTP/1.1 403 ")
    with serving(app(), http=QUICK) as url, connect(url) as client:
        client.sendall(handshake)
        assert read_to_close(client).startswith(b"HTTP/1.1 403 ")
