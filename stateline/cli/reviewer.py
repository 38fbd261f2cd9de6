"""``stateline reviewer``: the accounts of a state's reviewers and counsel."""

from __future__ import annotations

from typing import Annotated

import typer

from stateline.cli.common import DataDir, console, errors
from stateline.config import Config

app = typer.Typer(help="Review console accounts of a state's node.", no_args_is_help=True)


@app.command("add")
def reviewer_add(
    username: str,
    state: Annotated[str, typer.Option(help="The state whose node the account reviews for.")],
    role: Annotated[str, typer.Option(help="reviewer, counsel or admin.")] = "reviewer",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
    totp: Annotated[bool, typer.Option(help="Require a TOTP second factor.")] = False,
    data: DataDir = None,
) -> None:
    """Create a console account; with --totp, print the secret for the authenticator app."""
    import pyotp

    from stateline.bootstrap import open_node_engine
    from stateline.node.review import Role
    from stateline.storage.accounts import AccountStore

    config = Config.from_env(data)
    try:
        chosen = Role(role)
    except ValueError as error:
        errors.print(f"[red]unknown role {role}[/red]: reviewer, counsel or admin")
        raise typer.Exit(2) from error
    engine = open_node_engine(config, state.upper())
    accounts = AccountStore(engine)
    accounts.create_schema()
    secret = pyotp.random_base32() if totp else None
    try:
        accounts.create_account(username, password, chosen, totp_secret=secret)
    except Exception as error:
        errors.print(f"[red]cannot create {username}:[/red] {error}")
        raise typer.Exit(1) from error
    finally:
        engine.dispose()
    console.print(f"created {chosen.value} {username} for {state.upper()}")
    if secret is not None:
        console.print(f"TOTP secret (add it to the authenticator now): {secret}")
