"""Tests for stateline/synthetic/agencies.py."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from stateline.directory.checks import check_agency, node_oris
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Mission
from stateline.directory.states import STATE_NAMES
from stateline.node.policy.bundle import bundle_for_state
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.model import Outcome, PolicyRequest, Purpose
from stateline.node.query import REQUESTED
from stateline.synthetic.agencies import (
    CERTIFYING_STATES,
    GUIDE_ORI,
    MAX_LOCALS_PER_STATE,
    SUSPENDED_ORI,
    demo_agencies,
)
from stateline.wire.grammar import MKE, US_STATES

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


TODAY = date(2026, 12, 7)


def test_the_certifying_states_are_those_whose_law_asks_police_for_one() -> None:
    missions = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.TRAFFIC_ENFORCEMENT})
    asks = set()
    for state in US_STATES:
        policy = CedarPolicy.load(bundle_for_state(state))
        police = Agency(f"{state}0010100", "Test Police", AgencyType.PD, state, missions)
        request = PolicyRequest(
            state,
            MKE.DQ,
            police,
            requested=REQUESTED[MKE.DQ],
            purpose=Purpose.CRIMINAL_INVESTIGATION,
        )
        with_one = policy.decide(replace(request, certification_on_file=True))
        assert with_one.outcome is Outcome.RELEASE, state
        if policy.decide(request).outcome is not Outcome.RELEASE:
            asks.add(state)
    assert asks == set(CERTIFYING_STATES)


def test_most_police_have_certified_with_their_own_state_where_its_law_asks() -> None:
    agencies = demo_agencies(on=TODAY)
    for state in CERTIFYING_STATES:
        own = [
            a
            for a in agencies
            if a.home_state == state and a.agency_type.criminal_justice and not a.node
        ]
        lacking = [a for a in own if not a.certified_with(state, TODAY)]
        assert len(lacking) == 1 and lacking[0].agency_type in (AgencyType.PD, AgencyType.SO)
        assert all(a.certified_with(state, TODAY) for a in own if a.agency_type is AgencyType.SA)
        assert len(own) >= 7
    # Colorado's is renewed every year: its one local agency lacking it let it lapse.
    lapsed = [c for a in agencies for c in a.certifications if not c.current(TODAY)]
    assert [c.state for c in lapsed] == ["CO"]
    assert lapsed[0].expires is not None and lapsed[0].expires <= TODAY
    # Only with their own state: New York's police have not filed with Colorado or Maryland.
    new_york = {a.ori: a for a in agencies}["NYSTP0000"]
    assert [c.state for c in new_york.certifications] == ["NY"]


def test_federal_police_certify_everywhere_and_immigration_agencies_nowhere() -> None:
    agencies = {a.ori: a for a in demo_agencies(on=TODAY)}
    for ori in ("DCFBI0000", "DCDEA0000", "DCUSM0000", "DCATF0000"):
        assert all(agencies[ori].certified_with(s, TODAY) for s in CERTIFYING_STATES)
    for ori in ("DCICE0000", "DCHSI0000", "DCCBP0000"):
        assert agencies[ori].certifications == ()
    for agency in agencies.values():
        if agency.node or not agency.agency_type.criminal_justice:
            assert agency.certifications == ()
        assert {c.state for c in agency.certifications} <= set(CERTIFYING_STATES)


def test_certifications_are_current_on_the_day_asked_for() -> None:
    for day in (date(2026, 1, 1), TODAY, date(2031, 6, 30)):
        agencies = demo_agencies(on=day)
        filed = [c for a in agencies for c in a.certifications]
        assert filed and all(c.filed < day for c in filed)
        assert sum(not c.current(day) for c in filed) == 1  # the lapsed one in Colorado
    assert demo_agencies(seed=3, on=TODAY) == demo_agencies(seed=3, on=TODAY)
