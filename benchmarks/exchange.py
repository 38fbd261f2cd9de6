"""DQ -> DR round trips through the whole exchange, beside the bare record lookup, in one run.

In-process: authentication, parse, route, policy, search, redaction and answer through
``Switch.submit`` (and through the exchange service, which adds the message log), on one core,
next to the baseline of the node's bare OLN lookup for the same licences.
Over HTTP: the API served by uvicorn in a child process, driven open-loop at a fixed rate
(latency counted from each request's scheduled time, so queueing is not hidden), next to the
baseline of the same server stack with no exchange behind it (``floor.py``) driven the same
way, and how busy the machine was, and how much of it the host took, during each run.

Both run several rounds (``--rounds``, 3 by default) and report the median, as well as each
round, since one round on a shared machine can land in a burst of the host's other work.
The demo's ledgers start nearly empty; ``--ledger-entries`` gives each of them that many entries
first, to measure a node that has served for months.

    .venv/bin/python benchmarks/exchange.py [--people 1000] [--count 5000] [--rate 500]
                                            [--rounds 3] [--ledger-entries 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import loadgen

from stateline import demo
from stateline.bootstrap import build, freeze_heap
from stateline.config import Config
from stateline.synthetic.agencies import demo_agencies
from stateline.synthetic.people import generate_people
from stateline.wire.grammar import US_STATES

IN_FLIGHT = 64
"""Requests in flight at once in the concurrent in-process round."""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def workload(config: Config, people: int, seed: int, count: int) -> list[tuple[str, str, str]]:
    """(sender ORI, state, OLN) triples: local agencies asking their own state, all hits."""
    rng = random.Random(seed)
    sample = {s: [p.oln for p in generate_people(s, min(people, 300), seed)] for s in US_STATES}
    tokens = demo.load_tokens(config)
    active = {a.ori for a in demo_agencies() if a.active and a.agency_type.criminal_justice}
    senders = sorted(ori for ori in tokens if ori[2:5].isdigit() and ori in active)
    jobs = []
    for _ in range(count):
        ori = rng.choice(senders)
        state = ori[:2] if ori[:2] in sample else rng.choice(US_STATES)
        jobs.append((ori, state, rng.choice(sample[state])))
    return jobs


async def in_process(
    config: Config, jobs: list[tuple[str, str, str]], rounds: int
) -> dict[str, list[float]]:
    system = build(config)
    freeze_heap()  # as `stateline serve` does before it serves
    tokens = demo.load_tokens(config)
    switch, exchange = system.exchange.switch, system.exchange
    messages = [(f"DQ.{ori}.{state}.TXT\nOLN/{oln}", tokens[ori]) for ori, state, oln in jobs]
    timings: dict[str, list[float]] = {"baseline": [], "switch": [], "exchange": []}
    for raw, token in messages[:500]:  # warm caches and statement compilation
        await switch.submit(raw, token)
    for serial in range(3):  # interleave so noise hits every path alike
        for _ori, state, oln in jobs:
            start = time.perf_counter()
            system.nodes[state].records.by_oln(oln)
            timings["baseline"].append(time.perf_counter() - start)
        for raw, token in messages:
            start = time.perf_counter()
            submission = await switch.submit(raw, token)
            timings["switch"].append(time.perf_counter() - start)
        assert submission.accepted
        if serial == 0:
            for raw, token in messages:
                start = time.perf_counter()
                await exchange.submit(raw, token)
                timings["exchange"].append(time.perf_counter() - start)
    # Many requests in flight at once, as a busy hub has: the ledger's group commit can then
    # make one durable write serve many answers.
    concurrent: list[float] = []
    timings["concurrent"], timings["elapsed"], timings["cpu"] = concurrent, [], []

    async def worker(pending: Iterator[tuple[str, str]]) -> None:
        for raw, token in pending:
            start = time.perf_counter()
            await switch.submit(raw, token)
            concurrent.append(time.perf_counter() - start)

    for _ in range(rounds):
        pending = iter(messages)
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(pending) for _ in range(IN_FLIGHT)))
        timings["elapsed"].append(time.perf_counter() - start)
        timings["cpu"].append(time.process_time() - cpu)  # every thread of the process
    system.close()
    return timings


def age_ledgers(config: Config, count: int) -> None:
    """Append ``count`` entries to every state's ledger, as a node that has served for a while
    has: a ledger's cost a request grows with it (docs/performance.md)."""
    from ledger import generate  # the ledger benchmark's entries; it hashes its subjects on import

    system = build(config)
    try:
        for state, node in system.nodes.items():
            for first in range(0, count, 5000):
                node.ledger.append(list(generate(min(5000, count - first), first, state)))
    finally:
        system.close()


