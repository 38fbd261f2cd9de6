"""What every command shares: the consoles and the data directory option."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # a message is one line, piped or not

DataDir = Annotated[
    Path | None,
    typer.Option("--data", help="Data directory (default: $STATELINE_DATA or ./stateline-data)."),
]
