"""Tests for stateline/directory/checks.py and the enums of model.py."""

from __future__ import annotations

import pytest

from stateline.directory.checks import (
    SenderRefusal,
    check_agency,
    check_ori,
    check_sender,
    is_node_ori,
    lic_ori,
    node_ori,
    node_oris,
    state_of,
    vin_ori,
)
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Mission
from stateline.wire.errors import ErReason
from stateline.wire.grammar import SWITCH_ORI

POLICE = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})


def agency(ori: str = "NY0010100", **changes: object) -> Agency:
    fields: dict[str, object] = {
        "ori": ori,
        "name": "Oakdale Police Department",
        "agency_type": AgencyType.PD,
        "home_state": ori[:2],
        "missions": POLICE,
    }
    fields.update(changes)
    return Agency(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("ori", ["NY0010100", "AZNLETS20", "DCICE0000", "USFBI0000", "ONOPP0000"])
def test_check_ori_accepts_well_formed_oris(ori: str) -> None:
    assert check_ori(ori) is None


@pytest.mark.parametrize(
    ("ori", "words"),
    [
        ("", "9 characters, not 0"),
        ("NY001010", "9 characters, not 8"),
        ("NY00101000", "9 characters, not 10"),
        ("ny0010100", "capital"),
        ("NY001010!", "capital"),
        ("1Y0010100", "capital"),
        ("NY 010100", "capital"),
        ("XX0010100", "'XX'"),
        ("ZZOLN0000", "not a state or region code"),
    ],
)
def test_check_ori_gives_a_plain_reason(ori: str, words: str) -> None:
    reason = check_ori(ori)
    assert reason is not None
    assert words in reason


def test_state_of_is_the_first_two_letters() -> None:
    assert state_of("NY0010100") == "NY"
    assert state_of("DCICE0000") == "DC"


def test_node_oris_of_a_state() -> None:
    assert node_ori("NY") == "NYOLN0000"
    assert lic_ori("AZ") == "AZLIC0000"
    assert vin_ori("DC") == "DCVIN0000"
    assert node_oris("TX") == ("TXOLN0000", "TXLIC0000", "TXVIN0000")


@pytest.mark.parametrize("state", ["PR", "US", "ON", "XX", "ny", "NL"])
def test_node_oris_exist_only_for_the_states_and_dc(state: str) -> None:
    with pytest.raises(ValueError, match="50 states or DC"):
        node_ori(state)
    with pytest.raises(ValueError):
        lic_ori(state)
    with pytest.raises(ValueError):
        vin_ori(state)


@pytest.mark.parametrize(
    ("ori", "expected"),
    [
        ("NYOLN0000", True),
        ("NYLIC0000", True),
        ("DCVIN0000", True),
        ("PROLN0000", False),  # territories run no node
        ("NYOLN0001", False),
        ("NY0010100", False),
        ("NYSTP0000", False),
    ],
)
def test_is_node_ori(ori: str, expected: bool) -> None:
    assert is_node_ori(ori) is expected


def test_check_agency_accepts_local_node_and_federal_entries() -> None:
    assert check_agency(agency()) is None
    node = agency("NYOLN0000", agency_type=AgencyType.SA, node=True)
    assert check_agency(node) is None
    federal = agency("DCICE0000", agency_type=AgencyType.FE, home_state="US")
    assert check_agency(federal) is None


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (agency("NY001010"), "9 characters"),
        (agency(SWITCH_ORI), "switch"),
        (agency(name="  "), "name is empty"),
        (agency(name="X" * 101), "longer than 100"),
        (agency(home_state="ZZ"), "home state 'ZZ'"),
        (agency(home_state="NJ"), "starts with 'NY' but home state is 'NJ'"),
        (agency("NYOLN0000", agency_type=AgencyType.SA), "node must be true"),
        (agency(node=True), "node must be true"),
        (agency(missions=frozenset()), "no missions"),
    ],
)
def test_check_agency_refusals(entry: Agency, words: str) -> None:
    reason = check_agency(entry)
    assert reason is not None
    assert words in reason


