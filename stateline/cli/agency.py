"""``stateline agency``: the directory of agencies."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stateline.cli.common import DataDir, console, errors
from stateline.config import Config
from stateline.storage.directory import DirectoryStore

app = typer.Typer(help="The directory of agencies.", no_args_is_help=True)


def _directory(data: Path | None) -> DirectoryStore:
    from stateline.bootstrap import open_hub

    _engine, directory, _log = open_hub(Config.from_env(data))
    return directory


@app.command("add")
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


@app.command("load")
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


@app.command("export")
def agency_export(
    file: Annotated[Path, typer.Argument(help="Where to write the directory file.")],
    data: DataDir = None,
) -> None:
    """Write the whole directory to a directory file (no credentials)."""
    from stateline.directory.file import dump_directory

    agencies = _directory(data).list()
    dump_directory(agencies, file)
    console.print(f"wrote {len(agencies)} agencies to {file}")


@app.command("list")
def agency_list(
    state: Annotated[str | None, typer.Option(help="Only agencies of this home state.")] = None,
    agency_type: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    data: DataDir = None,
) -> None:
    """List agencies in the directory."""
    from stateline.directory.model import AgencyType

    kind = AgencyType(agency_type) if agency_type else None
    table = Table("ORI", "name", "type", "home", "missions", "status", "certified with")
    for agency in _directory(data).list(state=state, agency_type=kind):
        table.add_row(
            agency.ori,
            agency.name,
            agency.agency_type.value,
            agency.home_state,
            ", ".join(sorted(agency.missions)),
            agency.status.value,
            ", ".join(
                c.state + (f" to {c.expires.isoformat()}" if c.expires else "")
                for c in agency.certifications
            ),
        )
    console.print(table)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        errors.print(f"[red]{option} must be a date, ccyy-mm-dd:[/red] {value}")
        raise typer.Exit(2) from error


@app.command("certify")
def agency_certify(
    ori: str,
    state: Annotated[str, typer.Option(help="The state the certification is filed with.")],
    filed: Annotated[
        str | None, typer.Option(help="When it was signed, ccyy-mm-dd (default: today).")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="First day it no longer holds, ccyy-mm-dd (default: until withdrawn)."),
    ] = None,
    data: DataDir = None,
) -> None:
    """File the use certification an agency signed for a state's law (renews one on file).

    The state's policy reads it as "certification on file" for that agency's requests while it
    is current: e.g. Colorado's yearly certification of no immigration-enforcement use.
    """
    from stateline.directory.model import Certification

    signed = _day(filed, "--filed") or date.today()
    certification = Certification(state.upper(), signed, _day(expires, "--expires"))
    try:
        agency = _directory(data).certify(ori, certification)
    except Exception as error:
        errors.print(f"[red]cannot certify {ori}:[/red] {error}")
        raise typer.Exit(1) from error
    states = ", ".join(c.state for c in agency.certifications)
    console.print(f"certification of {ori} on file with {certification.state}; all: {states}")


@app.command("decertify")
def agency_decertify(
    ori: str,
    state: Annotated[str, typer.Option(help="The state to withdraw the certification from.")],
    data: DataDir = None,
) -> None:
    """Withdraw an agency's use certification with a state."""
    try:
        withdrawn = _directory(data).withdraw_certification(ori, state.upper())
    except Exception as error:
        errors.print(f"[red]cannot decertify {ori}:[/red] {error}")
        raise typer.Exit(1) from error
    if not withdrawn:
        errors.print(f"{ori} has no certification on file with {state.upper()}")
        raise typer.Exit(1)
    console.print(f"withdrew the certification of {ori} with {state.upper()}")


def _set_status(ori: str, data: Path | None, suspend: bool) -> None:
    verb = "suspend" if suspend else "reinstate"
    directory = _directory(data)
    try:
        directory.suspend(ori) if suspend else directory.reinstate(ori)
    except Exception as error:
        errors.print(f"[red]cannot {verb} {ori}:[/red] {error}")
        raise typer.Exit(1) from error
    done = "suspended" if suspend else "reinstated"
    console.print(f"{done} {ori} (a running server applies it within a second)")


@app.command("suspend")
def agency_suspend(ori: str, data: DataDir = None) -> None:
    """Suspend an agency: its messages are refused from now on."""
    _set_status(ori, data, suspend=True)


@app.command("reinstate")
def agency_reinstate(ori: str, data: DataDir = None) -> None:
    """Reinstate a suspended agency."""
    _set_status(ori, data, suspend=False)
