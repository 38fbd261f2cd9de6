"""The server's HTTP protocol: every response whole and in order, its head sent with its body."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from stateline.web.server import OneWriteProtocol


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


@contextmanager
def serving() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(app(), host="127.0.0.1", port=port, http=OneWriteProtocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # startup, not a timing assertion: a failed start ends the thread
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def test_responses_on_one_connection_arrive_whole_and_in_order() -> None:
    with serving() as url, httpx.Client(base_url=url) as client:
        for n in range(20):
            response = client.post("/echo", json={"n": str(n)})
            assert response.status_code == 200 and response.json() == {"n": str(n)}
        streamed = client.get("/stream")
        assert streamed.text == "part 0\npart 1\npart 2\n"
        assert client.get("/empty").status_code == 204
        assert client.get("/missing").status_code == 404
        assert client.post("/echo", json={"n": "last"}).json() == {"n": "last"}


def test_a_response_before_the_connection_closes_is_sent_whole() -> None:
    with serving() as url:
        response = httpx.post(f"{url}/echo", json={"a": "b"}, headers={"Connection": "close"})
        assert response.status_code == 200 and response.json() == {"a": "b"}
        assert response.headers.get("connection") == "close"