def http_requests(jobs: list[tuple[str, str, str]], tokens: dict[str, str]) -> list[bytes]:
    return [
        loadgen.post(
            "/v1/messages",
            f"DQ.{ori}.{state}.TXT\nOLN/{oln}".encode(),
            {"Authorization": f"Bearer {tokens[ori]}", "Content-Type": "text/plain"},
        )
        for ori, state, oln in jobs
    ]


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU a process has used so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class HttpRun:
    latencies: list[float]
    cpu: float | None  # the server's CPU seconds a request
    machine: str  # where the machine's CPU time went meanwhile, if known


def http_round(
    server: subprocess.Popen[bytes], port: int, requests: list[bytes], rate: float
) -> HttpRun:
    """Drive ``server`` open-loop with ``requests`` at ``rate``."""
    before, machine = cpu_seconds(server.pid), machine_times()
    result = asyncio.run(loadgen.run("127.0.0.1", port, requests, rate))
    after, machine_after = cpu_seconds(server.pid), machine_times()
    assert result.statuses == {200: len(requests)}, result.statuses
    cpu = None if before is None or after is None else (after - before) / len(requests)
    return HttpRun(result.latencies, cpu, machine_share(machine, machine_after))


def machine_times() -> list[int] | None:
    """The machine's CPU time by kind since boot, from ``/proc/stat`` (Linux), else None."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    return [int(v) for v in first[1:9]]


def machine_share(before: list[int] | None, after: list[int] | None) -> str:
    """How the machine's CPUs spent the time between two readings: working, idle (waiting
    for the disk included), and stolen by the host for other guests."""
    if before is None or after is None:
        return ""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    user, nice, system, idle, iowait, irq, softirq, steal = spent
    total = sum(spent) or 1
    busy = user + nice + system + irq + softirq
    return f"busy {busy / total:.0%}, idle {(idle + iowait) / total:.0%}, host {steal / total:.0%}"


def serve(config: Config, port: int) -> subprocess.Popen[bytes]:
    """``stateline serve`` over ``config``'s data, once it answers."""
    env = dict(os.environ, STATELINE_DATA=str(config.data_dir))
    return started([sys.executable, "-m", "stateline", "serve", "--port", str(port)], env, port)


def serve_floor(port: int) -> subprocess.Popen[bytes]:
    """The same server stack with no exchange behind it (``floor.py``), once it answers."""
    floor = Path(__file__).with_name("floor.py")
    return started([sys.executable, str(floor), str(port)], dict(os.environ), port)


