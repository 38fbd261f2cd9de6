"""Replaying a simulated year through the real Cedar bundles: the status quo releases what it
always has, each state's statute decides by its law, and a swapped bundle changes the
decisions exactly where the two laws differ."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from stateline.oversight.categories import CBP, HSI, ICE_ERO
from stateline.simulate.errors import SimulationError
from stateline.simulate.generate import QUERIES
from stateline.simulate.laws import choose_laws, parse_swaps
from stateline.simulate.outcomes import decide
from stateline.simulate.replay import replay


def _count(folder: Path, where: str) -> int:
    rows = f"read_parquet('{folder / QUERIES}/*/*/*.parquet', hive_partitioning = true)"
    [(n,)] = duckdb.sql(f"SELECT count(*) FROM {rows} WHERE {where}").fetchall()
    return int(n)


def test_the_status_quo_releases_everything_to_criminal_justice(small_year: Path) -> None:
    result = replay(small_year, "status-quo")
    assert result.total.queries == result.manifest.queries
    non_cj = result.categories["non-criminal-justice"]
    assert non_cj.denied == non_cj.queries
    assert result.total.denied == non_cj.queries
    assert result.total.released == result.total.queries - non_cj.queries
    assert result.total.held == 0 and result.total.notices == 0


def test_texas_under_new_yorks_law_denies_ice_what_the_status_quo_releases(
    small_year: Path,
) -> None:
    today = replay(small_year, "status-quo")
    swapped = replay(small_year, "status-quo", {"TX": "ny"})
    assert today.cells["TX", ICE_ERO].released == today.cells["TX", ICE_ERO].queries
    ice = swapped.cells["TX", ICE_ERO]
    # VTL 201(12)(a): nothing to an immigration agency but under a judge's warrant or order
    # (which opens what it names); a magistrate's warrant is held for counsel.
    judged = "process IN ('judicial-warrant', 'court-order')"
    ice_tx = f"state = 'TX' AND category = '{ICE_ERO}'"
    assert ice.denied == _count(
        small_year, f"{ice_tx} AND NOT {judged} AND process <> 'magistrate-warrant'"
    )
    assert (
        ice.held
        == ice.counsel
        == _count(small_year, f"{ice_tx} AND process = 'magistrate-warrant'")
    )
    assert ice.released + ice.withheld == _count(small_year, f"{ice_tx} AND {judged}")
    assert ice.notices == ice.queries  # VTL 201(12)(b): the subject learns of every such request
    civil = _count(
        small_year, f"{ice_tx} AND purpose = 'civil-immigration-enforcement' AND process = 'none'"
    )
    assert 0 < civil <= ice.denied
    # Every other state decides as before, and so do Texas's other federal requesters.
    for (state, category), counts in today.cells.items():
        if state != "TX":
            assert swapped.cells[state, category] == counts
    assert swapped.cells["TX", "other federal"] == today.cells["TX", "other federal"]
    assert swapped.cells["TX", CBP].denied > 0.5 * swapped.cells["TX", CBP].queries


def test_each_states_statute_decides_its_own_queries(small_year: Path) -> None:
    result = replay(small_year, "statute")
    assert result.laws.by_state["NY"] == "ny" and result.laws.by_state["TX"] == "status-quo"
    assert result.cells["TX", ICE_ERO].released == result.cells["TX", ICE_ERO].queries
    assert result.cells["NY", ICE_ERO].released < result.cells["NY", ICE_ERO].queries / 10
    # Washington holds federal immigration requests in criminal matters for a person to review.
    assert result.cells["WA", HSI].held > 0
    assert result.workload["WA"].held_per_day > 0 and result.workload["WA"].reviewers >= 1
    assert result.workload["TX"].reviewers == 0
    # The workload is for a national year: held requests a day divided by the scale.
    wa = result.workload["WA"]
    assert wa.held_per_day == pytest.approx(result.states["WA"].held / result.manifest.scale / 365)
    assert wa.reviewers * result.reviewer_hours >= wa.held_per_day * result.review_minutes / 60


def test_the_replay_is_the_same_as_deciding_each_combination_by_itself(small_year: Path) -> None:
    laws = choose_laws("statute")
    keys = [
        ("TX", "FE", "US", "immigration-enforcement", "", False, "DQ", False, False,
         "civil-immigration-enforcement", "none", "", False, "any", ""),
        ("NY", "FE", "US", "immigration-enforcement", "", False, "DQ", False, True,
         "civil-immigration-enforcement", "none", "", False, "standard", ""),
        ("NY", "PD", "out", "criminal-law-enforcement,traffic-enforcement", "", False, "RQ",
         False, False, "traffic-enforcement", "none", "", False, "real-id", ""),
        ("NY", "PD", "out", "criminal-law-enforcement,traffic-enforcement", "", True, "RQ",
         False, False, "traffic-enforcement", "none", "", False, "real-id", ""),
    ]  # fmt: skip
    verdicts = decide(keys, laws)  # type: ignore[arg-type]
    assert [v.outcome for v in verdicts] == ["release", "deny", "deny", "release"]
    assert verdicts[1].notify and not verdicts[0].notify


def test_json_lists_every_state_and_category(small_year: Path) -> None:
    result = replay(small_year, "statute", {"TX": "ny"})
    out = json.loads(json.dumps(result.as_json()))
    assert out["swaps"] == {"TX": "ny"} and out["policy"] == "statute"
    assert len(out["by_state"]) == 51
    assert sum(row["queries"] for row in out["by_state_and_category"]) == out["total"]["queries"]
    texas = next(row for row in out["by_state"] if row["state"] == "TX")
    assert texas["bundle"] == "ny" and {"held_per_day", "reviewers"} <= set(texas)


@pytest.mark.parametrize(
    ("swaps", "message"),
    [
        (["ZZ=ny"], "'ZZ' is not a US state or DC"),
        (["TX"], "is not STATE=BUNDLE"),
        (["TX=nowhere"], "no bundle named 'nowhere'"),
    ],
)
def test_bad_swaps_are_refused(small_year: Path, swaps: list[str], message: str) -> None:
    with pytest.raises(SimulationError, match=message):
        replay(small_year, "statute", parse_swaps(swaps))


def test_an_unknown_policy_is_refused(small_year: Path) -> None:
    with pytest.raises(SimulationError, match="--policy must be one of statute, status-quo"):
        replay(small_year, "sanctuary")


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="does not exist"):
        replay(tmp_path / "nowhere")
    with pytest.raises(SimulationError, match=r"manifest\.json is missing"):
        replay(tmp_path)
