"""``stateline alerts``: the abuse alerts of a node, raised from its ledger and listed."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich import box
from rich.table import Table

from stateline.cli.common import DataDir, console, errors
from stateline.config import Config

if TYPE_CHECKING:
    from stateline.storage.alerts import Alert


def alerts(
    state: Annotated[str, typer.Option("--state", help="The node's state code, e.g. NY.")],
    since: Annotated[
        str | None,
        typer.Option(
            help="Only alerts with evidence from this day (YYYY-MM-DD, the state's "
            "time) or time (RFC 3339) on."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    data: DataDir = None,
) -> None:
    """Raise the abuse alerts the node's ledger shows (with those a serving node raised as
    traffic arrived, each once) and list them, most recent first."""
    from stateline.bootstrap import ledger_prefix, open_hub, open_ledger_engine, open_node_engine
    from stateline.errors import StorageError
    from stateline.oversight.alert_settings import SettingsError, read_settings, settings_path
    from stateline.oversight.alerts import Detector
    from stateline.oversight.watch import catch_up
    from stateline.storage.alerts import AlertStore
    from stateline.storage.ledger.store import SqlLedgerStore

    config = Config.from_env(data)
    code = state.strip().upper()
    if code not in config.states:
        _fail(f"no node for state {state!r}")
    if not config.data_dir.is_dir():
        _fail(f"no data directory at {config.data_dir} (stateline demo makes one)")
    moment = _since(since, code)
    try:
        settings = read_settings(settings_path(config.data_dir, code))
    except SettingsError as error:
        _fail(str(error))
    hub, directory, log = open_hub(config)
    ledger_engine = open_ledger_engine(config, code)
    node_engine = open_node_engine(config, code)
    try:
        federal = {agency.ori for agency in directory.list("US")}
        ledger = SqlLedgerStore(ledger_engine, ledger_prefix(config, code))
        ledger.create_schema()
        store = AlertStore(node_engine)
        store.create_schema()
        detector = Detector(code, federal, settings)
        catch_up(ledger, detector, store, datetime.now(UTC), moment)
        found = store.list(moment)
    except StorageError as error:
        _fail(f"alerts of {code} could not be read: {error}")
    finally:
        log.close()
        hub.dispose()
        ledger_engine.dispose()
        node_engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps([alert.as_json() for alert in found], indent=1) + "\n")
        return
    _table(code, found)


def _fail(message: str) -> NoReturn:
    errors.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _since(value: str | None, state: str) -> datetime | None:
    """``--since``: a day starts at midnight in the state's time; a time needs its offset."""
    from stateline.node.deadlines import state_zone

    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=state_zone(state))
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        _fail(f"--since {value!r} is not a day (YYYY-MM-DD) or a time with its offset")
    return moment


def _table(state: str, found: list[Alert]) -> None:
    from stateline.node.deadlines import state_zone

    zone = state_zone(state)
    table = Table(title=f"{state}: {len(found)} alerts", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("last", "rule", "severity", "about", "count", "entries"):
        table.add_column(column, no_wrap=True)
    for alert in found:
        about = alert.ori or f"{(alert.subject or '')[:8]}…"  # a subject key's start
        first, last = alert.evidence[0], alert.evidence[-1]
        table.add_row(
            alert.last.astimezone(zone).strftime("%m-%d %H:%M"),
            alert.rule,
            alert.severity,
            about,
            str(alert.count),
            f"{first}…{last}",
        )
    console.print(table)
    console.print("About: the ORI, or the subject key looked up. --json lists every ledger index.")
