"""``stateline report``: what the ledgers tell the public: the counts a state's law asks for,
and the transparency report over the analytical copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from stateline.cli.common import DataDir, console, errors
from stateline.config import Config
from stateline.oversight.transparency import json_value, section_json

app = typer.Typer(help="Reports from the ledgers: transparency, the counts the law asks for.")


@app.command("annual")
def annual(
    state: Annotated[str, typer.Option("--state", help="The node's state code, e.g. CO.")],
    year: Annotated[
        int | None, typer.Option(help="The state's calendar year (default: this year).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    data: DataDir = None,
) -> None:
    """Count the requests whose decision carried the annual-report duty in one year, by
    outcome and by requester."""
    from stateline.bootstrap import ledger_prefix, open_ledger_engine
    from stateline.oversight.annual import count_annual
    from stateline.storage.ledger.store import SqlLedgerStore

    config = Config.from_env(data)
    code = state.upper()
    chosen = year if year is not None else datetime.now(UTC).year
    engine = open_ledger_engine(config, code)
    try:
        store = SqlLedgerStore(engine, ledger_prefix(config, code))
        store.create_schema()
        rows = (row for chunk in store.stream_entries(store.end()) for row in chunk)
        count = count_annual(rows, code, chosen)
    finally:
        engine.dispose()
    if as_json:
        console.print_json(json.dumps(count.as_json()))
        return
    console.print(f"{code} {chosen}: {count.total} requests counted for the annual report")
    for title, values in (("outcome", count.by_outcome), ("requester", count.by_requester)):
        if values:
            table = Table(title, "requests")
            for name, number in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
                table.add_row(name, str(number))
            console.print(table)
    if count.unreadable:
        console.print(
            f"[yellow]{count.unreadable} entries were removed by retention: "
            "the count may be low[/yellow]"
        )


FORMATS = ("table", "json", "csv", "parquet", "html")


def _states(config: Config, state: list[str] | None, all_states: bool) -> tuple[str, ...]:
    """The states a command covers: those named, or every configured one with --all-states."""
    from stateline.wire.grammar import US_STATES

    if all_states == bool(state):
        errors.print("[red]give --state XX (repeatable) or --all-states[/red]")
        raise typer.Exit(2)
    if all_states:
        return tuple(config.states)
    chosen = tuple(dict.fromkeys(s.upper() for s in state or ()))
    unknown = [s for s in chosen if s not in US_STATES]
    if unknown:
        errors.print(f"[red]no such state: {', '.join(unknown)}[/red]")
        raise typer.Exit(2)
    return chosen


def _data_dir(config: Config) -> None:
    """Refuse a data directory with no exchange in it, before anything is written there."""
    if not (config.data_dir / "hub.sqlite").exists() and config.database_url is None:
        errors.print(
            f"[red]no exchange in {config.data_dir}[/red]: run `stateline demo` (or give --data)"
        )
        raise typer.Exit(1)


def _refresh(config: Config, states: tuple[str, ...], quiet: bool) -> list[Any]:
    """Bring the analytical copy of ``states`` up to date, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from stateline.bootstrap import StoreSources
    from stateline.oversight.copy import export
    from stateline.oversight.parts import CopyError, default_dir

    columns = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=errors, transient=True, disable=quiet) as bar:
        task = bar.add_task("ledgers", total=len(states))
        entries = bar.add_task("entries", total=None)

        def progress(state: str, done: int, total: int) -> None:
            bar.update(entries, description=f"{state} entries", completed=done, total=total)

        added = []
        sources, out = StoreSources(config), default_dir(config)
        try:
            for state in states:
                added += export(sources, [state], out, progress=progress)
                bar.advance(task)
        except CopyError as error:
            errors.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from error
    return added


@app.command("refresh")
def refresh(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="This state's ledger; repeatable.")
    ] = None,
    all_states: Annotated[bool, typer.Option("--all-states", help="Every state's.")] = False,
    data: DataDir = None,
) -> None:
    """Bring the analytical copy (<data>/analytics, Parquet for DuckDB) up to date with the
    ledgers: only what they gained since the last refresh is read. Runs beside a server."""
    config = Config.from_env(data)
    states = _states(config, state, all_states)
    _data_dir(config)
    added = _refresh(config, states, quiet=False)
    console.print(
        f"analytical copy of {len(states)} ledgers: {sum(a.entries for a in added):,} entries "
        f"read, {sum(a.rows for a in added):,} rows added"
    )


