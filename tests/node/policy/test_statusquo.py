"""The status-quo policy: criminal-justice agencies get what they ask for; others are denied."""

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.model import Outcome, PolicyRequest
from stateline.node.policy.statusquo import StatusQuoPolicy
from stateline.wire.grammar import MKE, DataClass


def request(agency_type: AgencyType) -> PolicyRequest:
    agency = Agency(
        "NY0010100", "Test", agency_type, "NY", frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})
    )
    return PolicyRequest("NY", MKE.DQ, agency, requested=frozenset({DataClass.IDENTITY}))


def test_criminal_justice_agency_gets_what_it_asked_for() -> None:
    decision = StatusQuoPolicy().decide(request(AgencyType.PD))
    assert decision.outcome is Outcome.RELEASE
    assert decision.released == {DataClass.IDENTITY}
    assert decision.policy_ids == ("status-quo",)


def test_non_criminal_justice_agency_is_denied() -> None:
    decision = StatusQuoPolicy().decide(request(AgencyType.NJ))
    assert decision.outcome is Outcome.DENY
    assert decision.released == frozenset()
