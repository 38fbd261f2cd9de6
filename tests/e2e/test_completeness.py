"""A server and in-process commands on one data directory, under concurrent traffic: every
answered query's entries reach the ledger, and reconciling the hub's log with the ledgers
proves it.

The server runs as ``stateline serve`` in a process of its own, as a user runs it; ``stateline
query`` without ``--url`` runs beside it, as the README shows. Only one process may write a
ledger: the in-process commands find the server named in the ledgers' locks and send through
it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from stateline.config import Config
from stateline.node.records.model import Person
from tests.serving import free_port

STATELINE = [sys.executable, "-m", "stateline"]


@dataclass
class Served:
    url: str
    data: Path
    process: subprocess.Popen[str]
    tokens: dict[str, str]


def stateline(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*STATELINE, *args, "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.fixture
def served(prepared: Config, tmp_path: Path) -> Iterator[Served]:
    data = tmp_path / "data"
    shutil.copytree(prepared.data_dir, data, ignore=shutil.ignore_patterns("locks"))
    port = free_port()
    process = subprocess.Popen(
        [*STATELINE, "serve", "--port", str(port), "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:  # start-up, not a timing assertion: a server that cannot start fails here
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    tokens = json.loads((data / "credentials.json").read_text())
    try:
        yield Served(url, data, process, tokens)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)


def answers_logged(served: Served, *states: str) -> int:
    """How many answers the hub has logged (those of earlier tests, on the copied data)."""
    only = [arg for state in states for arg in ("--state", state)]
    reconciled = stateline(served.data, "ledger", "reconcile", "--json", *only)
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    return int(json.loads(reconciled.stdout)["answers"])


def owned(people: list[Person]) -> list[str]:
    return [vehicle.vin for person in people for vehicle in person.vehicles]


def test_in_process_queries_beside_a_server_lose_no_ledger_entry(
    served: Served, people: dict[str, list[Person]]
) -> None:
    agencies = ("NYSTP0000", "NJSTP0000", "CASTP0000")
    over_http = [
        (agencies[n % 3], f"DQ.{agencies[n % 3]}.NY.H{n}.TXT\nOLN/{people['NY'][n % 25].oln}")
        for n in range(60)
    ]
    in_process = [f"DQ.NYSTP0000.NY.P{n}.TXT\\nOLN/{people['NY'][n].oln}" for n in range(4)] + [
        f"RQ.NJSTP0000.NY.NJ.P{n}.TXT\\nVIN/{vin}" for n, vin in enumerate(owned(people["NJ"])[:2])
    ]
    statuses: list[int] = []
    lock = threading.Lock()
    before = answers_logged(served)

    def send(ori: str, raw: str) -> None:
        headers = {"authorization": f"Bearer {served.tokens[ori]}"}
        answer = httpx.post(f"{served.url}/v1/messages", content=raw, headers=headers, timeout=60)
        with lock:
            statuses.append(answer.status_code)

    def query(raw: str) -> subprocess.CompletedProcess[str]:
        ori = raw.split(".")[1]
        return stateline(served.data, "query", "--as", ori, raw)

    with ThreadPoolExecutor(max_workers=8) as pool:
        sent = [pool.submit(send, ori, raw) for ori, raw in over_http]
        commands = [pool.submit(query, raw) for raw in in_process]
        results = [c.result() for c in commands]
        for future in sent:
            future.result()
    assert statuses == [200] * len(over_http)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(("DR.NYOLN0000", "RR.")), result.stdout
        assert "writes this data directory's ledgers: sending through it" in result.stderr

    # Beside the running server: the log verifies and is complete.
    verified = stateline(served.data, "ledger", "verify", "--state", "NY", "--reconcile")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "ledger NY verifies" in verified.stdout
    assert "ledgers complete" in verified.stdout
    reconciled = stateline(served.data, "ledger", "reconcile", "--json")
    assert reconciled.returncode == 0, reconciled.stderr
    report = json.loads(reconciled.stdout)
    # Every query answered by NY (and the RQs by NJ too) is one logged answer.
    assert report["ok"] and report["findings"] == []
    assert report["answers"] == before + len(over_http) + len(in_process) + 2

    served.process.send_signal(signal.SIGTERM)
    _out, err = served.process.communicate(timeout=60)
    assert "cannot fold" not in err and "UNIQUE" not in err, err


def test_a_second_server_on_the_same_data_is_refused_by_name(served: Served) -> None:
    second = stateline(served.data, "serve", "--port", str(free_port()))
    assert second.returncode == 1
    assert f"`stateline serve` (process {served.process.pid}, serving {served.url})" in (
        second.stderr.replace("\n", "")
    )
    checkpoint = stateline(served.data, "ledger", "checkpoint", "--state", "NY")
    assert checkpoint.returncode == 1
    assert "one process writes a ledger at a time" in checkpoint.stderr.replace("\n", " ")


def test_reconcile_finds_an_answer_whose_entries_are_missing(served: Served) -> None:
    """The hub says NY answered a message NY's ledger knows nothing of: reconcile says so."""
    from sqlalchemy import insert

    from stateline.storage.engine import open_engine
    from stateline.storage.messages import answers

    engine = open_engine(f"sqlite:///{served.data / 'hub.sqlite'}")
    with engine.begin() as conn:
        conn.execute(
            insert(answers).values(
                message_id="f" * 32,
                state="NY",
                at=datetime.now(UTC),
                answer_sha256="0" * 64,
                late=False,
            )
        )
    engine.dispose()
    found = stateline(served.data, "ledger", "reconcile", "--state", "NY")
    assert found.returncode == 1
    assert "1 answered messages without their entries" in found.stderr.replace("\n", " ")
    assert f"NY message {'f' * 32}: answered, but the ledger has no request" in found.stderr