@app.command("transparency")
def transparency(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="This state; repeatable.")
    ] = None,
    all_states: Annotated[
        bool, typer.Option("--all-states", help="Every state: the hub's national view.")
    ] = False,
    start: Annotated[
        str | None, typer.Option("--from", help="First day, ccyy-mm-dd (UTC).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, ccyy-mm-dd (UTC).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, json, csv, parquet (the rows) or html.")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here (html and parquet need it).")
    ] = None,
    top: Annotated[int, typer.Option(help="Agencies listed by name.", min=1)] = 50,
    data: DataDir = None,
) -> None:
    """Who asked for what, how each request was decided and what left: requests by requester
    category and agency, message key, purpose, legal process, outcome, data classes and time;
    federal immigration requests in a section of their own; review workload and notices.
    Every figure is read from the ledgers (through the analytical copy, refreshed first)."""
    from stateline.oversight.copy import connect
    from stateline.oversight.parts import CopyError, default_dir
    from stateline.oversight.transparency import ReportError, Scope
    from stateline.oversight.transparency import transparency as build

    config = Config.from_env(data)
    if fmt not in FORMATS:
        errors.print(f"[red]--format is one of {', '.join(FORMATS)}, not {fmt}[/red]")
        raise typer.Exit(2)
    if fmt in ("html", "parquet") and out is None:
        errors.print(f"[red]--format {fmt} writes a file: give --out FILE[/red]")
        raise typer.Exit(2)
    states = _states(config, state, all_states)
    try:
        scope = Scope(None if all_states else states, _day(start, "--from"), _day(end, "--to"))
    except ReportError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    _data_dir(config)
    _refresh(config, states, quiet=fmt != "table")
    title = _title(states, all_states)
    try:
        db = connect(default_dir(config))
        alerts = _raised(config, states)
        report = build(db, scope, datetime.now(UTC).date(), title, top, alerts)
    except CopyError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    if fmt == "table":
        _print_report(report)
    elif fmt == "parquet":
        assert out is not None
        _rows_to(db, scope, out)
        console.print(f"wrote the rows behind the report to {out}")
    else:
        text = (
            _as_json(report)
            if fmt == "json"
            else _as_csv(report)
            if fmt == "csv"
            else _as_html(report, config, states, all_states)
        )
        if out is None:
            typer.echo(text, nl=False)
        else:
            _write(out, text)
            console.print(f"wrote the {fmt} report to {out}")
    db.close()


def _raised(config: Config, states: tuple[str, ...]) -> list[Any]:
    """The abuse alerts the states' nodes have raised (stateline alerts)."""
    from stateline.bootstrap import open_node_engine
    from stateline.errors import StorageError
    from stateline.storage.alerts import AlertStore

    raised: list[Any] = []
    for state in states:
        engine = open_node_engine(config, state)
        try:
            store = AlertStore(engine)
            store.create_schema()
            raised += store.list()
        except StorageError as error:
            errors.print(f"[yellow]the alerts of {state} cannot be read: {error}[/yellow]")
        finally:
            engine.dispose()
    return raised


def _day(value: str | None, option: str) -> Any:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        errors.print(f"[red]{option} must be a date, ccyy-mm-dd:[/red] {value}")
        raise typer.Exit(2) from error


def _title(states: tuple[str, ...], all_states: bool) -> str:
    from stateline.directory.states import STATE_NAMES

    if all_states:
        return "Transparency report: the national exchange"
    return "Transparency report: " + ", ".join(STATE_NAMES.get(s, s) for s in states)


def _write(out: Path, text: str) -> None:
    """Write ``text`` whole, or not at all."""
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(out)


def _print_report(report: Any) -> None:
    console.print(f"[bold]{report.title}[/bold]")
    for section in report.sections:
        table = Table(*section.columns, title=section.title, title_justify="left")
        for row in section.rows:
            table.add_row(*(_text(cell) for cell in row))
        console.print(table)
        if section.note:
            console.print(f"  {section.note}", style="dim")


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, list | tuple):
        return ", ".join(str(c) for c in cell)
    if isinstance(cell, int):
        return f"{cell:,}"
    return str(cell)


def _as_json(report: Any) -> str:
    scope = report.scope
    document = {
        "title": report.title,
        "states": list(scope.states) if scope.states else "all",
        "from": scope.start.isoformat() if scope.start else None,
        "to": scope.end.isoformat() if scope.end else None,
        "period": report.period,
        "sections": {s.name: section_json(s) for s in report.sections},
    }
    return json.dumps(document, indent=2) + "\n"


