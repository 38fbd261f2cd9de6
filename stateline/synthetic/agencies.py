"""A deterministic, synthetic demo directory: state nodes and police, locals, federal agencies.

Every ORI and local name here is invented in the shape of the real thing; none is meant to
name a real agency's ORI. The layout of the ORIs (Stateline's choice, documented here):

- a state's bureau ORIs ``xxOLN0000``, ``xxLIC0000``, ``xxVIN0000`` (``node`` is true), its state
  police ``xxSTP0000`` and its corrections department ``xxDOC0000``;
- local agencies ``xx`` + 3-digit county + 2-digit agency + ``00``: counties are odd numbers as
  FIPS county codes are, sheriff's offices take agency ``00``, police departments ``01``-``19``;
- hand-placed agencies (prosecutor, court, probation, non-criminal-justice, a member of the
  public, the suspended one)
  use agency numbers ``50`` and up, so they never collide with generated ones;
- federal agencies sit in Washington, so their ORIs start with ``DC`` (a real region code, as
  every ORI must), while their home state is ``US``. Tell a federal agency by ``home_state`` or
  ``Agency.federal``, never by the ORI prefix.

Use certifications are filed as agencies really file them (``certified``): where a state's law
asks for one, its own criminal-justice agencies have filed it, and so have the federal
criminal-law agencies; immigration agencies have not, nor have a few local agencies.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from stateline.directory.checks import lic_ori, node_ori, vin_ori
from stateline.directory.model import (
    FEDERAL,
    Agency,
    AgencyStatus,
    AgencyType,
    Certification,
    Mission,
)
from stateline.directory.states import STATE_NAMES
from stateline.wire.grammar import US_STATES


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# What each state calls its state police; the rest say "State Police".
_POLICE_NAMES: dict[str, str] = {
    **{s: "Highway Patrol" for s in _words("CA FL KS MO MS MT NC ND NV OH OK SC SD TN UT WY")},
    **{s: "State Patrol" for s in _words("CO GA IA MN NE WA WI")},
    "AK": "State Troopers",
    "AZ": "Department of Public Safety",
    "TX": "Department of Public Safety",
}

_TOWN_STARTS = _words(
    "Oak Maple Cedar Pine Elm Willow Ash Birch Spring River Lake Fair Green Clear Stone Mill "
    "North West East South Red White Silver Bright Glen Rock Sand Iron Copper Hill"
)
_TOWN_ENDS = _words(
    "dale field ton ville wood brook ford view port burg haven crest ridge mont water"
)
_TOWNS = tuple(start + end for start in _TOWN_STARTS for end in _TOWN_ENDS)
_COUNTIES = _words(
    "Adams Benton Boone Carroll Clay Clinton Crawford Douglas Fayette Franklin Grant Greene "
    "Hamilton Harlan Henry Jackson Jefferson Knox Lawrence Lee Lincoln Logan Madison Marion "
    "Marshall Mercer Monroe Morgan Perry Pike Polk Putnam Scott Shelby Union Warren Wayne "
    "Calhoun Hancock Harrison Montgomery Randolph Sullivan Tyler Walker Wilson"
)

MAX_LOCALS_PER_STATE = 40
"""Bounded by the county-name pool, so sheriff's offices in one state never share a name."""

GUIDE_ORI = "AZNLETS20"
"""The Arizona sender in the public guide's examples (NLETS-FORMAT.md)."""

SUSPENDED_ORI = "PA0035000"
"""The demo's one suspended agency, for trying the AGENCY_SUSPENDED refusal."""

_POLICE = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.TRAFFIC_ENFORCEMENT})

FEDERAL_AGENCIES: tuple[Agency, ...] = tuple(
    Agency(ori, name, AgencyType.FE, FEDERAL, frozenset(missions))
    for ori, name, missions in (
        ("DCICE0000", "ICE Enforcement and Removal Operations", {Mission.IMMIGRATION_ENFORCEMENT}),
        (
            "DCHSI0000",
            "ICE Homeland Security Investigations",
            {Mission.IMMIGRATION_ENFORCEMENT, Mission.CRIMINAL_LAW_ENFORCEMENT},
        ),
        ("DCCBP0000", "U.S. Customs and Border Protection", {Mission.BORDER_CUSTOMS}),
        ("DCFBI0000", "Federal Bureau of Investigation", {Mission.CRIMINAL_LAW_ENFORCEMENT}),
        ("DCDEA0000", "Drug Enforcement Administration", {Mission.CRIMINAL_LAW_ENFORCEMENT}),
        ("DCUSM0000", "U.S. Marshals Service", {Mission.CRIMINAL_LAW_ENFORCEMENT}),
        (
            "DCATF0000",
            "Bureau of Alcohol, Tobacco, Firearms and Explosives",
            {Mission.CRIMINAL_LAW_ENFORCEMENT},
        ),
    )
)

