"""The docs kept honest: the front door's commands, and help for every CLI command."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.main import get_command

from stateline.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "\n./dev demo\n" in readme
    assert "\n./dev test\n" in readme
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        found.append((f"{prefix}{name}", command))
        found += _commands(command, f"{prefix}{name} ")
    return found


def test_every_command_has_help() -> None:
    commands = _commands(get_command(app))
    assert {"demo", "query", "serve", "message parse", "agency add"} <= {n for n, _ in commands}
    for name, command in commands:
        assert getattr(command, "help", None), f"'stateline {name}' has no help"


def test_the_stateline_command_runs_the_cli() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["stateline"] == "stateline.cli:main"
