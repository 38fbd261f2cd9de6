"""Route plans: one state, up to five, all (NL), function ORIs, agencies, bad destinations."""

from stateline.hub.routing import Route, RoutePlan, plan_route
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import MKE, US_STATES
from stateline.wire.messages import Header

NODES = frozenset(US_STATES)
AGENCIES = {"NY0010100": object(), "AZNLETS20": object()}


def plan(mke: MKE, *destinations: str) -> RoutePlan | Rejection:
    return plan_route(Header(mke, "AZNLETS20", destinations), "raw", NODES, AGENCIES)


def test_one_state_goes_to_its_licence_bureau() -> None:
    assert plan(MKE.DQ, "NY") == RoutePlan(routes=(Route("NY", "NYOLN0000"),))


def test_registration_query_goes_to_the_registration_agency() -> None:
    assert plan(MKE.RQ, "CA") == RoutePlan(routes=(Route("CA", "CALIC0000"),))


def test_five_states_are_a_multi_state_query() -> None:
    result = plan(MKE.DQ, "NY", "NJ", "CT", "PA", "MA")
    assert isinstance(result, RoutePlan)
    assert [r.state for r in result.routes] == ["NY", "NJ", "CT", "PA", "MA"]
    assert result.multi


def test_nl_fans_out_to_every_state_with_a_node() -> None:
    result = plan(MKE.DQ, "NL")
    assert isinstance(result, RoutePlan)
    assert len(result.routes) == 51
    assert {r.state for r in result.routes} == NODES
    assert result.multi


def test_a_function_ori_is_a_destination() -> None:
    assert plan(MKE.DQ, "TXOLN0000") == RoutePlan(routes=(Route("TX", "TXOLN0000"),))


def test_a_function_that_does_not_serve_the_key_is_unserved() -> None:
    assert plan(MKE.DQ, "TXLIC0000") == RoutePlan(unserved=("TXLIC0000",))


def test_a_territory_without_a_node_is_unserved() -> None:
    assert plan(MKE.DQ, "PR") == RoutePlan(unserved=("PR",))


def test_an_am_to_an_agency_goes_to_its_mailbox() -> None:
    assert plan(MKE.AM, "NY0010100") == RoutePlan(mailboxes=("NY0010100",))


def test_a_query_to_an_agency_is_unserved() -> None:
    assert plan(MKE.DQ, "NY0010100") == RoutePlan(unserved=("NY0010100",))


def test_an_unknown_ori_is_an_invalid_destination() -> None:
    result = plan(MKE.DQ, "NY9999999")
    assert isinstance(result, Rejection)
    assert result.reason is ErReason.INVALID_DESTINATION
    assert result.ori == "AZNLETS20"


def test_an_am_to_every_state_is_not_allowed() -> None:
    result = plan(MKE.AM, "NL")
    assert isinstance(result, Rejection)
    assert result.reason is ErReason.NOT_ALLOWED_TO_DESTINATION


def test_the_same_state_named_twice_is_asked_once() -> None:
    result = plan(MKE.DQ, "NY", "NYOLN0000")
    assert isinstance(result, RoutePlan)
    assert result.routes == (Route("NY", "NYOLN0000"),)
