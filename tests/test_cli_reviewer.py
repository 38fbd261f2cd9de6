"""``stateline reviewer``: add, list, disable, enable and reset console accounts, as an
administrator runs them, over a real node database in a temporary data directory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
from click.testing import Result
from typer.testing import CliRunner

from stateline.cli import app
from stateline.config import Config
from stateline.storage.accounts import AccountStore, AuthenticationFailed, SignInLocked

runner = CliRunner()

PASSWORD = "a long passphrase"
NEW_PASSWORD = "another long passphrase"
COMMANDS = (
    ["list"],
    ["disable", "rita"],
    ["enable", "rita"],
    ["reset", "rita"],
    ["add", "rita"],
)


@contextmanager
def node_accounts(data: Path, state: str = "NY") -> Iterator[AccountStore]:
    from stateline.bootstrap import open_node_engine

    engine = open_node_engine(Config(data_dir=data), state)
    try:
        yield AccountStore(engine)
    finally:
        engine.dispose()


def reviewer(data: Path, *args: str, typed: str = "") -> Result:
    return runner.invoke(app, ["reviewer", *args, "--data", str(data)], input=typed)


def add(data: Path, name: str, *more: str) -> None:
    done = reviewer(data, "add", name, "--state", "NY", *more, typed=f"{PASSWORD}\n" * 2)
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_unknown_state_is_refused_and_nothing_is_created(
    tmp_path: Path, command: list[str]
) -> None:
    data = tmp_path / "data"
    result = reviewer(data, *command, "--state", "ZZ", typed=f"{PASSWORD}\n" * 2)
    assert result.exit_code == 2, result.output
    assert "'ZZ' is not a state with a node" in result.output
    assert "Password" not in result.output  # refused before asking for anything
    assert not data.exists()


def test_a_state_code_in_any_case(tmp_path: Path) -> None:
    done = reviewer(tmp_path, "add", "rita", "--state", "ny", typed=f"{PASSWORD}\n" * 2)
    assert done.exit_code == 0, done.output
    assert "created reviewer rita for NY" in done.output
    assert (tmp_path / "nodes" / "NY.sqlite").exists()


def rows(output: str) -> dict[str, list[str]]:
    """The table ``reviewer list`` prints, as cells by username."""
    lines = [re.split(r"\s{2,}", line.strip()) for line in output.splitlines() if line.strip()]
    assert lines[0] == ["username", "role", "TOTP", "disabled", "last sign-in", "locked until"]
    return {cells[0]: cells[1:] for cells in lines[1:]}


def test_list_shows_role_totp_disabled_last_sign_in_and_lock(tmp_path: Path) -> None:
    empty = reviewer(tmp_path, "list", "--state", "NY")
    assert empty.exit_code == 0 and "NY has no console account" in empty.output
    add(tmp_path, "rita", "--role", "counsel", "--totp")
    add(tmp_path, "sam")
    with node_accounts(tmp_path) as accounts:
        accounts.set_disabled("rita", True)
        accounts.authenticate("sam", PASSWORD, now=datetime(2026, 1, 15, 14, 5, tzinfo=UTC))
        for _ in range(5):
            with pytest.raises(AuthenticationFailed):
                accounts.authenticate("sam", "a wrong password")
        [until] = [s.locked_until for s in accounts.list_accounts() if s.locked_until]
    listed = reviewer(tmp_path, "list", "--state", "NY")
    assert listed.exit_code == 0, listed.output
    # Times on New York's clock: sam signed in at 09:05 Eastern, and is locked for now.
    locked = until.astimezone(ZoneInfo("America/New_York"))
    assert rows(listed.output) == {
        "rita": ["counsel", "on", "yes", "-", "-"],
        "sam": ["reviewer", "off", "no", "2026-01-15 09:05 EST", f"{locked:%Y-%m-%d %H:%M %Z}"],
    }


def test_disable_and_enable(tmp_path: Path) -> None:
    add(tmp_path, "rita")
    with node_accounts(tmp_path) as accounts:
        session = accounts.authenticate("rita", PASSWORD)
    disabled = reviewer(tmp_path, "disable", "RITA", "--state", "NY")
    assert disabled.exit_code == 0, disabled.output
    assert "of NY disabled (its sessions ended)" in disabled.output
    with node_accounts(tmp_path) as accounts:
        assert accounts.session(session.token) is None  # its session ended
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("rita", PASSWORD)
    assert rows(reviewer(tmp_path, "list", "--state", "NY").output)["rita"][2] == "yes"
    enabled = reviewer(tmp_path, "enable", "rita", "--state", "NY")
    assert enabled.exit_code == 0, enabled.output
    with node_accounts(tmp_path) as accounts:
        accounts.authenticate("rita", PASSWORD)
    unknown = reviewer(tmp_path, "disable", "ghost", "--state", "NY")
    assert unknown.exit_code == 1 and "no account named ghost" in unknown.output


def test_reset_sets_a_new_password_and_clears_the_lockout(tmp_path: Path) -> None:
    add(tmp_path, "rita")
    with node_accounts(tmp_path) as accounts:
        for _ in range(5):
            with pytest.raises(AuthenticationFailed):
                accounts.authenticate("rita", "a wrong password")
        with pytest.raises(SignInLocked):
            accounts.authenticate("rita", PASSWORD)
    done = reviewer(tmp_path, "reset", "rita", "--state", "NY", typed=f"{NEW_PASSWORD}\n" * 2)
    assert done.exit_code == 0, done.output
    assert "lockout cleared" in done.output and "TOTP secret" not in done.output
    assert rows(reviewer(tmp_path, "list", "--state", "NY").output)["rita"][4] == "-"
    with node_accounts(tmp_path) as accounts:
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("rita", PASSWORD)
        accounts.authenticate("rita", NEW_PASSWORD)
    short = reviewer(tmp_path, "reset", "rita", "--state", "NY", typed="short\nshort\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    ghost = reviewer(tmp_path, "reset", "ghost", "--state", "NY", typed=f"{NEW_PASSWORD}\n" * 2)
    assert ghost.exit_code == 1 and "no account named ghost" in ghost.output


def test_reset_with_totp_gives_a_new_secret(tmp_path: Path) -> None:
    add(tmp_path, "carl", "--role", "counsel")
    done = reviewer(
        tmp_path, "reset", "carl", "--state", "NY", "--totp", typed=f"{NEW_PASSWORD}\n" * 2
    )
    assert done.exit_code == 0, done.output
    found = re.search(r"TOTP secret \(add it to the authenticator now\): ([A-Z2-7]+)", done.output)
    assert found is not None, done.output
    with node_accounts(tmp_path) as accounts:
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate("carl", NEW_PASSWORD)  # a code is needed now
        accounts.authenticate("carl", NEW_PASSWORD, pyotp.TOTP(found.group(1)).now())
    assert rows(reviewer(tmp_path, "list", "--state", "NY").output)["carl"][1] == "on"
