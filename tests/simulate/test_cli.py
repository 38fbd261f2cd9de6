"""``stateline simulate`` and ``simulate replay``: a year drawn and decided from the command
line, and every bad input a clear one-line error with a non-zero exit and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stateline.cli import app
from stateline.simulate.generate import QUERIES

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "year"
    result = runner.invoke(app, ["simulate", "--out", str(out), "--scale", "0.001", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "290,000 queries from 18,000 agencies, 51 states" in result.stdout
    return out


def _refused(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("simulate: ") and "\n" not in message, message
    assert "Traceback" not in result.output
    return message


def test_replay_prints_tables_and_json(tiny_year: Path) -> None:
    shown = runner.invoke(app, ["simulate", "replay", str(tiny_year), "--state", "TX=ny"])
    assert shown.exit_code == 0, shown.output
    assert "By requester category" in shown.stdout and "TX by requester category" in shown.stdout
    out = runner.invoke(
        app, ["simulate", "replay", str(tiny_year), "--json", "--review-minutes", "20"]
    )
    assert out.exit_code == 0, out.output
    figures = json.loads(out.stdout)
    assert figures["total"]["queries"] == 290_000 and figures["review_minutes"] == 20


@pytest.mark.parametrize("scale", ["0", "-0.5", "nan"])
def test_a_scale_that_is_not_positive_is_refused(tmp_path: Path, scale: str) -> None:
    message = _refused(["simulate", "--out", str(tmp_path / "out"), "--scale", scale])
    assert "--scale must be a number above 0" in message
    assert list(tmp_path.iterdir()) == []


def test_simulate_needs_a_folder_to_write() -> None:
    assert "--out DIR is required" in _refused(["simulate"])


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ZZ=ny", "--state ZZ=ny: 'ZZ' is not a US state or DC"),
        ("TX=nowhere", "--state TX=nowhere: no bundle named 'nowhere'"),
        ("TX", "--state 'TX' is not STATE=BUNDLE"),
    ],
)
def test_an_unknown_state_or_bundle_is_refused(tiny_year: Path, state: str, expected: str) -> None:
    assert expected in _refused(["simulate", "replay", str(tiny_year), "--state", state])


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    message = _refused(["simulate", "replay", str(tmp_path / "nowhere")])
    assert "does not exist" in message


def test_a_corrupt_parquet_file_is_refused(tiny_year: Path, tmp_path: Path) -> None:
    copy = tmp_path / "year"
    shutil.copytree(tiny_year, copy)
    part = copy / QUERIES / "state=CA" / "month=03" / "part-0.parquet"
    part.write_bytes(b"PAR1 this is not a parquet file PAR1")
    assert "holds an unreadable Parquet file" in _refused(["simulate", "replay", str(copy)])


def test_a_missing_part_or_a_corrupt_manifest_is_refused(tiny_year: Path, tmp_path: Path) -> None:
    copy = tmp_path / "year"
    shutil.copytree(tiny_year, copy)
    (copy / QUERIES / "state=CA" / "month=03" / "part-0.parquet").unlink()
    assert "files are missing or were changed" in _refused(["simulate", "replay", str(copy)])
    (copy / "manifest.json").write_text("{")
    assert "manifest.json is corrupt" in _refused(["simulate", "replay", str(copy)])


def test_a_year_outside_the_calendar_or_a_review_of_no_minutes_is_refused(
    tiny_year: Path, tmp_path: Path
) -> None:
    message = _refused(["simulate", "--out", str(tmp_path / "out"), "--year", "1800"])
    assert "--year 1800 is not between 1970 and 2200" in message
    replayed = ["simulate", "replay", str(tiny_year), "--review-minutes", "0"]
    assert "--review-minutes and --reviewer-hours must be above 0" in _refused(replayed)


def test_a_folder_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    message = _refused(["simulate", "--out", str(tmp_path / "file" / "year"), "--scale", "0.001"])
    assert "could not write" in message
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
