"""The HTTP floor: the API's own server and protocol, with no exchange behind them.

It answers every request with a fixed JSON body the size of a submission's answer, and does
nothing else. ``benchmarks/exchange.py`` drives it with the same requests at the same rate as
the API, in the same run, so that its latency is what the machine and the server stack give
before the exchange does any work: on a shared machine, the part of the API's p99 that is not
the exchange's.

    .venv/bin/python benchmarks/floor.py PORT
"""

from __future__ import annotations

import sys

from starlette.types import Receive, Scope, Send

from stateline.web.server import serve

BODY = b'{"floor":"' + b"x" * 162 + b'"}'
"""As long as the API's answer to an accepted DQ (174 bytes)."""


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    serve(app, "127.0.0.1", int(sys.argv[1]))
