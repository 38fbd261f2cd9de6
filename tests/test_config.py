"""Settings from a TOML file and the environment: the file over the defaults, the environment
over the file, a command's --data over both; an unknown key or a bad value is a clear error
naming it, before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stateline.config import Config, ConfigError, read_file, settings


def test_nothing_set_is_the_embedded_default() -> None:
    assert Config.from_env(environ={}) == Config()


def test_the_file_sets_and_the_environment_overrides_it(tmp_path: Path) -> None:
    file = tmp_path / "stateline.toml"
    file.write_text(
        'data_dir = "/srv/stateline"\ndeadline = 5\nstates = ["ny", "CA"]\n'
        'node_database_url = "postgresql+psycopg://db/nodes_{state}"\n'
    )
    environ = {"STATELINE_CONFIG": str(file), "STATELINE_DEADLINE": "2.5"}
    config = Config.from_env(environ=environ)
    assert config.data_dir == Path("/srv/stateline")
    assert config.deadline == 2.5  # the environment's
    assert config.states == ("NY", "CA")
    assert config.node_url("NY") == "postgresql+psycopg://db/nodes_ny"
    assert Config.from_env(tmp_path, environ).data_dir == tmp_path  # --data over both


def test_the_environment_names_the_states_as_a_list() -> None:
    assert settings({}, {"STATELINE_STATES": "tx, wa,TX"}).states == ("TX", "WA")


@pytest.mark.parametrize(
    ("document", "environ", "named"),
    [
        ({"dedline": 5}, {}, "unknown setting dedline"),
        ({"deadline": "soon"}, {}, "deadline must be a number, not 'soon'"),
        ({"deadline": 0}, {}, "deadline must be greater than 0"),
        ({"deadline": True}, {}, "deadline must be a number"),
        ({}, {"STATELINE_REPLY_TTL": "-1"}, "STATELINE_REPLY_TTL must be greater than 0"),
        ({"states": ["NY", "ZZ"]}, {}, "states names no state or an unknown one: ZZ"),
        ({"states": 5}, {}, "states must list state codes"),
        ({"data_dir": ""}, {}, "data_dir must be a non-empty string"),
        ({"policy": ["ny"]}, {}, "policy must be a non-empty string"),
    ],
)
def test_a_setting_that_cannot_be_used_is_named(
    document: dict[str, object], environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        settings(document, environ)


def test_a_file_that_is_missing_or_not_toml_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the configuration file"):
        read_file(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("deadline = = 5\n")
    with pytest.raises(ConfigError, match="is not TOML"):
        read_file(broken)


def test_a_command_with_a_bad_file_stops_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    file = tmp_path / "stateline.toml"
    file.write_text("dedline = 5\n")
    done = subprocess.run(
        [sys.executable, "-c", "from stateline.cli import main; main()", "agency", "list"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("STATELINE_")}
        | {"STATELINE_CONFIG": str(file)},
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert "configuration: unknown setting dedline" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
