"""The server's HTTP protocol: every response whole and in order, its head sent with its body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

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
