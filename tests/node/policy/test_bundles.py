"""Each shipped bundle passes its own scenario tests (tests.json in the bundle's folder)."""

from __future__ import annotations

import pytest

from stateline.node.policy.bundle import load_bundle, names
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.scenarios import load_scenarios, passes, result_json

PUBLIC_IDS_BY_STATE = {"NY": 3, "WA": 2, "IL": 2, "MA": 1, "MN": 2, "CA": 1, "CO": 1, "MD": 1}


@pytest.mark.parametrize("name", names())
def test_bundle_passes_its_own_tests(name: str) -> None:
    bundle = load_bundle(name)
    policy = CedarPolicy(bundle)
    scenarios = load_scenarios(bundle.tests)
    assert len(scenarios) >= 7
    failures = [
        result_json(s, d, name)
        for s in scenarios
        if s.expected is not None and not passes(s.expected, d := policy.decide(s.request))
    ]
    assert failures == []


@pytest.mark.parametrize("name", [n for n in names() if n != "status-quo"])
def test_statute_bundle_tests_outnumber_the_public_scenarios(name: str) -> None:
    scenarios = load_scenarios(load_bundle(name).tests)
    assert len(scenarios) > PUBLIC_IDS_BY_STATE.get(name.upper(), 0)
    assert {s.state for s in scenarios} == {name.upper()}
