"""Tests for stateline/node/policy/scenarios.py: strict reading and the FORMAT.md checker."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stateline.node.policy.model import (
    LOG,
    Credential,
    Decision,
    Duty,
    DutyKind,
    LegalProcess,
    Outcome,
)
from stateline.node.policy.scenarios import (
    ScenarioError,
    duties_match,
    parse_scenario,
    parse_scenarios,
    passes,
    result_json,
)
from stateline.wire.grammar import DataClass

NY_01: dict[str, Any] = {
    "id": "NY-01",
    "state": "NY",
    "request": {
        "requester": {
            "ori": "DCICE0100",
            "name": "ICE Enforcement and Removal Operations",
            "type": "FE",
            "home_state": "US",
            "missions": ["immigration-enforcement"],
        },
        "acting_for_missions": [],
        "mode": "single",
        "purpose": "civil-immigration-enforcement",
        "legal_process": "none",
        "legal_process_covers": None,
        "certification_on_file": False,
        "notice_delay_requested": False,
        "data": ["address", "photo"],
        "subject_credential": "standard",
    },
    "expected": {
        "outcome": "deny",
        "released": [],
        "duties": [{"duty": "log"}, {"duty": "notify-subject", "within_days": 3}],
    },
    "legal_basis": ["N.Y. Veh. & Traf. Law 201(12)(a)"],
    "confidence": "high",
    "notes": "",
}


def changed(path: str, value: Any) -> dict[str, Any]:
    scenario = copy.deepcopy(NY_01)
    *parents, last = path.split(".")
    target = scenario
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return scenario


def test_the_format_example_reads_as_a_request() -> None:
    scenario = parse_scenario(NY_01)
    request = scenario.request
    assert (scenario.id, scenario.state, request.state) == ("NY-01", "NY", "NY")
    assert request.requester.federal
    assert request.requested == {DataClass.ADDRESS, DataClass.PHOTO}
    assert request.legal_process is LegalProcess.NONE
    assert request.legal_process_covers is None
    assert request.subject_credential is Credential.STANDARD
    assert scenario.expected is not None
    assert scenario.expected.duties == (LOG, Duty(DutyKind.NOTIFY_SUBJECT, 3))


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("state", "XX", "state"),
        ("request.requester.type", "ICE", "request.requester.type"),
        ("request.requester.home_state", "USA", "request.requester.home_state"),
        ("request.requester.missions", ["spying"], "request.requester.missions[0]"),
        ("request.acting_for_missions", "immigration", "request.acting_for_missions"),
        ("request.mode", "dragnet", "request.mode"),
        ("request.purpose", "curiosity", "request.purpose"),
        ("request.purpose", KeyError, "request.purpose"),
        ("request.legal_process", "letter", "request.legal_process"),
        ("request.legal_process_covers", ["address", "dna"], "request.legal_process_covers[1]"),
        ("request.certification_on_file", "no", "request.certification_on_file"),
        ("request.data", [], "request.data"),
        ("request.subject_credential", "gold", "request.subject_credential"),
        ("expected.outcome", "maybe", "expected.outcome"),
        ("expected.released", ["ssn"], "expected.released"),
        ("expected.duties", [{"duty": "pray"}], "expected.duties[0].duty"),
        ("expected.duties", [{"duty": "log", "within_days": 0}], "expected.duties[0].within_days"),
        ("confidence", "certain", "confidence"),
    ],
)
def test_every_bad_value_names_the_scenario_and_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenarios([changed(path, value)])
    assert (caught.value.scenario, caught.value.field) == ("NY-01", field)
    assert "NY-01" in str(caught.value) and field in str(caught.value)


def test_a_scenario_without_an_id_is_named_by_position() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenarios([NY_01, changed("id", KeyError)])
    assert caught.value.scenario == "#2"
    with pytest.raises(ScenarioError, match="used by another"):
        parse_scenarios([NY_01, NY_01])


def test_the_checker_compares_outcome_released_and_duty_names_with_days() -> None:
    scenario = parse_scenario(NY_01)
    assert scenario.expected is not None
    right = Decision(Outcome.DENY, frozenset(), duties=(LOG, Duty(DutyKind.NOTIFY_SUBJECT, 3)))
    assert passes(scenario.expected, right)
    business = Decision(
        Outcome.DENY, frozenset(), duties=(LOG, Duty(DutyKind.NOTIFY_SUBJECT, 3, True))
    )
    assert not passes(scenario.expected, business)
    assert not passes(scenario.expected, Decision(Outcome.DENY, frozenset()))
    assert duties_match(
        [LOG, Duty(DutyKind.NOTIFY_SUBJECT)], [Duty(DutyKind.NOTIFY_SUBJECT, 5), LOG]
    )


def test_a_result_line_has_the_fields_format_md_asks_for() -> None:
    scenario = parse_scenario(NY_01)
    decision = Decision(
        Outcome.DENY,
        frozenset(),
        policy_ids=("ny-green-light-immigration-agencies",),
        duties=(LOG, Duty(DutyKind.NOTIFY_SUBJECT, 3)),
    )
    line = result_json(scenario, decision, "ny")
    assert line["id"] == "NY-01"
    assert line["outcome"] == "deny"
    assert line["released"] == []
    assert line["duties"] == [{"duty": "log"}, {"duty": "notify-subject", "within_days": 3}]
    assert line["policies"] == ["ny-green-light-immigration-agencies"]
    assert line["pass"] is True
