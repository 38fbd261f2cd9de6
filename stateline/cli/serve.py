"""``stateline serve`` and ``demo``: running the exchange, its console and its resident view,
and replaying the demo's traffic through it."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from stateline.cli.common import DataDir, busy_exit, console
from stateline.config import Config

if TYPE_CHECKING:
    from stateline.bootstrap import System
    from stateline.demo import Tally
    from stateline.node.review.timer import DeadlineTimer


def register(app: typer.Typer) -> None:
    """Add the commands that run the exchange to the top-level ``app``."""
    app.command()(serve)
    app.command()(demo)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    review_console: Annotated[
        str | None,
        typer.Option("--console", help="Serve this state's review console at /console."),
    ] = None,
    insecure_cookies: Annotated[
        bool, typer.Option(help="Console cookies over plain HTTP (local use only).")
    ] = False,
    data: DataDir = None,
) -> None:
    """Serve the API over an existing data directory (made by ``stateline demo``)."""
    from stateline.bootstrap import freeze_heap
    from stateline.web.app import server_app
    from stateline.web.console.router import console_router
    from stateline.web.console.views.dashboard import DashboardSource
    from stateline.web.resident import resident_router
    from stateline.web.server import serve as serve_app
    from stateline.web.witness import witness_router

    config = Config.from_env(data)
    system = _serving_system(config, "stateline serve")
    router = None
    if review_console is not None:
        node = system.nodes[review_console.upper()]
        assert node.review is not None
        title = f"{node.state} review console"
        router = console_router(
            node.review,
            system.accounts(node.state),
            system.alerts(node.state),
            title=title,
            state=node.state,
            secure_cookies=not insecure_cookies,
            outbox=node.notices.outbox if node.notices is not None else None,
            dashboard_source=DashboardSource(config, node.ledger),
        )
        console.print(f"{title}: http://{host}:{port}/console")
    _witness_every(system, config.checkpoint_interval)
    escalate_every(system, config.review_interval)
    system.follow_directory()
    hub_witness = None
    if system.hub_witness is not None:  # nodes elsewhere ask the hub to cosign over HTTP
        hub_witness = witness_router(system.hub_witness, system.logs())
    switch = system.exchange.switch  # its directory is replaced as the directory changes
    resident = resident_router(
        system.nodes, system.codes(), lambda ori: switch.directory.agencies.get(ori)
    )
    console.print(f"Who looked me up (residents): http://{host}:{port}/resident")
    freeze_heap()
    system.announce(_local_url(host, port))
    console.print(f"Stateline API on http://{host}:{port}  (OpenAPI: /docs)")
    serve_app(server_app(system.exchange, system.log, router, hub_witness, resident), host, port)


def _serving_system(config: Config, command: str) -> System:
    """The exchange for a command that serves or replays: it writes every ledger of the data
    directory, so it refuses to start beside another process that does."""
    from stateline.bootstrap import build
    from stateline.ledger.lock import Holder, LedgerBusy

    try:
        return build(config, Holder.this_process(command))
    except LedgerBusy as busy:
        raise busy_exit(busy) from busy


def _local_url(host: str, port: int) -> str:
    """Where commands on this machine reach a server listening on ``host``."""
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"


def _witness_every(system: System, seconds: float) -> None:
    """Publish checkpoints and have them cosigned every ``seconds``, beside the server."""
    import threading
    import time

    def rounds() -> None:
        while True:
            time.sleep(seconds)
            for refusal in system.witness_round(int(time.time())):
                # A refusal means a log no longer extends what its witness saw: say so loudly.
                console.print(f"[red]witness refusal: {refusal}[/red]")

    threading.Thread(target=rounds, name="witnessing", daemon=True).start()


def escalate_every(system: System, seconds: float) -> DeadlineTimer:
    """Escalate every node's overdue held requests every ``seconds``, beside the server."""
    from stateline.node.review.timer import DeadlineTimer

    services = [node.review for node in system.nodes.values() if node.review is not None]
    timer = DeadlineTimer(services, seconds)
    timer.start()
    return timer


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def demo(
    people: Annotated[int, typer.Option(help="People per jurisdiction.")] = 1000,
    messages: Annotated[int, typer.Option(help="Messages to replay.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 0,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API after the replay.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data: DataDir = None,
) -> None:
    """Build a national exchange on the embedded default, replay traffic, summarise, serve."""
    from stateline import demo as demo_mod
    from stateline.synthetic.traffic import traffic

    config = Config.from_env(data)
    console.print(
        f"Stateline demo: {len(config.states)} jurisdictions, {people} people each, "
        f"data in {config.data_dir}"
    )
    with _progress() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        demo_mod.prepare(config, people, seed, progress)
        system = _serving_system(config, "stateline demo")
        agencies = system.directory.list()
        sent = list(traffic(config, people, seed, messages, agencies))
        tally = asyncio.run(
            demo_mod.replay(system.exchange, sent, demo_mod.load_tokens(config), progress)
        )
    _summary(tally, system.exchange.switch.counters)
    if serve_api:
        from stateline.bootstrap import freeze_heap
        from stateline.web.app import server_app
        from stateline.web.resident import resident_router
        from stateline.web.server import serve as serve_app

        switch = system.exchange.switch  # its directory is replaced as the directory changes
        resident = resident_router(
            system.nodes, system.codes(), lambda ori: switch.directory.agencies.get(ori)
        )
        freeze_heap()
        system.follow_directory()
        system.announce(_local_url(host, port))
        console.print(
            f"\nStateline API on http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)"
        )
        console.print(f"Who looked me up (residents): http://{host}:{port}/resident")
        console.print(f"Agency credentials for the demo: {config.credentials_file}")
        serve_app(server_app(system.exchange, system.log, resident=resident), host, port)
    system.close()


def _summary(tally: Tally, counters: Counter[str]) -> None:
    table = Table(
        "message",
        "sent",
        "hits",
        "withheld in part",
        "not on file",
        "denied",
        "held",
        "ER",
        "SM",
        "p50 ms",
        "p99 ms",
        title="Replayed traffic",
    )
    for kind in sorted(tally.sent):
        latencies = sorted(tally.latency_ms[kind])
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        table.add_row(
            kind,
            str(tally.sent[kind]),
            str(tally.hits[kind]),
            str(tally.withheld[kind]),
            str(tally.not_on_file[kind]),
            str(tally.denied[kind]),
            str(tally.held[kind]),
            str(tally.errors[kind]),
            str(tally.status[kind]),
            f"{statistics.median(latencies):.2f}",
            f"{p99:.2f}",
        )
    console.print(table)
    outcomes = ("released", "withheld", "denied", "held", "not on file")
    by_state = Table("state", *outcomes, title="Answers by state (all requesters)")
    states = sorted({state for state, _who, _outcome in tally.by_state})
    for state in states:
        counts = [
            sum(n for (s, _w, o), n in tally.by_state.items() if s == state and o == name)
            for name in outcomes
        ]
        by_state.add_row(state, *(str(n) for n in counts))
    if states:
        console.print(by_state)
    senders = Table("sent by", "messages", title="Senders")
    for kind, count in sorted(tally.senders.items()):
        senders.add_row(f"{kind} agencies", str(count))
    console.print(senders)
    reasons = Table("ER reason", "count", title="Errors sent")
    for reason, count in sorted(tally.reasons.items()):
        reasons.add_row(reason, str(count))
    console.print(reasons)