def started(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def report(
    name: str, timings: list[float], baseline: float | None = None, rate: float | None = None
) -> None:
    """One row: ``rate`` round trips a second (one at a time unless given), p50, p99."""
    median = statistics.median(timings) * 1000
    p99 = percentile(timings, 0.99) * 1000
    per_second = rate or len(timings) / sum(timings)
    ratio = f"{median / baseline:7.1f}x" if baseline else "   1.0x"
    print(f"{name:<34} {per_second:>10,.0f} {median:>9.3f} {p99:>9.3f} {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1000, help="people per jurisdiction")
    parser.add_argument("--count", type=int, default=5000, help="queries per in-process round")
    parser.add_argument("--rate", type=float, default=500, help="HTTP requests per second")
    parser.add_argument("--seconds", type=float, default=10, help="HTTP run length")
    parser.add_argument(
        "--rounds", type=int, default=3, help="in-flight and HTTP rounds (medians are reported)"
    )
    parser.add_argument("--data", type=Path, help="data directory to build or reuse")
    parser.add_argument(
        "--ledger-entries",
        type=int,
        default=0,
        help="entries to add to every state's ledger first, as after months of service",
    )
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    data = args.data or Path(tempfile.mkdtemp(prefix="stateline-bench-"))
    config = Config(data_dir=data)
    start = time.perf_counter()
    demo.prepare(config, args.people, seed=0)
    print(
        f"data: 51 jurisdictions x {args.people} people in {data} "
        f"({time.perf_counter() - start:.1f} s)"
    )
    if args.ledger_entries:
        start = time.perf_counter()
        age_ledgers(config, args.ledger_entries)
        print(
            f"ledgers: {args.ledger_entries:,} entries added to each "
            f"({time.perf_counter() - start:.1f} s)"
        )
    jobs = workload(config, args.people, 1, args.count)

    if hasattr(os, "sched_setaffinity"):  # one core, as the target says
        os.sched_setaffinity(0, {0})
    timings = asyncio.run(in_process(config, jobs, args.rounds))
    print("\nin-process, one core            round trips/s  p50 ms    p99 ms  p50 vs bare")
    base = statistics.median(timings["baseline"]) * 1000
    report("bare OLN lookup (baseline)", timings["baseline"])
    report("DQ->DR through the switch", timings["switch"], base)
    report("DQ->DR + message log + mailbox", timings["exchange"], base)
    rates = [len(jobs) / elapsed for elapsed in timings["elapsed"]]
    report(f"DQ->DR, {IN_FLIGHT} in flight", timings["concurrent"], base, statistics.median(rates))
    cpus = [cpu / len(jobs) * 1e6 for cpu in timings["cpu"]]
    busy = [cpu / elapsed for cpu, elapsed in zip(timings["cpu"], timings["elapsed"], strict=True)]
    print(
        f"  with {IN_FLIGHT} in flight the switch completes {statistics.median(rates):,.0f} "
        f"round trips/s, median of {plural(len(rates), 'round')} "
        f"({', '.join(f'{r:,.0f}' for r in rates)})"
    )
    print(
        f"  CPU {statistics.median(cpus):,.0f} us a round trip, busy "
        f"{statistics.median(busy):.0%} of the time (a shared machine's other load shows as less)"
    )

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    tokens = demo.load_tokens(config)
    total = int(args.rate * args.seconds)
    warm = http_requests(workload(config, args.people, 3, 500), tokens)
    floors: list[HttpRun] = []
    apis: list[HttpRun] = []
    servers = [serve_floor(args.port + 1), serve(config, args.port)]
    try:
        for port in (args.port + 1, args.port):
            asyncio.run(loadgen.run("127.0.0.1", port, warm, rate=250))
        for n in range(args.rounds):
            # The same requests at the same rate, to the bare server stack, then to the API:
            # alternated, so that the host's noise falls on both alike.
            requests = http_requests(workload(config, args.people, 10 + n, total), tokens)
            floors.append(http_round(servers[0], args.port + 1, requests, args.rate))
            apis.append(http_round(servers[1], args.port, requests, args.rate))
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    print(
        f"\nover HTTP, open loop at {args.rate:.0f} requests/s, {plural(args.rounds, 'round')} of "
        f"{args.seconds:.0f} s ({total} requests each), floor and API alternated"
    )
    print(f"{'':<34}   p50 ms    p99 ms    max ms  server CPU a request  the machine meanwhile")
    for n, (floor, api) in enumerate(zip(floors, apis, strict=True), 1):
        http_row(f"{n}: server stack alone (floor)", floor)
        http_row(f"{n}: DQ->DR through the API", api)
    floor_p99, api_p99 = (median_p99(runs) for runs in (floors, apis))
    print(
        f"  median p99: floor {floor_p99 * 1000:.2f} ms, API {api_p99 * 1000:.2f} ms "
        f"({api_p99 / floor_p99:.1f}x the floor's)"
    )
    floor_cpu, api_cpu = ([r.cpu for r in runs if r.cpu is not None] for runs in (floors, apis))
    if floor_cpu and api_cpu:
        print(
            f"  median server CPU a request: floor {statistics.median(floor_cpu) * 1e6:,.0f} us, "
            f"API {statistics.median(api_cpu) * 1e6:,.0f} us"
        )


def median_p99(runs: list[HttpRun]) -> float:
    return statistics.median(percentile(run.latencies, 0.99) for run in runs)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def http_row(name: str, run: HttpRun) -> None:
    cpu = f"{run.cpu * 1e6:>10,.0f} us" if run.cpu is not None else f"{'':>13}"
    print(
        f"{name:<34} {statistics.median(run.latencies) * 1000:>8.2f} "
        f"{percentile(run.latencies, 0.99) * 1000:>9.2f} {max(run.latencies) * 1000:>9.2f}"
        f" {cpu}    {run.machine}"
    )


if __name__ == "__main__":
    main()
