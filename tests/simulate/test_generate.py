"""A simulated year on disk: the published totals within 1%, the same year for the same seed,
realistic mixes, and nothing half-written when drawing fails."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.oversight.categories import CBP, HSI, ICE_ERO, requester_category
from stateline.simulate.errors import SimulationError
from stateline.simulate.generate import AGENCIES, QUERIES, generate
from stateline.simulate.manifest import read_manifest
from stateline.simulate.published import (
    AGENCIES as PUBLISHED_AGENCIES,
)
from stateline.simulate.published import (
    DMV_QUERIES,
    HSI_QUERIES,
    ICE_QUERIES,
    states,
)

from .conftest import SCALE, SEED


def _sql(folder: Path, query: str) -> list[tuple[object, ...]]:
    rows = f"read_parquet('{folder / QUERIES}/*/*/*.parquet', hive_partitioning = true)"
    return duckdb.sql(query.replace("QUERIES", rows)).fetchall()


def _near(got: float, want: float) -> bool:
    return abs(got / want - 1) < 0.01


def test_the_small_year_matches_the_published_totals_within_one_percent(small_year: Path) -> None:
    by_category = dict(_sql(small_year, "SELECT category, count(*) FROM QUERIES GROUP BY 1"))
    total = sum(int(n) for n in by_category.values())  # type: ignore[call-overload]
    assert _near(total, DMV_QUERIES.value * SCALE)
    assert _near(by_category[ICE_ERO], ICE_QUERIES.value * SCALE)  # type: ignore[arg-type]
    assert _near(by_category[HSI], HSI_QUERIES.value * SCALE)  # type: ignore[arg-type]
    assert read_manifest(small_year).queries == total
    assert pq.read_metadata(small_year / AGENCIES).num_rows == PUBLISHED_AGENCIES.value


def test_states_are_weighted_by_licensed_drivers(small_year: Path) -> None:
    got = dict(_sql(small_year, "SELECT state, count(*) FROM QUERIES GROUP BY 1"))
    drivers = {s.code: s.licensed_drivers for s in states()}
    nation = sum(drivers.values())
    total = sum(int(n) for n in got.values())  # type: ignore[call-overload]
    assert set(got) == set(drivers)
    for code in ("CA", "TX", "FL", "NY", "PA", "IL", "WA"):
        assert _near(int(got[code]), total * drivers[code] / nation), code  # type: ignore[call-overload]


def test_the_mixes_are_the_ones_modelled(small_year: Path) -> None:
    mke = dict(
        _sql(small_year, "SELECT mke, count(*) / sum(count(*)) OVER () FROM QUERIES GROUP BY 1")
    )
    assert set(mke) == {"DQ", "RQ", "KQ"}
    assert 0.5 < float(mke["RQ"]) < 0.65 and float(mke["KQ"]) < 0.06  # type: ignore[arg-type]
    searches = {row[0] for row in _sql(small_year, "SELECT DISTINCT search FROM QUERIES")}
    assert searches == {"licence", "name-dob", "plate", "vin", "partial", "all-states"}
    # Photos are asked for on driver queries only; acting-for comes from local agencies only.
    assert _sql(small_year, "SELECT count(*) FROM QUERIES WHERE photo AND mke <> 'DQ'") == [(0,)]
    afm = _sql(
        small_year,
        "SELECT DISTINCT category FROM QUERIES WHERE acting_for = 'immigration-enforcement'",
    )
    assert {row[0] for row in afm} <= {
        "local police, in-state", "police, out-of-state", "state agency, out-of-state"
    }  # fmt: skip
    ice = dict(
        _sql(
            small_year,
            f"SELECT purpose, count(*) FROM QUERIES WHERE category = '{ICE_ERO}' GROUP BY 1",
        )
    )
    assert {"civil-immigration-enforcement", "unstated", "criminal-investigation"} <= set(ice)
    cbp = dict(
        _sql(
            small_year, f"SELECT purpose, count(*) FROM QUERIES WHERE category = '{CBP}' GROUP BY 1"
        )
    )
    assert max(cbp, key=lambda k: cbp[k]) == "border-admissibility"  # type: ignore[arg-type]


def test_federal_investigators_keep_office_hours_and_police_patrol_at_night(
    small_year: Path,
) -> None:
    def night_share(category: str) -> float:
        [(share,)] = _sql(
            small_year,
            # Texas's standard time is UTC-6: its small hours are 6 to 12 o'clock UTC.
            'SELECT avg(CASE WHEN (epoch("at")::BIGINT - 6 * 3600) % 86400 < 6 * 3600 '
            f"THEN 1 ELSE 0 END) FROM QUERIES WHERE state = 'TX' AND category = '{category}'",
        )
        return float(share)  # type: ignore[arg-type]

    assert night_share("police, out-of-state") > 0.08
    assert night_share(HSI) < 0.04
    [(first, last)] = _sql(small_year, 'SELECT min("at"), max("at") FROM QUERIES')
    assert str(first) >= "2025-01-01" and str(last) < "2026-01-02"


def test_each_row_has_the_category_the_directory_gives_its_agency(small_year: Path) -> None:
    rows = _sql(
        small_year,
        "SELECT q.state, q.category, a.agency_type, a.home_state, a.missions "
        f"FROM QUERIES q JOIN '{small_year / AGENCIES}' a USING (ori) "
        "GROUP BY ALL",
    )
    for state, category, agency_type, home, missions in rows:
        agency = Agency(
            "XX0000000", "", AgencyType(agency_type), str(home),
            frozenset(Mission(m) for m in str(missions).split(",")),
        )  # fmt: skip
        assert requester_category(agency, str(state)) == category
        assert home != state or category == "local police, in-state"


def test_the_same_seed_draws_the_same_year_and_another_seed_another(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", scale=0.001, seed=3, jobs=2)
    again = generate(tmp_path / "b", scale=0.001, seed=3, jobs=1)
    other = generate(tmp_path / "c", scale=0.001, seed=4)
    assert first == again
    part = Path(QUERIES) / "state=NY" / "month=07" / "part-0.parquet"
    a, b, c = (pq.read_table(tmp_path / name / part) for name in "abc")
    assert a.equals(b)
    assert not a.equals(c)
    assert pq.read_table(tmp_path / "a" / AGENCIES).equals(pq.read_table(tmp_path / "b" / AGENCIES))
    assert other.queries == first.queries  # the totals are the calibration's, whatever the seed


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan")])
def test_a_scale_that_is_not_positive_is_refused_before_anything_is_written(
    tmp_path: Path, scale: float
) -> None:
    with pytest.raises(SimulationError, match="--scale must be a number above 0"):
        generate(tmp_path / "out", scale=scale)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_holds_something_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("keep me")
    with pytest.raises(SimulationError, match="already exists"):
        generate(tmp_path / "out", scale=0.001)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_a_failure_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    written: list[int] = []

    def stop_after_some(rows: int) -> None:
        written.append(rows)
        if len(written) == 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "out", scale=0.001, progress=stop_after_some)
    assert list(tmp_path.iterdir()) == []


def test_the_manifest_names_its_sources(small_year: Path) -> None:
    manifest = json.loads((small_year / "manifest.json").read_text())
    assert manifest["scale"] == SCALE and manifest["seed"] == SEED
    published = {f["value"]: f for f in manifest["figures"]}
    assert "Wyden" in published[ICE_QUERIES.value]["source"]
    assert published[HSI_QUERIES.value]["status"] == "confirmed"
