"""Tests for stateline/directory/file.py."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stateline.directory.file import (
    DirectoryError,
    dump_directory,
    format_directory,
    load_directory,
    parse_directory,
)
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Certification, Mission
from stateline.synthetic.agencies import demo_agencies


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ori": "NY0010100",
        "name": "Oakdale Police Department",
        "agency_type": "PD",
        "home_state": "NY",
        "missions": ["criminal-law-enforcement"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def parse(*entries: Any) -> list[Agency]:
    return parse_directory(json.dumps(list(entries)))


def test_round_trip_of_the_demo_directory(tmp_path: Path) -> None:
    agencies = demo_agencies()
    path = tmp_path / "directory.json"
    dump_directory(agencies, path)
    assert load_directory(path) == agencies
    assert load_directory(str(path)) == agencies


def test_the_written_form() -> None:
    agency = Agency(
        "DCHSI0000",
        "ICE Homeland Security Investigations",
        AgencyType.FE,
        "US",
        frozenset({Mission.IMMIGRATION_ENFORCEMENT, Mission.CRIMINAL_LAW_ENFORCEMENT}),
    )
    assert json.loads(format_directory([agency])) == [
        {
            "ori": "DCHSI0000",
            "name": "ICE Homeland Security Investigations",
            "agency_type": "FE",
            "home_state": "US",
            "missions": ["criminal-law-enforcement", "immigration-enforcement"],
            "status": "active",
            "node": False,
            "certifications": [],
        }
    ]


def test_certifications_are_read_in_state_order_and_written_back() -> None:
    filed = [
        {"state": "MD", "filed": "2025-03-01"},
        {"state": "CO", "filed": "2025-01-15", "expires": "2026-01-15"},
    ]
    [agency] = parse(entry(certifications=filed))
    assert agency.certifications == (
        Certification("CO", date(2025, 1, 15), date(2026, 1, 15)),
        Certification("MD", date(2025, 3, 1)),
    )
    assert parse_directory(format_directory([agency])) == [agency]


def test_status_and_node_default_to_active_and_false() -> None:
    [agency] = parse(entry())
    assert agency.status is AgencyStatus.ACTIVE
    assert agency.node is False
    [suspended] = parse(entry(status="suspended"))
    assert suspended.status is AgencyStatus.SUSPENDED


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry(ori="NY001010"), "directory entry 1 (NY001010): ORI must be 9 characters, not 8"),
        (entry(ori="XX0010100"), "directory entry 1 (XX0010100): ORI starts with 'XX'"),
        (entry(ori=12), "directory entry 1: ori must be a string"),
        (entry(agency_type="XX"), "directory entry 1 (NY0010100): unknown agency type 'XX'"),
        (entry(missions=["spying"]), "directory entry 1 (NY0010100): unknown mission 'spying'"),
        (entry(missions="courts"), "missions must be a list of strings"),
        (entry(missions=[]), "no missions"),
        (entry(status="retired"), "unknown status 'retired'"),
        (entry(status=["active"]), "unknown status"),
        (entry(node="yes"), "node must be true or false"),
        (entry(node=True), "node must be true exactly"),
        (entry(home_state="NJ"), "home state is 'NJ'"),
        (entry(name=None), "directory entry 1 (NY0010100): missing field name"),
        (entry(nmae="typo"), "unknown field nmae"),
        (entry(name=""), "name is empty"),
        (entry(certifications="CO"), "certifications must be a list"),
        (entry(certifications=["CO"]), "a certification must be a JSON object"),
        (entry(certifications=[{"state": "CO"}]), "a certification needs state and filed"),
        (
            entry(certifications=[{"state": "CO", "filed": "2025-01-01", "by": "x"}]),
            "unknown certification field by",
        ),
        (
            entry(certifications=[{"state": "CO", "filed": "01/01/2025"}]),
            "certification filed '01/01/2025' is not a date",
        ),
        (entry(certifications=[{"state": "ON", "filed": "2025-01-01"}]), "runs no node"),
        (
            entry(certifications=[{"state": "CO", "filed": "2025-01-01"}] * 2),
            "more than one certification with one state",
        ),
        (
            entry(certifications=[{"state": "CO", "filed": "2025-01-01", "expires": "2024-01-01"}]),
            "expires before it is filed",
        ),
    ],
)
def test_each_bad_entry_is_named_with_its_problem(bad: dict[str, Any], message: str) -> None:
    good = entry(ori="AZNLETS20", home_state="AZ", agency_type="SA")
    with pytest.raises(DirectoryError) as caught:
        parse(good, bad)
    assert message in str(caught.value)
    assert caught.value.index == 1


def test_duplicate_ori() -> None:
    with pytest.raises(DirectoryError) as caught:
        parse(entry(), entry(ori="AZNLETS20", home_state="AZ"), entry(name="Another"))
    assert str(caught.value) == "directory entry 2 (NY0010100): duplicate ORI"
    assert caught.value.ori == "NY0010100"
    assert caught.value.problem == "duplicate ORI"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[", "directory: not valid JSON"),
        (b"\xff\xfe[", "directory: not valid JSON"),
        ('{"ori": "NY0010100"}', "directory: must be a JSON list"),
        ('["NY0010100"]', "directory entry 0: must be a JSON object"),
    ],
)
def test_bad_documents(text: str | bytes, message: str) -> None:
    with pytest.raises(DirectoryError, match=message):
        parse_directory(text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="cannot read"):
        load_directory(tmp_path / "absent.json")


def test_empty_directory() -> None:
    assert parse_directory("[]") == []
