"""``stateline report transparency`` as a legislator's staff would run it: every format, the
bad inputs, and the HTML report read in Chromium with the network shut off."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from stateline.cli import app
from stateline.config import Config
from stateline.node.records.model import Person
from tests.browser import browser_or_skip, offline_page
from tests.conftest import fresh_copy

runner = CliRunner()


@pytest.fixture(scope="module")
def data(prepared: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the prepared exchange with some traffic of every kind in New York."""
    folder = tmp_path_factory.mktemp("transparency") / "data"
    fresh_copy(prepared, folder)
    return folder


def sent(data: Path, people: dict[str, list[Person]]) -> None:
    for n, (ori, tail) in enumerate(
        [
            ("NYSTP0000", ""),
            ("DCICE0000", ".PRP/CIVIL-IMMIGRATION-ENFORCEMENT"),
            ("DCHSI0000", ".PRP/CRIMINAL-INVESTIGATION"),
        ]
    ):
        raw = f"DQ.{ori}.NY.W{n}.TXT\\nOLN/{people['NY'][n].oln}{tail}"
        done = runner.invoke(
            app,
            ["query", "--as", ori, raw, "--data", str(data)],
            env={"STATELINE_POLICY": "statute"},
        )
        assert done.exit_code == 0, done.output


def report(data: Path, *args: str) -> str:
    done = runner.invoke(app, ["report", "transparency", *args, "--data", str(data)])
    assert done.exit_code == 0, done.output + done.stderr
    return done.stdout


def test_every_format_tells_the_same_counts(
    data: Path, people: dict[str, list[Person]], tmp_path: Path
) -> None:
    sent(data, people)
    as_json = json.loads(report(data, "--state", "NY", "--format", "json"))
    summary = as_json["sections"]["summary"]["rows"][0]
    assert summary[0] >= 3
    categories = {row[0] for row in as_json["sections"]["by_category"]["rows"]}
    assert {"federal immigration: ICE ERO", "federal immigration: HSI"} <= categories
    ice = next(r for r in as_json["sections"]["immigration"]["rows"] if "ICE" in r[0])
    assert ice[4] >= 1  # New York refuses ICE's civil request
    rows = list(csv.DictReader(io.StringIO(report(data, "--state", "NY", "--format", "csv"))))
    total = next(r for r in rows if r["section"] == "summary" and r["measure"] == "requests")
    assert int(total["value"].replace(",", "")) == summary[0]
    table = report(data, "--state", "NY")
    assert "Federal immigration requests" in table and "Review workload" in table
    behind = tmp_path / "rows.parquet"
    report(data, "--state", "NY", "--format", "parquet", "--out", str(behind))
    rows_behind = pq.read_table(behind)
    assert rows_behind.num_rows == summary[0]
    assert {"request_index", "decision_index", "disclosure_index"} <= set(rows_behind.column_names)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--state", "ZZ"], "no such state: ZZ"),
        (["--state", "NY", "--from", "2026-12-08", "--to", "2026-12-01"], "before it starts"),
        (["--state", "NY", "--from", "yesterday"], "--from must be a date"),
        (["--state", "NY", "--format", "pdf"], "--format is one of"),
        (["--state", "NY", "--format", "html"], "give --out FILE"),
        ([], "give --state XX"),
    ],
)
def test_bad_input_is_one_clear_line(data: Path, args: list[str], said: str) -> None:
    done = runner.invoke(app, ["report", "transparency", *args, "--data", str(data)])
    assert done.exit_code == 2
    assert said in done.stderr


def test_a_missing_data_directory_or_a_corrupt_copy_is_refused(data: Path, tmp_path: Path) -> None:
    nowhere = runner.invoke(
        app, ["report", "transparency", "--state", "NY", "--data", str(tmp_path / "none")]
    )
    assert nowhere.exit_code == 1 and "no exchange in" in nowhere.stderr
    assert not (tmp_path / "none").exists()  # nothing made there
    report(data, "--state", "NY", "--format", "json")
    part = next((data / "analytics" / "requests").glob("state=NY/*.parquet"))
    saved = part.read_bytes()
    try:
        part.write_bytes(b"not parquet at all")
        done = runner.invoke(app, ["report", "transparency", "--state", "NY", "--data", str(data)])
        assert done.exit_code == 1 and "cannot be read" in done.stderr
        out = tmp_path / "report.html"
        failed = runner.invoke(
            app,
            [
                "report",
                "transparency",
                "--state",
                "NY",
                "--format",
                "html",
                "--out",
                str(out),
                "--data",
                str(data),
            ],
        )
        assert failed.exit_code == 1 and not out.exists()  # nothing written half-way
    finally:
        part.write_bytes(saved)


def test_the_html_report_reads_offline_in_a_browser(
    data: Path, people: dict[str, list[Person]], tmp_path: Path
) -> None:
    sync_playwright = browser_or_skip()
    sent(data, people)
    page_file = tmp_path / "new-york.html"
    report(data, "--state", "NY", "--format", "html", "--out", str(page_file))
    with (
        sync_playwright() as playwright,
        offline_page(playwright, page_file, tmp_path / "chromium-profile") as opened,
    ):
        page = opened.page
        page.locator("#chart-by_category svg").wait_for(timeout=30_000)
        assert page.locator("h1").inner_text() == "Transparency report: New York"
        assert page.locator("#immigration").inner_text() == "Federal immigration requests"
        assert page.locator(".chart svg").count() >= 3
        assert opened.failures == []
    assert opened.elsewhere == []


def test_the_alerts_raised_are_in_the_report(data: Path, people: dict[str, list[Person]]) -> None:
    raw = f"DQ.NYSTP0000.NY.TF1.TXT\\nOLN/{people['NY'][7].oln}.AFM/IMMIGRATION-ENFORCEMENT"
    sent_ = runner.invoke(app, ["query", "--as", "NYSTP0000", raw, "--data", str(data)])
    assert sent_.exit_code == 0, sent_.output
    listed = runner.invoke(app, ["alerts", "--state", "NY", "--json", "--data", str(data)])
    assert listed.exit_code == 0, listed.output
    assert "acting-for-immigration" in listed.stdout
    as_json = json.loads(report(data, "--state", "NY", "--format", "json"))
    rules = {row[0] for row in as_json["sections"]["alerts"]["rows"]}
    assert "acting-for-immigration" in rules