def refused_until(served: Served, ori: str, expect: int, raw: str) -> float:
    """Seconds until the server answers ``ori``'s ``raw`` with status ``expect``."""
    started = time.monotonic()
    headers = {"authorization": f"Bearer {served.tokens[ori]}"}
    while True:
        answer = httpx.post(f"{served.url}/v1/messages", content=raw, headers=headers)
        if answer.status_code == expect:
            return time.monotonic() - started
        # Generous: the server looks every quarter second; this only bounds a broken test.
        assert time.monotonic() - started < 30, f"still {answer.status_code}: {answer.text}"
        time.sleep(0.05)


def test_a_suspension_takes_effect_on_the_running_server(
    served: Served, people: dict[str, list[Person]]
) -> None:
    raw = f"DQ.NYSTP0000.NY.TXT\nOLN/{people['NY'][3].oln}"
    headers = {"authorization": f"Bearer {served.tokens['NYSTP0000']}"}
    assert httpx.post(f"{served.url}/v1/messages", content=raw, headers=headers).status_code == 200
    suspended = stateline(served.data, "agency", "suspend", "NYSTP0000")
    assert suspended.returncode == 0, suspended.stderr
    assert suspended.stdout.startswith("suspended NYSTP0000")
    refused_until(served, "NYSTP0000", 403, raw)
    answer = httpx.post(f"{served.url}/v1/messages", content=raw, headers=headers)
    assert answer.json()["replies"][0].startswith("ER.NL0000000")
    assert "AGENCY SUSPENDED" in answer.json()["replies"][0].upper()
    pdf = b"%PDF-1.7\n% a synthetic warrant\n%%EOF\n"
    document = httpx.post(
        f"{served.url}/v1/documents",
        content=pdf,
        headers={**headers, "content-type": "application/pdf"},
    )
    assert document.status_code == 403  # nor may it attach documents
    reinstated = stateline(served.data, "agency", "reinstate", "NYSTP0000")
    assert reinstated.returncode == 0 and reinstated.stdout.startswith("reinstated NYSTP0000")
    refused_until(served, "NYSTP0000", 200, raw)


def test_a_new_agencys_credential_works_on_the_running_server(served: Served) -> None:
    added = stateline(
        served.data,
        "agency",
        "add",
        "NY0990100",
        "--name",
        "Testville Police Department",
        "--type",
        "PD",
        "--home",
        "NY",
        "--mission",
        "criminal-law-enforcement",
    )
    assert added.returncode == 0, added.stderr
    served.tokens["NY0990100"] = added.stdout.split()[-1]
    refused_until(served, "NY0990100", 200, "DQ.NY0990100.NY.TXT\nOLN/123456789")


def test_every_answered_message_survives_a_kill(
    served: Served, people: dict[str, list[Person]]
) -> None:
    """kill -9 right after the answers came: the hub's log holds every one of them, as the
    ledger does, so reconciling after the crash finds nothing missing."""
    ids: list[str] = []
    before = answers_logged(served, "NY")

    def send(n: int) -> None:
        raw = f"DQ.NYSTP0000.NY.K{n}.TXT\nOLN/{people['NY'][n % 25].oln}"
        headers = {"authorization": f"Bearer {served.tokens['NYSTP0000']}"}
        answer = httpx.post(f"{served.url}/v1/messages", content=raw, headers=headers)
        assert answer.status_code == 200
        ids.append(answer.json()["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, range(40)))
    served.process.send_signal(signal.SIGKILL)
    served.process.communicate(timeout=60)
    reconciled = stateline(served.data, "ledger", "reconcile", "--state", "NY", "--json")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert json.loads(reconciled.stdout)["answers"] == before + 40
    from stateline.storage.engine import open_engine
    from stateline.storage.messages import MessageLog

    engine = open_engine(f"sqlite:///{served.data / 'hub.sqlite'}")
    log = MessageLog(engine)
    assert set(log.routed(ids)) == set(ids)
    engine.dispose()
