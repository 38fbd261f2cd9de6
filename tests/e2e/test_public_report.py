"""``stateline report public`` as a state's staff would run it: the JSON release with its budget
and figures, the bad inputs refused in one line with nothing written, and the HTML page read in
Chromium with the network shut off."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stateline.cli import app
from stateline.config import Config
from stateline.node.records.model import Person
from tests.browser import browser_or_skip, offline_page
from tests.conftest import fresh_copy

runner = CliRunner()
YEAR = str(datetime.now(UTC).year)


@pytest.fixture(scope="module")
def data(prepared: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the prepared exchange where New York's police looked up 12 people and ICE
    asked for 3 of them (refused under New York's law)."""
    folder = tmp_path_factory.mktemp("public") / "data"
    fresh_copy(prepared, folder)
    return folder


def send(data: Path, people: dict[str, list[Person]]) -> None:
    queries = [("NYSTP0000", f"P{i}", people["NY"][i].oln, "") for i in range(12)]
    queries += [
        ("DCICE0000", f"I{i}", people["NY"][i].oln, ".PRP/CIVIL-IMMIGRATION-ENFORCEMENT")
        for i in range(3)
    ]
    for ori, control, oln, tail in queries:
        raw = f"DQ.{ori}.NY.{control}.TXT\\nOLN/{oln}{tail}"
        done = runner.invoke(
            app,
            ["query", "--as", ori, raw, "--data", str(data)],
            env={"STATELINE_POLICY": "statute"},
        )
        assert done.exit_code == 0, done.output


@pytest.fixture(scope="module")
def sent(data: Path, people: dict[str, list[Person]]) -> Path:
    send(data, people)
    return data


def public(data: Path, *args: str) -> str:
    done = runner.invoke(app, ["report", "public", *args, "--data", str(data)])
    assert done.exit_code == 0, done.output + done.stderr
    return done.stdout


def test_the_json_release_states_its_budget_and_keeps_within_it(sent: Path, tmp_path: Path) -> None:
    out = tmp_path / "ny.json"
    public(sent, "--state", "NY", "--year", YEAR, "--epsilon", "1.0", "--out", str(out))
    release = json.loads(out.read_text())
    privacy = release["privacy"]
    assert privacy["epsilon"] == 1.0 and privacy["spent"] <= 1.0
    figures = release["people"]
    assert privacy["figures"] == len(figures) == 7
    assert sum(Fraction(f["epsilon"]) for f in figures) <= Fraction(1.0)
    for figure in figures:
        if figure["none"]:  # no request behind it: exactly none
            assert figure["value"] == figure["low"] == figure["high"] == 0
        elif figure["suppressed"]:
            assert figure["value"] is None and figure["low"] is None
        else:
            assert figure["value"] >= figure["threshold"] >= 10
            assert figure["low"] == figure["value"] - figure["margin"]
            assert figure["high"] == figure["value"] + figure["margin"]
    # Requests are exact, and the same as the transparency report's.
    categories = {row[0]: row[1] for row in release["requests"]["by_category"]["rows"]}
    assert categories["federal immigration: ICE ERO"] == 3
    done = runner.invoke(
        app, ["report", "transparency", "--state", "NY", "--format", "json", "--data", str(sent)]
    )
    transparency = json.loads(done.stdout)["sections"]
    assert release["requests"]["by_category"]["rows"] == transparency["by_category"]["rows"]
    assert [n["figure"] for n in release["not_released"]] == ["People looked up, by county"]


def test_a_large_budget_shows_the_true_counts(sent: Path, tmp_path: Path) -> None:
    out = tmp_path / "ny.json"
    public(sent, "--state", "NY", "--epsilon", "1000000", "--out", str(out))
    shown = {f["figure"]: f for f in json.loads(out.read_text())["people"]}
    assert shown["people_looked_up"]["value"] == 12
    assert shown["people_immigration"]["suppressed"]  # three: below the threshold of ten
    # New York refused ICE, and neither HSI nor CBP asked: exactly none, no noise drawn.
    for none in ("people_sent_to_immigration", "people_hsi", "people_cbp"):
        assert shown[none]["none"] and shown[none]["value"] == 0


def test_the_national_release_and_the_terminal_table(sent: Path, tmp_path: Path) -> None:
    out = tmp_path / "national.json"
    public(sent, "--all-states", "--epsilon", "0.5", "--out", str(out))
    release = json.loads(out.read_text())
    assert release["title"].startswith("Public statistics: the national exchange")
    assert release["privacy"]["spent"] <= 0.5
    table = public(sent, "--state", "NY", "--epsilon", "1")
    assert "differential privacy" in table and "People looked up" in table


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--state", "NY", "--epsilon", "0"], "--epsilon must be a number above 0"),
        (["--state", "NY", "--epsilon", "-1"], "--epsilon must be a number above 0"),
        (["--state", "NY", "--epsilon", "nan"], "--epsilon must be a number above 0"),
        (["--state", "ZZ", "--epsilon", "1"], "no such state: ZZ"),
        (["--epsilon", "1"], "give --state XX"),
        (["--state", "NY", "--epsilon", "1", "--out", "OUT.pdf"], "a .html or .json file"),
    ],
)
def test_bad_input_is_one_clear_line(
    data: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    args = [a.replace("OUT", str(tmp_path / "release")) for a in args]
    done = runner.invoke(app, ["report", "public", *args, "--data", str(data)])
    assert done.exit_code == 2
    assert said in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_missing_data_directory_or_a_corrupt_copy_writes_nothing(
    sent: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ny.html"
    nowhere = tmp_path / "none"
    args = ["report", "public", "--state", "NY", "--epsilon", "1", "--out", str(out)]
    done = runner.invoke(app, [*args, "--data", str(nowhere)])
    assert done.exit_code == 1 and "no exchange in" in done.stderr
    assert not nowhere.exists() and not out.exists()
    public(sent, "--state", "NY", "--epsilon", "1", "--out", str(tmp_path / "first.json"))
    part = next((sent / "analytics" / "requests").glob("state=NY/*.parquet"))
    saved = part.read_bytes()
    try:
        part.write_bytes(b"not parquet at all")
        failed = runner.invoke(app, [*args, "--data", str(sent)])
        assert failed.exit_code == 1 and "cannot be read" in failed.stderr
        assert not out.exists() and not out.with_name(out.name + ".tmp").exists()
    finally:
        part.write_bytes(saved)


def test_the_html_page_reads_offline_in_a_browser(sent: Path, tmp_path: Path) -> None:
    sync_playwright = browser_or_skip()
    page_file = tmp_path / "new-york.html"
    # A large budget: the figure about people is published, so its chart is drawn.
    public(sent, "--state", "NY", "--epsilon", "1000", "--out", str(page_file))
    with (
        sync_playwright() as playwright,
        offline_page(playwright, page_file, tmp_path / "chromium-profile") as opened,
    ):
        page = opened.page
        page.locator("#chart-people svg").wait_for(timeout=30_000)
        page.locator("#chart-by_category svg").wait_for(timeout=30_000)
        assert page.locator("h1").inner_text() == f"Public statistics: New York, {YEAR}"
        protection = page.locator("#protection").inner_text()
        assert "differential privacy" in protection
        assert "privacy-loss budget of ε = 1000" in protection
        assert "at most once in each figure" in protection
        row = page.locator("#figure-people_looked_up").inner_text()
        assert "12" in row and "12 to 12" in row
        assert "too few to publish" in page.locator("#figure-people_immigration").inner_text()
        assert "none: no request" in page.locator("#figure-people_cbp").inner_text()
        assert opened.failures == []
    assert opened.elsewhere == []
