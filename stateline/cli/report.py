"""``stateline report``: the public counts a state's law asks for, read from its ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from stateline.cli.common import DataDir, console
from stateline.config import Config

app = typer.Typer(help="Reports from a node's ledger: the counts the law asks for.")


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
    from stateline.storage.ledger import LedgerStore

    config = Config.from_env(data)
    code = state.upper()
    chosen = year if year is not None else datetime.now(UTC).year
    engine = open_ledger_engine(config, code)
    try:
        store = LedgerStore(engine, ledger_prefix(config, code))
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
