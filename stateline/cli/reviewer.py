"""``stateline reviewer``: the console accounts of a state's reviewers, counsel, admins and
auditors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from stateline.cli.common import DataDir, console, errors
from stateline.config import Config
from stateline.wire.grammar import US_STATES

if TYPE_CHECKING:
    from stateline.storage.accounts import AccountStore

app = typer.Typer(help="Review console accounts of a state's node.", no_args_is_help=True)


def _state(value: str) -> str:
    """The state's code in capitals; any other value stops the command before it opens anything."""
    code = value.strip().upper()
    if code not in US_STATES:
        raise typer.BadParameter(
            f"{value!r} is not a state with a node: one of {', '.join(US_STATES)}"
        )
    return code


State = Annotated[
    str,
    typer.Option(
        "--state", callback=_state, help="The state whose node the account reviews for, e.g. NY."
    ),
]
Password = Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)]


@contextmanager
def _accounts(data: Path | None, state: str) -> Iterator[AccountStore]:
    """The accounts in the state's node database, closed when the command is done."""
    from stateline.bootstrap import open_node_engine
    from stateline.storage.accounts import AccountStore

    engine = open_node_engine(Config.from_env(data), state)
    try:
        accounts = AccountStore(engine)
        accounts.create_schema()
        yield accounts
    finally:
        engine.dispose()


def _fail(message: str, error: Exception | None = None) -> typer.Exit:
    errors.print(f"[red]{message}[/red]" + (f" {error}" if error is not None else ""))
    return typer.Exit(1)


@app.command("add")
def reviewer_add(
    username: str,
    state: State,
    role: Annotated[
        str, typer.Option(help="reviewer, counsel, admin or auditor (reads only).")
    ] = "reviewer",
    password: Password = "",
    totp: Annotated[bool, typer.Option(help="Require a TOTP second factor.")] = False,
    data: DataDir = None,
) -> None:
    """Create a console account; with --totp, print the secret for the authenticator app."""
    import pyotp

    from stateline.node.review.model import Role

    try:
        chosen = Role(role)
    except ValueError as error:
        errors.print(f"[red]unknown role {role}[/red]: reviewer, counsel, admin or auditor")
        raise typer.Exit(2) from error
    secret = pyotp.random_base32() if totp else None
    with _accounts(data, state) as accounts:
        try:
            accounts.create_account(username, password, chosen, totp_secret=secret)
        except Exception as error:
            raise _fail(f"cannot create {username}:", error) from error
    console.print(f"created {chosen.value} {username} for {state}")
    if secret is not None:
        console.print(f"TOTP secret (add it to the authenticator now): {secret}")


@app.command("list")
def reviewer_list(state: State, data: DataDir = None) -> None:
    """List the node's console accounts: role, TOTP, disabled, last sign-in, locked until
    (times on the state's clock)."""
    from stateline.web.console.zones import local, zone_for

    zone = zone_for(state)
    with _accounts(data, state) as accounts:
        statuses = accounts.list_accounts()
    if not statuses:
        console.print(
            f"{state} has no console account (stateline reviewer add ... --state {state})"
        )
        return

    def shown(moment: datetime | None) -> str:
        return local(moment, zone) if moment is not None else "-"

    # No borders: six columns of a few words fit an 80-column terminal unwrapped.
    columns = ("username", "role", "TOTP", "disabled", "last sign-in", "locked until")
    table = Table(*columns, box=None, pad_edge=False)
    for status in statuses:
        account = status.account
        table.add_row(
            account.username,
            account.role.value,
            "on" if account.totp else "off",
            "yes" if account.disabled else "no",
            shown(status.last_signin),
            shown(status.locked_until),
        )
    console.print(table)


def _set_disabled(username: str, state: str, data: Path | None, disabled: bool) -> None:
    from stateline.storage.accounts import AccountError

    with _accounts(data, state) as accounts:
        try:
            accounts.set_disabled(username, disabled)
        except AccountError as error:
            raise _fail(
                f"cannot {'disable' if disabled else 'enable'} {username}:", error
            ) from error
    done = "disabled (its sessions ended)" if disabled else "enabled"
    console.print(f"{username} of {state} {done}")


@app.command("disable")
def reviewer_disable(username: str, state: State, data: DataDir = None) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end."""
    _set_disabled(username, state, data, True)


@app.command("enable")
def reviewer_enable(username: str, state: State, data: DataDir = None) -> None:
    """Enable a disabled account again."""
    _set_disabled(username, state, data, False)


@app.command("reset")
def reviewer_reset(
    username: str,
    state: State,
    password: Password = "",
    totp: Annotated[
        bool, typer.Option(help="Give the account a new TOTP secret (and print it).")
    ] = False,
    data: DataDir = None,
) -> None:
    """Set a new password, end the account's sessions and clear its sign-in lockout; with
    --totp, a new TOTP secret too."""
    import pyotp

    from stateline.storage.accounts import AccountError

    secret = pyotp.random_base32() if totp else None
    with _accounts(data, state) as accounts:
        try:
            accounts.reset(username, password, totp_secret=secret)
        except AccountError as error:
            raise _fail(f"cannot reset {username}:", error) from error
    console.print(f"{username} of {state}: new password set, sessions ended, lockout cleared")
    if secret is not None:
        console.print(f"TOTP secret (add it to the authenticator now): {secret}")