def _as_csv(report: Any) -> str:
    """Long form, one figure a line: section, the row's label, the column, the value."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "label", "measure", "value"))
    for s in report.sections:
        labelled = s.name not in ("summary", "review", "notices")
        for row in s.rows:
            label = _text(row[0]) if labelled else ""
            for column, cell in list(zip(s.columns, row, strict=True))[1 if labelled else 0 :]:
                writer.writerow((s.name, label, column, _text(json_value(cell))))
    return buffer.getvalue()


def _as_html(report: Any, config: Config, states: tuple[str, ...], all_states: bool) -> str:
    from stateline.oversight.html import render
    from stateline.oversight.parts import default_dir, signed_heads

    heads = signed_heads(default_dir(config), states)
    covers = f"All {len(states)} jurisdictions" if all_states else ", ".join(states)
    return render(report, covers, heads, datetime.now(UTC))


def _rows_to(db: Any, scope: Any, out: Path) -> None:
    """The rows behind the report, each with its ledger indexes, as Parquet: whole or not at
    all."""
    where, values = scope.where()
    temporary = out.with_name(out.name + ".tmp")
    db.execute(
        f"COPY (SELECT * FROM requests_full WHERE {where} ORDER BY state, request_index) "
        f"TO '{temporary}' (FORMAT parquet)",
        values,
    )
    temporary.replace(out)


@app.command("public")
def public(
    epsilon: Annotated[
        float,
        typer.Option(
            "--epsilon",
            help="The privacy-loss budget the figures about people spend in all, e.g. 1.0.",
        ),
    ],
    state: Annotated[
        list[str] | None, typer.Option("--state", help="This state; repeatable.")
    ] = None,
    all_states: Annotated[
        bool, typer.Option("--all-states", help="Every state: the national figures.")
    ] = False,
    year: Annotated[
        int | None,
        typer.Option(help="The calendar year, UTC (default: this year).", min=1970, max=9999),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write FILE.html or FILE.json (else a table).")
    ] = None,
    data: DataDir = None,
) -> None:
    """Statistics a state can publish as is: requests by requester category and by agency,
    exact (agencies are not people), and the people looked up, with differential privacy
    (OpenDP, the budget split across the figures, 95% intervals, small figures suppressed)."""
    from stateline.bootstrap import StoreSources
    from stateline.errors import StorageError
    from stateline.oversight.parts import CopyError, default_dir
    from stateline.oversight.privacy import PrivacyError, split
    from stateline.oversight.public import FIGURES, build
    from stateline.oversight.public_page import as_text, render

    config = Config.from_env(data)
    states = _states(config, state, all_states)
    try:
        budget = split(epsilon, len(FIGURES))
    except PrivacyError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    kind = out.suffix.lower() if out is not None else None
    if out is not None and kind not in (".html", ".json"):
        errors.print(f"[red]--out names a .html or .json file, not {out.name}[/red]")
        raise typer.Exit(2)
    if out is not None and not out.parent.is_dir():
        errors.print(f"[red]no folder {out.parent} to write {out.name} in[/red]")
        raise typer.Exit(2)
    _data_dir(config)
    _refresh(config, states, quiet=out is not None)
    chosen = year if year is not None else datetime.now(UTC).year
    place = "the national exchange" if all_states else ", ".join(map(_state_name, states))
    covers = f"All {len(states)} jurisdictions" if all_states else ", ".join(states)
    try:
        release = build(
            StoreSources(config),
            default_dir(config),
            None if all_states else states,
            chosen,
            budget,
            f"Public statistics: {place}, {chosen}",
            covers,
            datetime.now(UTC),
        )
    except (CopyError, StorageError) as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    if out is None:
        _print_public(release)
        return
    _write(out, render(release) if kind == ".html" else as_text(release))
    console.print(f"wrote the public statistics to {out}")


def _state_name(state: str) -> str:
    from stateline.directory.states import STATE_NAMES

    return STATE_NAMES.get(state, state)


def _print_public(release: Any) -> None:
    from stateline.oversight.privacy import statement
    from stateline.oversight.public import UNIT
    from stateline.oversight.public_page import figures

    said = statement(release.budget, UNIT)
    console.print(f"[bold]{release.title}[/bold]")
    console.print(
        f"People are protected with differential privacy: epsilon {said['epsilon']} in all, "
        f"split equally across {said['figures']} figures (OpenDP's account: {said['spent']:.6g}); "
        f"{said['mechanism']}; {said['contribution_bound']}; 95% intervals; {said['threshold']}."
    )
    people = Table("figure", "people", "95% interval", "epsilon", title="People looked up")
    for figure in figures(release):
        shown = (
            ("0", f"none: {figure['why_none']}")
            if figure["none"]
            else ("too few to publish", "")
            if figure["suppressed"]
            else (f"{figure['value']:,}", f"{figure['low']:,} to {figure['high']:,}")
        )
        people.add_row(figure["title"], *shown, f"{figure['epsilon']:.4g}")
    console.print(people)
    for section in release.requests:
        table = Table(*section.columns, title=f"{section.title} (exact)", title_justify="left")
        for row in section.rows:
            table.add_row(*(_text(cell) for cell in row))
        console.print(table)
