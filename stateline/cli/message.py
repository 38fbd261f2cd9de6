"""``stateline message``: wire messages on the command line."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

app = typer.Typer(help="Wire messages.", no_args_is_help=True)


@app.command("parse")
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
