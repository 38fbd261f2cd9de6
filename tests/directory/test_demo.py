"""Tests for stateline/directory/demo.py."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from stateline.directory.checks import check_agency, node_oris
from stateline.directory.demo import (
    GUIDE_ORI,
    MAX_LOCALS_PER_STATE,
    STATE_NAMES,
    SUSPENDED_ORI,
    demo_agencies,
)
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Mission
from stateline.wire.grammar import US_STATES

LOCAL_ORI = re.compile(r"[A-Z]{2}\d{3}\d{2}00")


@pytest.fixture(scope="module")
def demo() -> dict[str, Agency]:
    return {agency.ori: agency for agency in demo_agencies()}


def test_every_ori_is_valid_and_unique() -> None:
    agencies = demo_agencies()
    assert len({agency.ori for agency in agencies}) == len(agencies)
    assert [a.ori for a in agencies] == sorted(a.ori for a in agencies)
    for agency in agencies:
        assert check_agency(agency) is None, agency


def test_51_jurisdictions_each_with_three_node_oris_and_state_police(
    demo: dict[str, Agency],
) -> None:
    assert set(STATE_NAMES) == set(US_STATES)
    assert len(US_STATES) == 51
    for state in US_STATES:
        for ori in node_oris(state):
            assert demo[ori].node
            assert demo[ori].agency_type is AgencyType.SA
            assert demo[ori].home_state == state
            assert demo[ori].missions == {Mission.MOTOR_VEHICLE_ADMINISTRATION}
        police = demo[f"{state}STP0000"]
        assert police.agency_type is AgencyType.SA
        assert Mission.CRIMINAL_LAW_ENFORCEMENT in police.missions
    assert sum(agency.node for agency in demo.values()) == 3 * 51
    assert demo["NYSTP0000"].name == "New York State Police"
    assert demo["CASTP0000"].name == "California Highway Patrol"


def test_a_few_hundred_local_agencies(demo: dict[str, Agency]) -> None:
    locals_ = [a for a in demo.values() if a.agency_type in (AgencyType.PD, AgencyType.SO)]
    generated = [a for a in locals_ if a.ori != SUSPENDED_ORI]
    assert len(generated) == 6 * 51
    assert 300 <= len(demo) <= 1000
    for agency in locals_:
        assert LOCAL_ORI.fullmatch(agency.ori), agency.ori
    types = Counter(a.agency_type for a in generated)
    assert types[AgencyType.PD] > types[AgencyType.SO] > 0
    for agency in generated:
        suffix = "Police Department" if agency.agency_type is AgencyType.PD else "Sheriff's Office"
        assert agency.name.endswith(suffix)


def test_federal_agencies_and_their_missions(demo: dict[str, Agency]) -> None:
    federal = {a.ori: a for a in demo.values() if a.federal}
    assert set(federal) == {
        "DCICE0000",
        "DCHSI0000",
        "DCCBP0000",
        "DCFBI0000",
        "DCDEA0000",
        "DCUSM0000",
        "DCATF0000",
    }
    for agency in federal.values():
        assert agency.agency_type is AgencyType.FE
        assert agency.home_state == "US"
    assert federal["DCICE0000"].missions == {Mission.IMMIGRATION_ENFORCEMENT}
    assert federal["DCHSI0000"].missions == {
        Mission.IMMIGRATION_ENFORCEMENT,
        Mission.CRIMINAL_LAW_ENFORCEMENT,
    }
    assert federal["DCCBP0000"].missions == {Mission.BORDER_CUSTOMS}
    for ori in ("DCFBI0000", "DCDEA0000", "DCUSM0000", "DCATF0000"):
        assert federal[ori].missions == {Mission.CRIMINAL_LAW_ENFORCEMENT}


def test_guide_agency_non_criminal_justice_and_suspended(demo: dict[str, Agency]) -> None:
    assert GUIDE_ORI == "AZNLETS20"
    assert demo[GUIDE_ORI].home_state == "AZ"
    assert demo[GUIDE_ORI].active
    non_cj = [a for a in demo.values() if not a.agency_type.criminal_justice]
    assert len(non_cj) >= 2
    suspended = [a.ori for a in demo.values() if a.status is AgencyStatus.SUSPENDED]
    assert suspended == [SUSPENDED_ORI]


def test_every_agency_type_but_jf_appears(demo: dict[str, Agency]) -> None:
    # JF is federal by definition and the demo's federal agencies are all FE.
    assert {a.agency_type for a in demo.values()} == set(AgencyType) - {AgencyType.JF}


def test_every_mission_appears(demo: dict[str, Agency]) -> None:
    assert {m for a in demo.values() for m in a.missions} == set(Mission)


def test_non_criminal_justice_agencies_by_mission(demo: dict[str, Agency]) -> None:
    non_cj = {a.ori: a for a in demo.values() if not a.agency_type.criminal_justice}
    missions = {m for a in non_cj.values() for m in a.missions}
    assert {
        Mission.MOTOR_VEHICLE_ADMINISTRATION,
        Mission.ELECTIONS,
        Mission.CHILD_WELFARE,
        Mission.PUBLIC,
    } <= missions
    assert not missions & {Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.IMMIGRATION_ENFORCEMENT}


def test_deterministic_by_seed() -> None:
    assert demo_agencies() == demo_agencies(seed=0)
    assert demo_agencies(seed=7) == demo_agencies(seed=7)
    assert demo_agencies(seed=7) != demo_agencies(seed=8)
    fixed = {
        a.ori for a in demo_agencies(seed=7) if a.agency_type not in (AgencyType.PD, AgencyType.SO)
    }
    assert fixed == {
        a.ori for a in demo_agencies(seed=8) if a.agency_type not in (AgencyType.PD, AgencyType.SO)
    }


def test_locals_per_state_bounds() -> None:
    assert len(demo_agencies(locals_per_state=0)) == len(demo_agencies()) - 6 * 51
    big = demo_agencies(locals_per_state=MAX_LOCALS_PER_STATE)
    assert len({a.ori for a in big}) == len(big)
    assert len({(a.home_state, a.name) for a in big}) == len(big)
    for bad in (-1, MAX_LOCALS_PER_STATE + 1):
        with pytest.raises(ValueError, match="locals_per_state"):
            demo_agencies(locals_per_state=bad)
