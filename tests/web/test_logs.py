"""What ``serve`` logs, read from a real server in a process of its own: every line with its UTC
time in ISO 8601, its level and its logger; Stateline's INFO lines, none of uvicorn's."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from stateline.web.limits import HeadLimits
from tests.serving import free_port

ROOT = Path(__file__).resolve().parents[2]

SERVER = """
import sys
from fastapi import FastAPI
from stateline.web.server import serve

app = FastAPI()

@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"pong": "yes"}

serve(app, "127.0.0.1", int(sys.argv[1]))
"""

LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: \S"
)


def ask(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        client.sendall(request)
        return client.recv(65536)


def test_every_line_is_stamped_and_stateline_logs_at_info() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = time.monotonic()
        while True:  # startup, not a timing assertion
            assert server.poll() is None, server.communicate()
            assert time.monotonic() - started < 60, "the server did not start"
            try:
                answer = ask(port, b"GET /ping HTTP/1.1\r\nHost: test\r\n\r\n")
                break
            except OSError:
                time.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 200 ")
        big = b"X-Big: " + b"b" * HeadLimits().size + b"\r\n"
        assert ask(port, b"GET /ping HTTP/1.1\r\n" + big + b"\r\n").startswith(b"HTTP/1.1 431")
        assert ask(port, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400")
    finally:
        server.send_signal(signal.SIGINT)
        _, logged = server.communicate(timeout=60)
    lines = logged.splitlines()
    assert lines, "nothing was logged"
    for line in lines:
        assert LINE.match(line), line
    assert any(" INFO stateline.web.server: request head refused: 431" in line for line in lines)
    assert any(" WARNING uvicorn.error: Invalid HTTP request" in line for line in lines)
    assert not any(" INFO uvicorn" in line for line in lines)  # uvicorn stays at WARNING
    assert "/ping" not in logged  # no access log
