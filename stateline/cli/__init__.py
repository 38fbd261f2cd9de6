"""The ``stateline`` command: a thin skin over the same services the web uses.

Each module holds one group of commands (``message``, ``agency``, ``ledger``, ``policy``,
``reviewer``, ``notices``, ``report``, and the exchange's ``query``, ``serve`` and ``demo``);
commands parse arguments, call a service and print with Rich.
"""

from __future__ import annotations

import typer

import stateline.cli.alerts as alerts
import stateline.cli.simulate as simulate
from stateline.cli import (
    agency,
    exchange,
    ledger,
    message,
    notices,
    policy,
    report,
    resident,
    reviewer,
    serve,
)
from stateline.cli.common import errors
from stateline.config import ConfigError

app = typer.Typer(help="Stateline: the interstate driver-data exchange.", no_args_is_help=True)
app.add_typer(message.app, name="message")
app.add_typer(agency.app, name="agency")
app.add_typer(ledger.app, name="ledger")
app.add_typer(policy.app, name="policy")
app.add_typer(reviewer.app, name="reviewer")
app.add_typer(notices.app, name="notices")
app.add_typer(report.app, name="report")
app.command("alerts")(alerts.alerts)
app.add_typer(simulate.app, name="simulate")
app.add_typer(resident.app, name="resident")
exchange.register(app)
serve.register(app)


def main() -> None:
    try:
        app()
    except ConfigError as error:  # before the command did anything: say what to fix
        errors.print(f"[red]configuration:[/red] {error}", highlight=False)
        raise SystemExit(2) from None
