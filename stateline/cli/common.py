"""What every command shares: the consoles, the data directory option, and the error for a
ledger another process writes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from stateline.ledger.lock import LedgerBusy

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # a message is one line, piped or not

DataDir = Annotated[
    Path | None,
    typer.Option("--data", help="Data directory (default: $STATELINE_DATA or ./stateline-data)."),
]


def busy_exit(busy: LedgerBusy) -> typer.Exit:
    """The error for a command that would write ledgers another process writes."""
    who = busy.holder.describe() if busy.holder is not None else "another process"
    through = " (queries can go through it: --url)" if busy.holder and busy.holder.url else ""
    errors.print(
        f"[red]{who} writes this data directory's ledgers[/red]: one process writes them at a "
        f"time; stop it first{through}",
        highlight=False,
    )
    return typer.Exit(1)
