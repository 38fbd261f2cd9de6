"""Tests for stateline/node/policy/missing.py: what a denied request lacks, by its policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.bundle import load_bundle
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.missing import (
    Lack,
    Missing,
    denied_classes,
    missing,
    missing_lines,
    missing_notes,
)
from stateline.node.policy.model import Decision, LegalProcess, Outcome, Purpose
from stateline.node.policy.statusquo import StatusQuoPolicy
from stateline.wire.grammar import DataClass
from tests.node.policy.helpers import ICE, POLICE, request, write_bundle

A = DataClass.ADDRESS
I = DataClass.IDENTITY  # noqa: E741 - the class's initial, as the others
P = DataClass.PHOTO
COURT = (
    LegalProcess.JUDICIAL_WARRANT,
    LegalProcess.MAGISTRATE_WARRANT,
    LegalProcess.COURT_ORDER,
    LegalProcess.JUDICIAL_SUBPOENA,
    LegalProcess.GRAND_JURY_SUBPOENA,
)


@pytest.fixture(scope="module")
def bundles() -> dict[str, CedarPolicy]:
    return {name: CedarPolicy.load(name) for name in ("co", "md", "ca", "status-quo")}


def lines(policy: CedarPolicy, **facts: object) -> list[str]:
    asked = request(**facts)  # type: ignore[arg-type]
    return missing_notes(policy, asked, policy.decide(asked))


def test_colorado_asks_an_uncertified_police_query_for_the_certification_or_process(
    bundles: dict[str, CedarPolicy],
) -> None:
    asked = request("CO", POLICE, certified=False, purpose=Purpose.UNSTATED)
    found = missing(bundles["co"], asked, bundles["co"].decide(asked))
    assert found[0] == Missing(Lack.CERTIFICATION, frozenset({I, A}))
    assert found[1].lack is Lack.LEGAL_PROCESS and set(COURT) <= set(found[1].options)
    assert lines(bundles["co"], state="CO", certified=False, purpose=Purpose.UNSTATED) == [
        "MISSING: A USE CERTIFICATION ON FILE WITH CO",
        "OR: LEGAL PROCESS (LPK/): ADMINISTRATIVE SUBPOENA, JUDICIAL WARRANT, MAGISTRATE WARRANT,"
        " COURT ORDER, JUDICIAL SUBPOENA OR GRAND JURY SUBPOENA",
    ]


def test_maryland_names_a_warrant_and_the_classes_a_warrant_must_name(
    bundles: dict[str, CedarPolicy],
) -> None:
    immigration: dict[str, object] = {"state": "MD", "requester": ICE, "certified": False}
    immigration["purpose"] = Purpose.CIVIL_IMMIGRATION_ENFORCEMENT
    assert lines(bundles["md"], **immigration) == [
        "MISSING: LEGAL PROCESS (LPK/): JUDICIAL WARRANT OR MAGISTRATE WARRANT"
    ]
    narrow = lines(
        bundles["md"],
        **immigration,
        data=(I, A, P),
        process=LegalProcess.JUDICIAL_WARRANT,
        covers=frozenset({A}),
    )
    assert narrow == ["MISSING: LEGAL PROCESS THAT NAMES IDENTITY, PHOTO (LPS/)"]


def test_california_asks_for_a_stated_purpose(bundles: dict[str, CedarPolicy]) -> None:
    police = lines(bundles["ca"], state="CA", purpose=Purpose.UNSTATED, certified=False)
    assert police[0] == (
        "MISSING: A STATED PURPOSE (PRP/) OTHER THAN CIVIL IMMIGRATION ENFORCEMENT OR"
        " BORDER ADMISSIBILITY"
    )
    # For ICE, a judge's warrant or order only gets the request to California's counsel.
    ice = lines(bundles["ca"], state="CA", requester=ICE, purpose=Purpose.UNSTATED)
    assert (
        ice[1] == "OR: LEGAL PROCESS (LPK/): JUDICIAL WARRANT OR COURT ORDER, THEN REVIEWED BY CA"
    )


def test_nothing_is_missing_from_a_release_or_a_review(bundles: dict[str, CedarPolicy]) -> None:
    assert lines(bundles["co"], state="CO") == []
    decision = bundles["ca"].decide(
        request(
            "CA",
            ICE,
            purpose=Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,
            process=LegalProcess.JUDICIAL_WARRANT,
        )
    )
    assert decision.outcome is Outcome.REVIEW
    assert denied_classes(decision) == frozenset()


def test_a_state_that_never_opens_a_class_gets_no_line(tmp_path: Path) -> None:
    never = (
        '@id("all")\npermit (principal, action, resource);\n'
        '@id("no-photos")\nforbid (principal, action in Action::"photo", resource);\n'
    )
    policy = CedarPolicy(load_bundle(write_bundle(tmp_path / "b", never)))
    asked = request(data=(P,), purpose=Purpose.UNSTATED, certified=False)
    decision = policy.decide(asked)
    assert decision.outcome is Outcome.DENY
    assert missing(policy, asked, decision) == ()


def test_policy_errors_are_not_blamed_on_the_request() -> None:
    failed = Decision.deny("POLICY ERROR")
    assert denied_classes(failed) == frozenset()


def test_a_python_policy_is_asked_the_same_way() -> None:
    public = Agency("NY0010199", "A reader", AgencyType.PU, "NY", frozenset({Mission.PUBLIC}))
    asked = request(requester=public, purpose=Purpose.UNSTATED)
    decision = StatusQuoPolicy().decide(asked)
    assert decision.outcome is Outcome.DENY
    assert missing(StatusQuoPolicy(), asked, decision) == ()


def test_lines_group_alternatives_by_the_classes_they_open() -> None:
    items = [
        Missing(Lack.PURPOSE, frozenset({I}), (Purpose.TRUSTED_TRAVELER_VETTING,)),
        Missing(Lack.LEGAL_PROCESS, frozenset({I, A}), (LegalProcess.COURT_ORDER,)),
        Missing(Lack.COVERAGE, frozenset({I, A})),
    ]
    assert missing_lines(items, frozenset({I, A}), "NY") == [
        "MISSING FOR IDENTITY: A STATED PURPOSE (PRP/): TRUSTED TRAVELER VETTING",
        "MISSING: LEGAL PROCESS (LPK/): COURT ORDER",
        "OR: LEGAL PROCESS THAT NAMES IDENTITY, ADDRESS (LPS/)",
    ]
