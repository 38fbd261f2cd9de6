"""The ``stateline`` command: a thin skin over the same services the web uses."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stateline.config import Config

app = typer.Typer(help="Stateline: the interstate driver-data exchange.", no_args_is_help=True)
message_app = typer.Typer(help="Wire messages.", no_args_is_help=True)
agency_app = typer.Typer(help="The directory of agencies.", no_args_is_help=True)
app.add_typer(message_app, name="message")
app.add_typer(agency_app, name="agency")
console = Console()
errors = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data", help="Data directory (default: $STATELINE_DATA or ./stateline-data)."),
]


def main() -> None:
    app()


@message_app.command("parse")
def message_parse(
    json_input: Annotated[bool, typer.Option("--json", help="Read the JSON form.")] = False,
) -> None:
    """Read one message on standard input; print it as JSON (exit 0) or print its ER (exit 1)."""
    from stateline.wire import jsonform, text
    from stateline.wire.errors import Rejection

    raw = sys.stdin.read()
    parsed = jsonform.parse_json(raw) if json_input else text.parse(raw)
    if isinstance(parsed, Rejection):
        typer.echo(text.encode(text.error_message(parsed)))
        raise typer.Exit(1)
    typer.echo(json.dumps(jsonform.to_dict(parsed), indent=2))


def _directory(data: Path | None):  # type: ignore[no-untyped-def]
    from stateline.bootstrap import open_hub

    _engine, directory, _log = open_hub(Config.from_env(data))
    return directory


@agency_app.command("add")
def agency_add(
    ori: str,
    name: Annotated[str, typer.Option(help="Agency name.")],
    agency_type: Annotated[str, typer.Option("--type", help="Nlets agency type code, e.g. PD.")],
    home: Annotated[str, typer.Option(help="Home state code, or US for federal.")],
    mission: Annotated[list[str] | None, typer.Option(help="A mission (repeatable).")] = None,
    data: DataDir = None,
) -> None:
    """Add an agency to the directory and print its new credential (shown once)."""
    from stateline.directory.checks import check_agency
    from stateline.directory.model import Agency, AgencyStatus, AgencyType, Mission

    try:
        agency = Agency(
            ori=ori,
            name=name,
            agency_type=AgencyType(agency_type),
            home_state=home,
            missions=frozenset(Mission(m) for m in mission or ()),
            status=AgencyStatus.ACTIVE,
        )
    except ValueError as error:
        errors.print(f"[red]invalid agency:[/red] {error}")
        raise typer.Exit(2) from error
    problem = check_agency(agency)
    if problem is not None:
        errors.print(f"[red]invalid agency:[/red] {problem}")
        raise typer.Exit(2)
    directory = _directory(data)
    try:
        directory.add(agency)
    except Exception as error:
        errors.print(f"[red]cannot add {ori}:[/red] {error}")
        raise typer.Exit(1) from error
    token = directory.issue_credential(ori)
    console.print(f"added {ori}; credential (store it now, it is not shown again): {token}")


@agency_app.command("load")
def agency_load(
    file: Annotated[Path, typer.Argument(help="A directory file (JSON, see docs).")],
    data: DataDir = None,
) -> None:
    """Add every agency of a directory file, all or none; print each new credential."""
    from stateline.directory.file import DirectoryError, load_directory

    try:
        agencies = load_directory(file)
    except DirectoryError as error:
        errors.print(f"[red]invalid directory file:[/red] {error}")
        raise typer.Exit(2) from error
    directory = _directory(data)
    try:
        directory.add_many(agencies)
    except Exception as error:
        errors.print(f"[red]cannot load {file}:[/red] {error}")
        raise typer.Exit(1) from error
    for agency in agencies:
        console.print(f"{agency.ori} {directory.issue_credential(agency.ori)}", highlight=False)


@agency_app.command("export")
def agency_export(
    file: Annotated[Path, typer.Argument(help="Where to write the directory file.")],
    data: DataDir = None,
) -> None:
    """Write the whole directory to a directory file (no credentials)."""
    from stateline.directory.file import dump_directory

    agencies = _directory(data).list()
    dump_directory(agencies, file)
    console.print(f"wrote {len(agencies)} agencies to {file}")


@agency_app.command("list")
def agency_list(
    state: Annotated[str | None, typer.Option(help="Only agencies of this home state.")] = None,
    agency_type: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    data: DataDir = None,
) -> None:
    """List agencies in the directory."""
    from stateline.directory.model import AgencyType

    kind = AgencyType(agency_type) if agency_type else None
    table = Table("ORI", "name", "type", "home", "missions", "status")
    for agency in _directory(data).list(state=state, agency_type=kind):
        table.add_row(
            agency.ori,
            agency.name,
            agency.agency_type.value,
            agency.home_state,
            ", ".join(sorted(agency.missions)),
            agency.status.value,
        )
    console.print(table)


@agency_app.command("suspend")
def agency_suspend(ori: str, data: DataDir = None) -> None:
    """Suspend an agency: its messages are refused from now on."""
    try:
        _directory(data).suspend(ori)
    except Exception as error:
        errors.print(f"[red]cannot suspend {ori}:[/red] {error}")
        raise typer.Exit(1) from error
    console.print(f"suspended {ori}")


@agency_app.command("reinstate")
def agency_reinstate(ori: str, data: DataDir = None) -> None:
    """Reinstate a suspended agency."""
    try:
        _directory(data).reinstate(ori)
    except Exception as error:
        errors.print(f"[red]cannot reinstate {ori}:[/red] {error}")
        raise typer.Exit(1) from error
    console.print(f"reinstated {ori}")


@app.command()
def query(
    message: Annotated[str | None, typer.Argument(help="The message; '-' or none: stdin.")] = None,
    as_ori: Annotated[
        str | None, typer.Option("--as", help="Send as this agency (demo credentials).")
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="STATELINE_TOKEN", help="Credential.")] = None,
    url: Annotated[str | None, typer.Option(help="A running server; default: in-process.")] = None,
    json_form: Annotated[bool, typer.Option("--json", help="Send the JSON form.")] = False,
    data: DataDir = None,
) -> None:
    """Send a query as an agency and print the replies."""
    from stateline.demo import load_tokens
    from stateline.hub.switch import Form

    raw = message if message not in (None, "-") else sys.stdin.read()
    assert raw is not None
    raw = raw.replace("\\n", "\n")
    config = Config.from_env(data)
    if token is None and as_ori is not None:
        token = load_tokens(config).get(as_ori)
    form = Form.JSON if json_form else Form.TEXT
    if url is not None:
        import httpx

        headers = {"content-type": "application/json" if json_form else "text/plain"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        response = httpx.post(f"{url.rstrip('/')}/v1/messages", content=raw, headers=headers)
        body = response.json()
        replies, accepted = body.get("replies", []), body.get("accepted", False)
    else:
        from stateline.bootstrap import build
        from stateline.web.api import encode

        system = build(config)
        submission = asyncio.run(system.exchange.submit(raw, token, form))
        replies = [encode(reply, form) for reply in submission.replies]
        accepted = submission.accepted
        system.close()
    for reply in replies:
        console.print(
            reply if isinstance(reply, str) else json.dumps(reply, indent=2),
            markup=False,
            highlight=False,
        )
        console.print()
    raise typer.Exit(0 if accepted else 1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data: DataDir = None,
) -> None:
    """Serve the API over an existing data directory (made by ``stateline demo``)."""
    import uvicorn

    from stateline.bootstrap import build
    from stateline.web.app import create_app

    system = build(Config.from_env(data))
    console.print(f"Stateline API on http://{host}:{port}  (OpenAPI: /docs)")
    uvicorn.run(
        create_app(system.exchange, system.log),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@app.command()
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
    from stateline.bootstrap import build

    config = Config.from_env(data)
    console.print(
        f"Stateline demo: {len(config.states)} jurisdictions, {people} people each, "
        f"data in {config.data_dir}"
    )
    with _progress() as bar:
        tasks: dict[str, object] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)  # type: ignore[arg-type]

        demo_mod.prepare(config, people, seed, progress)
        system = build(config)
        agencies = system.directory.list()
        sent = list(demo_mod.traffic(config, people, seed, messages, agencies))
        tally = asyncio.run(
            demo_mod.replay(system.exchange, sent, demo_mod.load_tokens(config), progress)
        )
    _summary(tally, system.exchange.switch.counters)
    if serve_api:
        import uvicorn

        from stateline.web.app import create_app

        console.print(
            f"\nStateline API on http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)"
        )
        console.print(f"Agency credentials for the demo: {config.credentials_file}")
        uvicorn.run(
            create_app(system.exchange, system.log),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
        )
    system.close()


def _summary(tally, counters) -> None:  # type: ignore[no-untyped-def]
    table = Table(
        "message",
        "sent",
        "hits",
        "not on file",
        "denied",
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
            str(tally.not_on_file[kind]),
            str(tally.denied[kind]),
            str(tally.errors[kind]),
            str(tally.status[kind]),
            f"{statistics.median(latencies):.2f}",
            f"{p99:.2f}",
        )
    console.print(table)
    reasons = Table("ER reason", "count", title="Errors sent")
    for reason, count in sorted(tally.reasons.items()):
        reasons.add_row(reason, str(count))
    console.print(reasons)
