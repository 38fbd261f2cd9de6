"""Tests for stateline/node/policy/decide.py: outcomes, review, fail-closed, credentials, duties."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import product
from pathlib import Path

import pytest

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.bundle import load_bundle
from stateline.node.policy.decide import CedarPolicy, merge_duties
from stateline.node.policy.model import (
    LOG,
    Credential,
    Decision,
    Duty,
    DutyKind,
    LegalProcess,
    Outcome,
    Policy,
    Purpose,
    Verdict,
)
from stateline.node.policy.statusquo import StatusQuoPolicy
from stateline.wire.grammar import DataClass
from tests.node.policy.helpers import ICE, POLICE, request, write_bundle

PERMIT_ALL = '@id("all")\npermit (principal, action, resource);\n'


def policy_from(tmp_path: Path, policies: str, cache_size: int = 4096) -> CedarPolicy:
    return CedarPolicy(load_bundle(write_bundle(tmp_path / "b", policies)), cache_size)


def test_cedar_policy_meets_the_policy_protocol() -> None:
    policy: Policy = CedarPolicy.load("status-quo")
    assert policy.decide(request()).outcome is Outcome.RELEASE


def test_the_status_quo_bundle_agrees_with_the_python_status_quo() -> None:
    cedar, python = CedarPolicy.load("status-quo"), StatusQuoPolicy()
    for agency_type, data in product(AgencyType, (frozenset(), frozenset({DataClass.PHOTO}))):
        agency = Agency("XX0000000", "x", agency_type, "NY", frozenset({Mission.PUBLIC}))
        req = replace(request(requester=agency), requested=data)
        ours, theirs = cedar.decide(req), python.decide(req)
        assert (ours.outcome, ours.released) == (theirs.outcome, theirs.released), agency_type


def test_release_redacted_names_the_deciding_policies_per_class(tmp_path: Path) -> None:
    policy = policy_from(
        tmp_path,
        PERMIT_ALL + '@id("no-photo")\nforbid (principal, action in Action::"photo", resource);\n',
    )
    decision = policy.decide(request(data=(DataClass.ADDRESS, DataClass.PHOTO)))
    assert decision.outcome is Outcome.WITHHOLD
    assert decision.released == {DataClass.ADDRESS}
    assert decision.withheld == {DataClass.PHOTO}
    assert [(c.data_class, c.verdict, c.policy_ids) for c in decision.classes] == [
        (DataClass.ADDRESS, Verdict.RELEASE, ("all",)),
        (DataClass.PHOTO, Verdict.DENY, ("no-photo",)),
    ]
    assert decision.policy_ids == ("all", "no-photo")


def test_no_permit_is_a_deny_with_a_reason(tmp_path: Path) -> None:
    policy = policy_from(
        tmp_path,
        '@id("nobody")\npermit (principal, action, resource)\nwhen { principal.type == "XX" };\n',
    )
    decision = policy.decide(request())
    assert decision.outcome is Outcome.DENY
    assert decision.policy_ids == ()
    assert decision.reasons == ("NO POLICY PERMITS THIS REQUEST",)


def test_a_review_forbid_holds_the_request_and_a_hard_forbid_beats_it(tmp_path: Path) -> None:
    policy = policy_from(
        tmp_path,
        PERMIT_ALL + '@id("ask")\n@review("a person decides")\n@escalate("counsel")\n'
        'forbid (principal, action, resource) when { context.process == "magistrate-warrant" };\n'
        '@id("never-ssn")\nforbid (principal, action in Action::"ssn", resource);\n',
    )
    held = policy.decide(
        request(process=LegalProcess.MAGISTRATE_WARRANT, data=(DataClass.ADDRESS, DataClass.SSN))
    )
    assert held.outcome is Outcome.REVIEW
    assert held.released == frozenset()
    assert held.held == {DataClass.ADDRESS}
    assert held.withheld == {DataClass.ADDRESS, DataClass.SSN}
    assert held.reasons == ("a person decides",)
    assert Duty(DutyKind.ESCALATE_COUNSEL) in held.duties
    ssn = next(c for c in held.classes if c.data_class is DataClass.SSN)
    assert (ssn.verdict, ssn.policy_ids) == (Verdict.DENY, ("never-ssn",))


def test_allow_with_an_evaluation_error_is_a_deny_logged_without_personal_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The forbid overflows when the requester is certified: Cedar skips it and says Allow.
    policy = policy_from(
        tmp_path,
        PERMIT_ALL + '@id("broken")\nforbid (principal, action, resource)\n'
        "when { 9223372036854775807 + (if principal.certified then 1 else 0) < 0 };\n",
    )
    with caplog.at_level(logging.ERROR):
        decision = policy.decide(request(certified=True, data=(DataClass.ADDRESS,)))
    assert decision.outcome is Outcome.DENY
    assert decision.classes[0].error
    assert "POLICY ERROR" in decision.reasons
    assert "policy evaluation error" in caplog.text
    assert "Oakdale" not in caplog.text
    assert policy.decide(request(certified=False)).outcome is Outcome.RELEASE


def test_any_credential_takes_the_strictest_answer_and_says_it_depends() -> None:
    mn = CedarPolicy.load("mn")
    status = (DataClass.IMMIGRATION_STATUS, DataClass.ADDRESS)
    unknown = mn.decide(request("MN", requester=ICE, data=status))
    assert unknown.outcome is Outcome.WITHHOLD
    assert unknown.released == {DataClass.ADDRESS}
    assert unknown.depends_on_credential
    real_id = mn.decide(request("MN", requester=ICE, data=status, credential=Credential.REAL_ID))
    assert real_id.outcome is Outcome.RELEASE and not real_id.depends_on_credential
    standard = mn.decide(request("MN", requester=ICE, data=status, credential=Credential.STANDARD))
    assert standard.released == {DataClass.ADDRESS} and not standard.depends_on_credential


def test_a_bundle_that_ignores_the_record_decides_any_credential_once() -> None:
    wa = CedarPolicy.load("wa")
    decision = wa.decide(request("WA", ICE, purpose=Purpose.CIVIL_IMMIGRATION_ENFORCEMENT))
    assert decision.outcome is Outcome.DENY
    assert not decision.depends_on_credential


def test_duties_come_from_duty_policies() -> None:
    il = CedarPolicy.load("il")
    served = il.decide(request("IL", requester=ICE, process=LegalProcess.COURT_ORDER))
    assert served.duties == (LOG, Duty(DutyKind.NOTIFY_SUBJECT, 3, True, "il-notice-legal-process"))
    bare = il.decide(request("IL", requester=ICE))
    assert bare.duties == (LOG,)


def test_merging_duties_keeps_log_first_and_the_sooner_notice() -> None:
    merged = merge_duties(
        [
            Duty(DutyKind.NOTIFY_SUBJECT, 10),
            Duty(DutyKind.ANNUAL_REPORT),
            Duty(DutyKind.NOTIFY_SUBJECT, 3, True),
            Duty(DutyKind.ANNUAL_REPORT),
        ]
    )
    assert merged == (LOG, Duty(DutyKind.NOTIFY_SUBJECT, 3, True), Duty(DutyKind.ANNUAL_REPORT))


def test_batches_memos_and_single_decisions_agree() -> None:
    requests = [
        request(state, requester=who, purpose=purpose, process=process, certified=certified)
        for state, who, purpose, process, certified in product(
            ("NY", "IL"),
            (ICE, POLICE),
            (Purpose.CRIMINAL_INVESTIGATION, Purpose.CIVIL_IMMIGRATION_ENFORCEMENT),
            (LegalProcess.NONE, LegalProcess.JUDICIAL_WARRANT),
            (True, False),
        )
    ]
    for name in ("ny", "il"):
        cold = CedarPolicy.load(name, cache_size=0)
        warm = CedarPolicy.load(name)
        batch = warm.decide_many(requests)
        assert batch == [cold.decide(r) for r in requests]
        assert warm.decide_many(requests) == batch  # now from the memo


def test_reload_keeps_the_last_good_bundle(tmp_path: Path) -> None:
    policy = CedarPolicy.load("status-quo")
    broken = write_bundle(
        tmp_path / "broken",
        '@id("x")\npermit (principal, action, resource)\nwhen { principal.nope };\n',
    )
    error = policy.reload(broken)
    assert error is not None and error.line == 1
    assert policy.bundle.name == "status-quo"
    assert policy.reload("wa") is None
    assert policy.bundle.name == "wa"


def test_threads_share_one_policy_and_a_reload() -> None:
    policy = CedarPolicy.load("il", cache_size=8)  # a small memo, so threads evict each other
    requests = [
        request("IL", requester=who, purpose=purpose, process=process)
        for who, purpose, process in product(
            (ICE, POLICE),
            (Purpose.CRIMINAL_INVESTIGATION, Purpose.CIVIL_IMMIGRATION_ENFORCEMENT),
            (LegalProcess.NONE, LegalProcess.COURT_ORDER, LegalProcess.MAGISTRATE_WARRANT),
        )
    ]
    expected = [CedarPolicy.load("il", cache_size=0).decide(r) for r in requests]

    def work(_: int) -> list[Decision]:
        return [policy.decide(r) for r in requests * 5]

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(work, i) for i in range(8)]
        assert policy.reload("il") is None  # mid-flight: a new engine, the same answers
        for future in futures:
            assert future.result() == expected * 5
