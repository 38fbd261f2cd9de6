"""Tests for stateline/node/policy/space.py: the pruned request space and its differences."""

from __future__ import annotations

from itertools import product
from pathlib import Path

from stateline.node.policy.bundle import load_bundle
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.space import AXES, axes, diff, point, regions, requests
from stateline.wire.grammar import DataClass
from tests.node.policy.helpers import write_bundle

STATUS_QUO_PLUS = """
@id("cj")
permit (principal, action, resource) when { principal.criminal_justice };

@id("no-ice-photos")
forbid (principal, action in Action::"photo", resource)
when { principal.missions.contains("immigration-enforcement") &&
       context.process != "judicial-warrant" };
"""


def test_values_no_policy_names_collapse_to_one() -> None:
    sq = load_bundle("status-quo")
    space = axes(sq, sq)
    assert space["purpose"].values == ("criminal-investigation",)
    assert space["process"].values == ("none",)
    assert space["mode"].values == ("single",)
    assert space["credential"].values == ("any",)
    assert len(space["data"].values) == 1


def test_a_bundle_does_not_differ_from_itself() -> None:
    wa = load_bundle("wa")
    assert list(diff(wa, wa, "WA")) == []


def test_the_differences_are_exactly_the_changed_answers(tmp_path: Path) -> None:
    sq = load_bundle("status-quo")
    plus = load_bundle(write_bundle(tmp_path / "plus", STATUS_QUO_PLUS))
    found = list(diff(sq, plus, "TX"))
    assert found
    for difference in found:
        assert difference.request.requester.missions & {"immigration-enforcement"}
        assert [c for c, _a, _b in difference.classes] == [DataClass.PHOTO]
    # Check every request of the space against both bundles directly.
    a, b = CedarPolicy(sq), CedarPolicy(plus)
    expected = set()
    for _profile, request in requests(sq, plus, "TX"):
        verdicts = [[(c.data_class, c.verdict) for c in p.decide(request).classes] for p in (a, b)]
        if verdicts[0] != verdicts[1]:
            expected.add(request)
    assert {d.request for d in found} == expected


def test_regions_cover_exactly_the_differences(tmp_path: Path) -> None:
    sq = load_bundle("status-quo")
    plus = load_bundle(write_bundle(tmp_path / "plus", STATUS_QUO_PLUS))
    found = list(diff(sq, plus, "TX"))
    merged = regions(found)
    assert len(merged) < len(found)
    points = {point(d) for d in found}
    covered = {p for r in merged for p in product(*r.values)}
    assert covered == points
    assert all(len(r.values) == len(AXES) for r in merged)