_CRIMINAL = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})

# Hand-placed agencies: one of each remaining type, one per non-criminal-justice mission, one
# member of the public, one suspended. There is no JF (federal non-law-enforcement criminal
# justice) agency: the demo's federal agencies are all FE, and storage tests rely on that.
_HAND_PLACED: tuple[Agency, ...] = (
    Agency(GUIDE_ORI, "Arizona Example Agency (Nlets guide)", AgencyType.SA, "AZ", _POLICE),
    Agency(
        "IL0315000", "Harlan County State's Attorney", AgencyType.JA, "IL", _CRIMINAL,
    ),
    Agency(
        "OR0035000", "Benton County Circuit Court", AgencyType.JJ, "OR",
        frozenset({Mission.NON_LAW_ENFORCEMENT}),
    ),
    Agency(
        "OH0255000", "Franklin County Adult Probation", AgencyType.JG, "OH", _CRIMINAL,
    ),
    Agency(
        "TX2015000", "Marion County Juvenile Court", AgencyType.JJ, "TX",
        frozenset({Mission.NON_LAW_ENFORCEMENT}),
    ),
    Agency(
        "MA0095000", "Clearwater Transit Police", AgencyType.LE, "MA", _CRIMINAL,
    ),
    Agency(
        "MN0015000", "Minnesota Driver and Vehicle Services", AgencyType.NJ, "MN",
        frozenset({Mission.MOTOR_VEHICLE_ADMINISTRATION}),
    ),
    Agency(
        "MN1235000", "Minnesota Secretary of State (Elections)", AgencyType.NJ, "MN",
        frozenset({Mission.ELECTIONS}),
    ),
    Agency(
        "CO0315000", "Colorado Child Welfare Services", AgencyType.NJ, "CO",
        frozenset({Mission.CHILD_WELFARE}),
    ),
    Agency(
        "MA0175000", "Clearwater Gazette (public records requester)", AgencyType.PU, "MA",
        frozenset({Mission.PUBLIC}),
    ),
    Agency(
        SUSPENDED_ORI, "Stonebrook Police Department", AgencyType.PD, "PA", _POLICE,
        AgencyStatus.SUSPENDED,
    ),
)  # fmt: skip


def state_agencies(state: str) -> list[Agency]:
    """A state's own ORIs: its three node bureaus, its state police and its corrections."""
    name = STATE_NAMES[state]
    licensing = frozenset({Mission.MOTOR_VEHICLE_ADMINISTRATION})
    police = _POLICE_NAMES.get(state, "State Police")
    if state == "DC":
        police_name = "District of Columbia Metropolitan Police Department"
    else:
        police_name = f"{name} {police}"
    return [
        Agency(node_ori(state), f"{name} Driver Licence Bureau", AgencyType.SA, state,
               licensing, node=True),
        Agency(lic_ori(state), f"{name} Vehicle Registration (plates)", AgencyType.SA, state,
               licensing, node=True),
        Agency(vin_ori(state), f"{name} Vehicle Registration (VIN)", AgencyType.SA, state,
               licensing, node=True),
        Agency(f"{state}STP0000", police_name, AgencyType.SA, state, _POLICE),
        Agency(f"{state}DOC0000", f"{name} Department of Corrections", AgencyType.JC, state,
               _CRIMINAL),
    ]  # fmt: skip


def local_agencies(state: str, count: int, rng: random.Random) -> list[Agency]:
    """``count`` synthetic police departments and sheriff's offices in ``state``."""
    counties = rng.sample(range(1, 200, 2), count)
    towns = rng.sample(_TOWNS, count)
    county_names = rng.sample(_COUNTIES, count)
    agencies = []
    for i, county in enumerate(counties):
        # About two police departments to each sheriff's office, as in most states.
        if rng.random() < 2 / 3:
            ori = f"{state}{county:03d}{rng.randint(1, 19):02d}00"
            agencies.append(
                Agency(ori, f"{towns[i]} Police Department", AgencyType.PD, state, _POLICE)
            )
        else:
            agencies.append(
                Agency(
                    f"{state}{county:03d}0000",
                    f"{county_names[i]} County Sheriff's Office",
                    AgencyType.SO,
                    state,
                    _POLICE,
                )
            )
    return agencies


