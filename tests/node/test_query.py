"""Tests for stateline/node/query.py: what the policy learns from a query's tags."""

from __future__ import annotations

from datetime import date

import pytest

from stateline.directory.model import Agency, AgencyType, Certification, Mission
from stateline.node.policy.model import LegalProcess, Purpose
from stateline.node.query import cited_process, policy_request, stated_purpose
from stateline.node.review.model import CitedProcess
from stateline.transport.base import Delivery
from stateline.wire import text
from stateline.wire.grammar import MKE, DataClass
from stateline.wire.messages import Query

TODAY = date(2026, 3, 2)
POLICE = Agency(
    "KS0010100",
    "Prairie City Police Department",
    AgencyType.PD,
    "KS",
    frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT}),
    certifications=(Certification("CO", date(2025, 6, 1), date(2026, 6, 1)),),
)


def query(fields: str, mke: str = "DQ") -> Query:
    parsed = text.parse(f"{mke}.KS0010100.CO.TXT\n{fields}")
    assert isinstance(parsed, Query), parsed
    return parsed


def delivery(fields: str, mke: str = "DQ") -> Delivery:
    return Delivery("m1", query(fields, mke), POLICE, "COOLN0000")


@pytest.mark.parametrize(
    ("fields", "purpose"),
    [
        ("OLN/D1", Purpose.UNSTATED),
        ("OLN/D1.PRP/CRIMINAL-INVESTIGATION", Purpose.CRIMINAL_INVESTIGATION),
        ("OLN/D1.RSN/N", Purpose.CRIMINAL_INVESTIGATION),
        ("OLN/D1.RSN/T", Purpose.TRAFFIC_ENFORCEMENT),
        ("OLN/D1.RSN/H", Purpose.UNSTATED),
        ("OLN/D1.RSN/I", Purpose.UNSTATED),
        ("OLN/D1.PUR/C", Purpose.CRIMINAL_INVESTIGATION),
        ("OLN/D1.RSN/T.PUR/C", Purpose.TRAFFIC_ENFORCEMENT),  # RSN/ before PUR/
        ("OLN/D1.RSN/H.PUR/C", Purpose.CRIMINAL_INVESTIGATION),
        ("OLN/D1.RSN/N.PRP/CHILD-WELFARE", Purpose.CHILD_WELFARE),  # PRP/ wins
    ],
)
def test_the_purpose_from_prp_or_the_legacy_codes(fields: str, purpose: Purpose) -> None:
    assert stated_purpose(query(fields)) is purpose


def test_the_cited_process_with_every_detail() -> None:
    cited = cited_process(
        query(
            "OLN/D1.LPK/JUDICIAL-WARRANT.LPN/1:26-MJ-00042.LPC/US DISTRICT COURT CO"
            ".LPJ/ROE,RICHARD.LPD/20260105.LPS/ADDRESS,PHOTO.DOC/A1"
        )
    )
    assert cited == CitedProcess(
        kind="judicial-warrant",
        number="1:26-MJ-00042",
        court="US DISTRICT COURT CO",
        judge="ROE,RICHARD",
        issued=date(2026, 1, 5),
        covers=frozenset({DataClass.ADDRESS, DataClass.PHOTO}),
    )
    assert cited_process(query("OLN/D1")) is None
    bare = cited_process(query("OLN/D1.LPK/COURT-ORDER"))
    assert bare == CitedProcess("court-order")  # covers None: the whole request


def test_policy_request_carries_every_fact() -> None:
    request = policy_request(
        "CO",
        delivery(
            "OLN/D1.IMQ/Y.PRP/CRIMINAL-INVESTIGATION.AFM/IMMIGRATION-ENFORCEMENT,BORDER-CUSTOMS"
            ".NDR/Y.LPK/MAGISTRATE-WARRANT.LPS/ADDRESS"
        ),
        TODAY,
    )
    assert request.purpose is Purpose.CRIMINAL_INVESTIGATION
    assert request.acting_for_missions == frozenset({"immigration-enforcement", "border-customs"})
    assert request.notice_delay_requested
    assert request.legal_process is LegalProcess.MAGISTRATE_WARRANT
    assert request.legal_process_covers == frozenset({DataClass.ADDRESS})
    assert request.certification_on_file
    assert DataClass.PHOTO in request.requested
    assert request.mke is MKE.DQ


def test_policy_request_defaults_say_nothing_was_given() -> None:
    request = policy_request("CO", delivery("OLN/D1"), TODAY)
    assert request.purpose is Purpose.UNSTATED
    assert request.legal_process is LegalProcess.NONE
    assert request.legal_process_covers is None
    assert request.acting_for_missions == frozenset()
    assert not request.notice_delay_requested


def test_the_certification_counts_for_its_state_while_current() -> None:
    assert policy_request("CO", delivery("OLN/D1"), TODAY).certification_on_file
    assert not policy_request("MD", delivery("OLN/D1"), TODAY).certification_on_file
    expired = date(2026, 6, 1)
    assert not policy_request("CO", delivery("OLN/D1"), expired).certification_on_file
