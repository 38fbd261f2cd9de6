"""``stateline policy explain --ori``: the requester as the data directory's directory knows it.

The rest of ``stateline policy`` is tested in tests/node/policy/test_cli.py.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stateline.bootstrap import open_hub
from stateline.cli.policy import app
from stateline.config import Config
from stateline.directory.model import Agency, AgencyType, Certification, Mission

runner = CliRunner()
POLICE = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.TRAFFIC_ENFORCEMENT})
AGENCIES = [
    Agency(
        "CO0010100", "Ashdale Police Department", AgencyType.PD, "CO", POLICE,
        certifications=(Certification("CO", date(2024, 1, 10), date(2025, 1, 10)),),
    ),
    Agency("DCICE0000", "ICE Enforcement and Removal Operations", AgencyType.FE, "US",
           frozenset({Mission.IMMIGRATION_ENFORCEMENT})),
    Agency(
        "NY0010100", "Oakdale Police Department", AgencyType.PD, "NY", POLICE,
        certifications=(Certification("NY", date(2026, 1, 15)),),
    ),
]  # fmt: skip


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    engine, directory, _log = open_hub(Config(data_dir=tmp_path))
    directory.add_many(AGENCIES)
    engine.dispose()
    return tmp_path


def explain(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["explain", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_the_certification_on_file_comes_from_the_directory(data_dir: Path) -> None:
    asked = ["--state", "NY", "--purpose", "criminal-investigation", "--data", "address", "--json"]
    code, out, _ = explain("--ori", "NY0010100", "--data-dir", str(data_dir), *asked)
    assert code == 0
    explained = json.loads(out)
    assert explained["outcome"] == "release"
    assert explained["requester"] == {
        "ori": "NY0010100",
        "source": "directory",
        "type": "PD",
        "home_state": "NY",
        "missions": ["criminal-law-enforcement", "traffic-enforcement"],
        "certified": True,
        "name": "Oakdale Police Department",
        "status": "active",
        "certification": {"filed": "2026-01-15", "expires": None},
    }
    # The same police described by flags, with no certification said: New York refuses it.
    code, out, _ = explain("--type", "PD", "--home-state", "NY", *asked)
    described = json.loads(out)
    assert described["outcome"] == "deny"
    assert described["policies"] == ["ny-recipient-certification"]
    assert described["requester"]["source"] == "flags"
    assert described["requester"]["certified"] is False


def test_type_home_state_and_missions_come_from_the_directory(data_dir: Path) -> None:
    code, out, _ = explain("--ori", "DCICE0000", "--data-dir", str(data_dir), "--state", "NY")
    assert code == 0
    assert (
        "requester DCICE0000 (ICE Enforcement and Removal Operations, active), from the "
        "directory:\n  type FE, home state US, missions immigration-enforcement\n"
        "  use certification with NY: none current\n"
    ) in out
    assert "ny-green-light-immigration-agencies" in out
    assert "outcome: deny" in out
    assert "notify-subject (3 days)" in out  # New York's notice, owed to ICE's requests alone


def test_a_lapsed_certification_is_shown_and_not_counted(data_dir: Path) -> None:
    args = ["--ori", "CO0010100", "--data-dir", str(data_dir), "--state", "CO"]
    code, out, _ = explain(*args, "--purpose", "criminal-investigation")
    assert code == 0
    assert "use certification with CO: filed 2024-01-10, until 2025-01-10: none current" in out
    assert "co-network-access-certification" in out and "outcome: deny" in out


def test_an_ori_not_in_the_directory_is_an_error(data_dir: Path) -> None:
    code, out, err = explain("--ori", "TX0010100", "--data-dir", str(data_dir))
    assert code == 2 and out == ""
    assert "TX0010100 is not in the directory" in err
    code, _, err = explain("--ori", "NY0010100", "--data-dir", str(data_dir / "elsewhere"))
    assert code == 1 and "no directory of agencies" in err
    assert not (data_dir / "elsewhere").exists()  # looking created nothing


@pytest.mark.parametrize(
    "flag", [["--type", "SO"], ["--home-state", "NJ"], ["--mission", "public"], ["--certified"]]
)
def test_the_directory_s_facts_cannot_be_given_beside_ori(data_dir: Path, flag: list[str]) -> None:
    code, _, err = explain("--ori", "NY0010100", "--data-dir", str(data_dir), *flag)
    assert code == 2
    assert f"{flag[0]} with --ori" in err and "the directory says who NY0010100 is" in err
