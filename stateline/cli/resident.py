"""``stateline resident``: access codes for the resident view, "who looked me up"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from stateline.cli.common import DataDir, errors
from stateline.config import Config
from stateline.wire.grammar import US_STATES

app = typer.Typer(help="The resident view: residents' access codes.", no_args_is_help=True)


def _state(value: str) -> str:
    """The state's code in capitals; any other value stops the command before it opens anything."""
    code = value.strip().upper()
    if code not in US_STATES:
        raise typer.BadParameter(
            f"{value!r} is not a state with a node: one of {', '.join(US_STATES)}"
        )
    return code


State = Annotated[
    str, typer.Option("--state", callback=_state, help="The state that issued the licence.")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(code)


@app.command("code")
def code(
    state: State,
    oln: Annotated[str, typer.Option("--oln", help="The resident's licence number.")],
    data: DataDir = None,
) -> None:
    """Issue a resident an access code to /resident and print it.

    The code holds 30 days and replaces any code issued before for the licence; the node keeps
    only a keyed hash of it.
    """
    from stateline.bootstrap import open_node_engine
    from stateline.errors import StorageError
    from stateline.ledger.entries import subject_key
    from stateline.ledger.keys import SUBJECT_KEY, KeyFileError, load
    from stateline.oversight.resident import normalise_oln
    from stateline.storage.records import SqlRecordStore
    from stateline.storage.resident import ResidentStore, code_digest, new_code
    from stateline.web.console.zones import local, zone_for

    licence = normalise_oln(oln)
    if licence is None:
        raise _fail("a licence number is 1 to 20 letters and digits", 2)
    config = Config.from_env(data)
    keys_dir = config.keys_dir / state
    if not (keys_dir / SUBJECT_KEY).exists():
        raise _fail(f"{state} has no node keys in {config.data_dir}: build the exchange first")
    try:
        secret = load(keys_dir).subject_secret
    except KeyFileError as error:
        raise _fail(f"cannot read {state}'s keys: {error}") from error
    now = datetime.now(UTC)
    engine = open_node_engine(config, state)
    try:
        if SqlRecordStore(engine).by_oln(licence) is None:
            raise _fail(f"{state}'s records hold no licence with that number: no code issued")
        subject = subject_key(secret, state, oln=licence)
        fresh = new_code()
        codes = ResidentStore(engine)
        codes.create_schema()
        codes.purge(now)
        issued = codes.issue(state, subject, code_digest(secret, subject, fresh), now)
    except StorageError as error:
        raise _fail(f"cannot reach {state}'s node database: {error}") from error
    finally:
        engine.dispose()
    typer.echo(fresh)  # alone on stdout, to be piped into a letter
    errors.print(
        f"valid until {local(issued.expires, zone_for(state))}; any earlier code of this "
        "licence no longer works",
        highlight=False,
    )
