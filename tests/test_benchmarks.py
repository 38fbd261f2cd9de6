"""The exchange benchmark still runs end to end and prints every figure it promises.

A small run (a few people, a few hundred queries, one short HTTP round) on the real stack: the
figures are not checked against any target here, only that each row is there with a number.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

from tests.serving import free_port

ROOT = Path(__file__).resolve().parent.parent


def _free_pair() -> int:
    """A port ``p`` with ``p + 1`` free too (the benchmark serves its floor on ``p + 1``)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def _run(script: str, *args: str) -> str:
    """What ``benchmarks/<script>`` prints, once it has exited cleanly."""
    command = [sys.executable, str(ROOT / "benchmarks" / script), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_exchange_benchmark_prints_its_figures(tmp_path: Path) -> None:
    out = _run(
        "exchange.py",
        *("--people", "40", "--count", "150", "--rate", "50", "--seconds", "1"),
        *("--rounds", "2", "--data", str(tmp_path / "data"), "--port", str(_free_pair())),
    )
    number = r"[\d,]+(?:\.\d+)?"
    for row in (
        "bare OLN lookup (baseline)",
        "DQ->DR through the switch",
        "DQ->DR + message log + mailbox",
        "DQ->DR, 64 in flight",
    ):
        assert re.search(rf"^{re.escape(row)}\s+{number}\s+{number}\s+{number}", out, re.M), row
    assert re.search(rf"completes {number} round trips/s, median of 2 rounds \(", out)
    for n in (1, 2):
        for row in ("server stack alone (floor)", "DQ->DR through the API"):
            line = rf"^{n}: {re.escape(row)}\s+{number}\s+{number}\s+{number}\s+{number} us"
            assert re.search(line, out, re.M), (n, row)
    assert re.search(rf"median p99: floor {number} ms, API {number} ms", out)
    assert re.search(rf"median server CPU a request: floor {number} us, API {number} us", out)


def test_message_log_benchmark_prints_its_figures(tmp_path: Path) -> None:
    out = _run(
        "messages.py",
        *("--messages", "3000", "--senders", "50", "--lists", "20", "--flushes", "3"),
        *("--cache", str(tmp_path)),
    )
    number = r"\d+(?:\.\d+)?"
    for row in ("by sender alone (baseline)", "by sender and time"):
        assert re.search(rf"^{re.escape(row)}\s+{number}\s+{number}$", out, re.M), row
    assert re.search(rf"listing {number}x faster than the baseline; a flush {number}x", out)


def test_directory_benchmark_prints_its_figures() -> None:
    out = _run("directory.py", "--changes", "2", "--people", "5", "--port", str(free_port()))
    number = r"[\d,]+\.\d"
    assert re.search(rf"one request, nothing changing \(baseline\)\s+{number}\s+{number}", out)
    assert re.search(rf"a suspension or reinstatement in effect, after\s+{number}\s+{number}", out)
    assert "2 changes; the target is 1,000 ms" in out


def test_oversight_benchmark_prints_its_figures(tmp_path: Path) -> None:
    out = _run("oversight.py", "--entries", "3000", "--rounds", "1", "--cache", str(tmp_path))
    number = r"[\d,]+(?:\.\d+)?"
    assert re.search(rf"bare read and parse \(baseline\)\s+{number}\s+{number}", out)
    assert re.search(rf"export to the analytical copy\s+{number}\s+{number}", out)
    assert re.search(rf"the whole transparency report\s+{number} s", out)
    assert re.search(rf"peak memory of this process: {number} MiB", out)
