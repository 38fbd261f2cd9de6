"""Tests for stateline/cli/policy.py, driven through Typer's runner on the ``policy`` app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stateline.cli.policy import app
from tests.node.policy.helpers import write_bundle
from tests.node.policy.test_scenarios import NY_01, changed

PUBLIC = Path(__file__).resolve().parents[3] / ".." / "shared" / "scenarios" / "public.json"
runner = CliRunner()


def write(tmp_path: Path, scenarios: object) -> Path:
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(scenarios))
    return path


@pytest.mark.skipif(not PUBLIC.is_file(), reason="../shared/scenarios/public.json is absent")
def test_every_public_scenario_passes_policy_check() -> None:
    result = runner.invoke(app, ["check", str(PUBLIC), "--json"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines if not line["pass"]] == []
    assert len(lines) == len(json.loads(PUBLIC.read_text()))
    for line in lines:
        assert {"id", "outcome", "released", "duties", "policies", "pass"} <= set(line)
    assert result.exit_code == 0


def test_check_exits_1_when_a_scenario_fails(tmp_path: Path) -> None:
    wrong = changed("expected.outcome", "release")
    result = runner.invoke(app, ["check", str(write(tmp_path, [NY_01, wrong | {"id": "X"}]))])
    assert result.exit_code == 1
    assert "1 of 2 scenarios pass" in result.stdout


def test_check_exits_2_naming_the_scenario_and_field(tmp_path: Path) -> None:
    bad = changed("request.purpose", "curiosity")
    result = runner.invoke(app, ["check", str(write(tmp_path, [bad])), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": "'curiosity' is not one of criminal-investigation, civil-immigration-enforcement, "
        "traffic-enforcement, border-admissibility, trusted-traveler-vetting, child-welfare, "
        "voter-registration, motor-vehicle-administration, journalism, unstated",
        "id": "NY-01",
        "field": "request.purpose",
    }
    not_json = tmp_path / "broken.json"
    not_json.write_text("[{")
    assert runner.invoke(app, ["check", str(not_json)]).exit_code == 2


def test_check_with_another_bundle(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["check", str(write(tmp_path, [NY_01])), "--json", "--bundle", "status-quo"]
    )
    line = json.loads(result.stdout)
    assert (line["bundle"], line["outcome"], line["pass"]) == ("status-quo", "release", False)
    assert result.exit_code == 1


def test_explain_a_scenario_and_a_request_from_flags(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", "--scenario", str(write(tmp_path, [NY_01])), "--json"])
    explained = json.loads(result.stdout)
    assert explained["outcome"] == "deny"
    assert explained["classes"][0]["policies"][0]["id"] == "ny-green-light-immigration-agencies"
    assert explained["classes"][0]["policies"][0]["where"].startswith("green-light.cedar:")
    flags = [
        "explain", "--state", "MN", "--type", "FE", "--home-state", "US",
        "--mission", "immigration-enforcement", "--purpose", "criminal-investigation",
        "--process", "judicial-warrant", "--data", "immigration-status", "--credential", "standard",
    ]  # fmt: skip
    result = runner.invoke(app, flags, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "mn-status-data-court-process-unsettled" in result.stdout
    assert "outcome: review" in result.stdout
    assert "escalate-counsel" in result.stdout


def test_explain_refuses_a_bad_flag() -> None:
    assert runner.invoke(app, ["explain", "--purpose", "curiosity"]).exit_code == 2


def test_test_runs_bundle_tests() -> None:
    result = runner.invoke(app, ["test", "ny"])
    assert result.exit_code == 0
    assert "ny: 19/19 pass" in result.stdout
    lines = runner.invoke(app, ["test", "wa", "--json"]).stdout.splitlines()
    assert all(json.loads(line)["pass"] for line in lines)


def test_validate_names_file_and_line(tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate"]).exit_code == 0
    broken = write_bundle(
        tmp_path / "broken",
        '@id("x")\npermit (principal, action, resource)\nwhen { principal.nope };\n',
    )
    result = runner.invoke(app, ["validate", str(broken)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "policies.cedar:1:" in result.stdout


def test_diff_lists_where_two_bundles_differ(tmp_path: Path) -> None:
    plus = write_bundle(
        tmp_path / "plus",
        '@id("cj")\npermit (principal, action, resource) when { principal.criminal_justice };\n'
        '@id("no-photo")\nforbid (principal, action in Action::"photo", resource);\n',
    )
    result = runner.invoke(app, ["diff", "status-quo", str(plus), "--json"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows
    assert all(
        row["classes"] == [{"data_class": "photo", "a": "release", "b": "deny"}] for row in rows
    )
    table = runner.invoke(app, ["diff", "status-quo", str(plus)], env={"COLUMNS": "200"})
    assert "photo: release -> deny" in table.stdout
    assert runner.invoke(app, ["diff", "status-quo", "status-quo", "--json"]).stdout == ""
