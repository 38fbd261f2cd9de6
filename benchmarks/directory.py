"""How soon a running server applies a change to the directory made by another command, beside
how long the same request takes when nothing changes (the baseline), in one run.

``stateline serve`` runs in a child process over a demo data directory; ``stateline agency
suspend`` and ``reinstate`` run as a user runs them, alternately, and the time from a command's
exit to the first request the server answers accordingly (403, then 200 again) is measured.
The target: within one second.

    .venv/bin/python benchmarks/directory.py [--changes 10] [--people 50] [--port 8799]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from stateline import demo
from stateline.config import Config

STATELINE = [sys.executable, "-m", "stateline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10, help="suspensions and reinstatements")
    parser.add_argument("--people", type=int, default=50, help="people per jurisdiction")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="stateline-directory-"))
    demo.prepare(Config(data_dir=data), args.people, seed=0)
    tokens = json.loads((data / "credentials.json").read_text())
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [*STATELINE, "serve", "--port", str(args.port), "--data", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        raw = "DQ.NYSTP0000.NY.TXT\nOLN/123456789"
        headers = {"authorization": f"Bearer {tokens['NYSTP0000']}"}
        client = httpx.Client(base_url=url)  # one connection, kept: a request costs only itself
        effect: list[float] = []
        request: list[float] = []
        for n in range(args.changes):
            verb, answer = ("suspend", 403) if n % 2 == 0 else ("reinstate", 200)
            for _ in range(5):  # the baseline: the same request, nothing changing
                start = time.monotonic()
                client.post("/v1/messages", content=raw, headers=headers)
                request.append(time.monotonic() - start)
            subprocess.run(
                [*STATELINE, "agency", verb, "NYSTP0000", "--data", str(data)],
                check=True,
                capture_output=True,
            )
            start = time.monotonic()
            while client.post("/v1/messages", content=raw, headers=headers).status_code != answer:
                time.sleep(0.005)
            effect.append(time.monotonic() - start)
    finally:
        server.terminate()
        server.wait()
    print(f"{'measure':<52} {'median ms':>10} {'max ms':>8}")
    print(
        f"{'one request, nothing changing (baseline)':<52} "
        f"{statistics.median(request) * 1e3:>10.1f} {max(request) * 1e3:>8.1f}"
    )
    print(
        f"{'a suspension or reinstatement in effect, after':<52} "
        f"{statistics.median(effect) * 1e3:>10.1f} {max(effect) * 1e3:>8.1f}"
    )
    print(
        f"  {len(effect)} changes; the target is 1,000 ms: median "
        f"{statistics.median(effect) / statistics.median(request):.0f}x a request's time"
    )


if __name__ == "__main__":
    main()
