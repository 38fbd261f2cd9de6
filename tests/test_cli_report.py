"""``stateline report annual``: Colorado's count of immigration requests, from its ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from typer.testing import CliRunner

from stateline.cli import app
from stateline.config import Config
from stateline.synthetic.people import generate_people

from .conftest import PEOPLE, SEED

runner = CliRunner()


def report(config: Config) -> dict[str, Any]:
    year = str(datetime.now(UTC).year)
    data = ["--data", str(config.data_dir)]
    result = runner.invoke(
        app, ["report", "annual", "--state", "co", "--year", year, "--json", *data]
    )
    assert result.exit_code == 0, result.output
    counted: dict[str, Any] = json.loads(result.output)
    return counted


def test_an_immigration_request_to_colorado_is_counted(prepared: Config) -> None:
    before = report(prepared)
    oln = list(generate_people("CO", PEOPLE, SEED))[2].oln
    data = ["--data", str(prepared.data_dir)]
    asked = runner.invoke(
        app,
        ["query", "--as", "DCICE0000", f"DQ.DCICE0000.CO.TXT\\nOLN/{oln}", *data],
        env={"STATELINE_POLICY": "CO=co"},
    )
    assert asked.exit_code == 0, asked.output
    after = report(prepared)
    assert after["state"] == "CO"
    assert after["total"] == before["total"] + 1
    ice = after["by_requester"].get("DCICE0000", 0) - before["by_requester"].get("DCICE0000", 0)
    assert ice == 1


def test_the_table_names_the_state_and_year(prepared: Config) -> None:
    result = runner.invoke(
        app,
        ["report", "annual", "--state", "MD", "--year", "1999", "--data", str(prepared.data_dir)],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MD 1999: 0 requests counted for the annual report")