CERTIFYING_STATES = ("CO", "IL", "MD", "NY")
"""States whose law lets an agency at the records only once it has filed a use certification:
Colorado's yearly one of no immigration-enforcement use (C.R.S. 24-74-105), Illinois's for a
data-sharing agreement (625 ILCS 5/6-110.3(b)), Maryland's statement under penalty of perjury
(Pub. Safety 3-529(b)) and New York's recipient certification (VTL 201(12))."""

YEARLY = frozenset({"CO"})
"""Of those, the states where a certification holds for a year and is then renewed."""

_IMMIGRATION = frozenset({Mission.IMMIGRATION_ENFORCEMENT, Mission.BORDER_CUSTOMS})


def _filed(state: str, on: date, rng: random.Random, lapsed: bool = False) -> Certification:
    """A certification filed some months before ``on`` (over a year before, if ``lapsed``)."""
    filed = on - timedelta(days=rng.randint(400, 500) if lapsed else rng.randint(15, 300))
    expires = filed + timedelta(days=365) if state in YEARLY else None
    return Certification(state, filed, expires)


def certified(agencies: list[Agency], seed: int, on: date) -> list[Agency]:
    """``agencies`` with the use certifications they filed by ``on`` (see CERTIFYING_STATES).

    A state's own criminal-justice agencies file with it, and the federal criminal-law agencies
    with every such state. Immigration agencies never do: they could not certify that they
    make no immigration-enforcement use. In each state one local agency has none on file (in
    a state of yearly certifications, it let its last one lapse), so that the demo shows a
    police request refused for want of one.
    """
    # A generator of its own, so that the agencies a seed gives stay the same as before.
    rng = random.Random(f"certifications {seed}")
    gaps: dict[str, str] = {}  # ORI -> "unfiled" or "lapsed"
    for state in CERTIFYING_STATES:
        local = [a.ori for a in agencies if a.home_state == state and _is_local(a) and a.active]
        if local:
            gaps[rng.choice(local)] = "lapsed" if state in YEARLY else "unfiled"
    out = []
    for agency in agencies:
        if agency.node or not agency.agency_type.criminal_justice or agency.missions & _IMMIGRATION:
            states: tuple[str, ...] = ()
        elif agency.federal:
            states = (
                CERTIFYING_STATES if Mission.CRIMINAL_LAW_ENFORCEMENT in agency.missions else ()
            )
        else:
            states = (agency.home_state,) if agency.home_state in CERTIFYING_STATES else ()
        gap = gaps.get(agency.ori)
        filed = tuple(
            _filed(s, on, rng, lapsed=gap == "lapsed") for s in states if gap != "unfiled"
        )
        out.append(replace(agency, certifications=filed) if filed else agency)
    return out


def _is_local(agency: Agency) -> bool:
    return agency.agency_type in (AgencyType.PD, AgencyType.SO)


def demo_agencies(seed: int = 0, locals_per_state: int = 6, on: date | None = None) -> list[Agency]:
    """The demo directory, sorted by ORI; the same ``seed`` always gives the same list.

    Only the local agencies, which of them have no certification, and the certifications'
    dates depend on ``seed``; the state, federal and hand-placed agencies are fixed.
    Certifications are dated some months before ``on`` (default: today), so that they are
    current on the day the demo runs.
    """
    if not 0 <= locals_per_state <= MAX_LOCALS_PER_STATE:
        raise ValueError(f"locals_per_state must be from 0 to {MAX_LOCALS_PER_STATE}")
    rng = random.Random(seed)
    agencies: list[Agency] = []
    for state in US_STATES:
        agencies += state_agencies(state)
        agencies += local_agencies(state, locals_per_state, rng)
    agencies += _HAND_PLACED
    agencies += FEDERAL_AGENCIES
    agencies.sort(key=lambda agency: agency.ori)
    return certified(agencies, seed, on or date.today())