def test_sender_refusals_map_to_their_er_reasons() -> None:
    assert SenderRefusal.NO_CREDENTIAL.reason is ErReason.NO_CREDENTIAL
    assert SenderRefusal.UNKNOWN_SENDER.reason.number == 43
    assert SenderRefusal.CREDENTIAL_MISMATCH.reason.number == 41
    assert SenderRefusal.AGENCY_SUSPENDED.reason.number == 42
    assert SenderRefusal.NO_CREDENTIAL.reason.number == 40


def test_check_sender_accepts_an_active_agency_with_its_own_credential() -> None:
    assert check_sender(agency(), "NY0010100", "NY0010100") is None


def test_check_sender_refuses_in_order() -> None:
    suspended = agency(status=AgencyStatus.SUSPENDED)
    # Every fault at once: the missing credential is named first.
    assert check_sender(None, "NY0010100", None) is SenderRefusal.NO_CREDENTIAL
    assert check_sender(suspended, "NY0010100", None) is SenderRefusal.NO_CREDENTIAL
    # Authenticated, but the sending ORI is not in the directory.
    assert check_sender(None, "NY0010100", "AZNLETS20") is SenderRefusal.UNKNOWN_SENDER
    # Known sender, credential of another agency: mismatch before suspension.
    assert check_sender(suspended, "NY0010100", "AZNLETS20") is (SenderRefusal.CREDENTIAL_MISMATCH)
    assert check_sender(suspended, "NY0010100", "NY0010100") is SenderRefusal.AGENCY_SUSPENDED


def test_check_sender_refuses_an_entry_for_another_ori() -> None:
    with pytest.raises(ValueError, match="passed for sending ORI"):
        check_sender(agency("AZNLETS20", agency_type=AgencyType.SA), "NY0010100", "NY0010100")


def test_every_agency_type_is_described_and_only_nj_and_pu_are_not_criminal_justice() -> None:
    for agency_type in AgencyType:
        assert agency_type.description
        assert agency_type.criminal_justice is (agency_type not in (AgencyType.NJ, AgencyType.PU))
    assert AgencyType.SO.description == "sheriff's office"
    assert AgencyType.JJ.description == "court"
    assert AgencyType.JF.description == "federal non-law-enforcement criminal justice"


def test_types_and_missions_are_the_scenario_vocabulary() -> None:
    # scenarios/FORMAT.md is the contract: these lists are copied from it on purpose.
    assert [t.value for t in AgencyType] == (
        "PD SO SA LE FE JA JC JG JJ JF NJ PU".split()  # noqa: SIM905
    )
    assert [m.value for m in Mission] == [
        "criminal-law-enforcement",
        "immigration-enforcement",
        "border-customs",
        "traffic-enforcement",
        "motor-vehicle-administration",
        "elections",
        "child-welfare",
        "non-law-enforcement",
        "public",
    ]


def test_every_mission_is_described() -> None:
    for mission in Mission:
        assert mission.description
    assert Mission("immigration-enforcement") is Mission.IMMIGRATION_ENFORCEMENT


def test_agency_federal_and_active() -> None:
    assert agency("DCICE0000", agency_type=AgencyType.FE, home_state="US").federal
    assert not agency().federal
    assert agency().active
    assert not agency(status=AgencyStatus.SUSPENDED).active


def test_a_certification_is_current_from_filing_until_it_expires() -> None:
    from datetime import date

    from stateline.directory.model import Certification

    yearly = Certification("CO", date(2026, 1, 15), date(2027, 1, 15))
    assert not yearly.current(date(2026, 1, 14))
    assert yearly.current(date(2026, 1, 15)) and yearly.current(date(2027, 1, 14))
    assert not yearly.current(date(2027, 1, 15))
    assert Certification("MD", date(2020, 1, 1)).current(date(2040, 1, 1))
    certified = agency(certifications=(yearly,))
    assert certified.certified_with("CO", date(2026, 6, 1))
    assert not certified.certified_with("MD", date(2026, 6, 1))
    assert check_agency(certified) is None
    unsorted = agency(certifications=(Certification("MD", date(2026, 1, 1)), yearly))
    assert check_agency(unsorted) == "certifications are not in state order"
