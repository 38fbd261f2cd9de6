"""Tests for stateline/node/policy/model.py."""

from __future__ import annotations

from stateline.node.policy.model import (
    LOG,
    Decision,
    Duty,
    DutyKind,
    LegalProcess,
    Mode,
    Outcome,
    Purpose,
)
from stateline.wire.grammar import DataClass
from tests.node.policy.helpers import request


def test_outcomes_are_the_scenario_vocabulary() -> None:
    assert [o.value for o in Outcome] == ["release", "release-redacted", "deny", "review"]
    assert Outcome("release-redacted") is Outcome.WITHHOLD is Outcome.RELEASE_REDACTED


def test_vocabularies_match_the_format() -> None:
    assert [m.value for m in Mode] == ["single", "bulk", "partial-plate", "face-search"]
    assert len(Purpose) == 10 and Purpose("unstated") is Purpose.UNSTATED
    assert len(LegalProcess) == 9 and LegalProcess("subject-consent")
    assert [d.value for d in DutyKind] == [
        "log",
        "notify-subject",
        "annual-report",
        "escalate-counsel",
    ]


def test_duties_in_the_scenario_form() -> None:
    assert LOG.as_json() == {"duty": "log"}
    notice = Duty(DutyKind.NOTIFY_SUBJECT, 3, True, "il-notice-legal-process")
    assert notice.as_json() == {"duty": "notify-subject", "within_days": 3, "business_days": True}
    assert Duty(DutyKind.NOTIFY_SUBJECT, 3).as_json() == {
        "duty": "notify-subject",
        "within_days": 3,
    }


def test_process_covers_named_classes_or_everything() -> None:
    assert request().covers(DataClass.PHOTO)
    only_address = request(covers=frozenset({DataClass.ADDRESS}))
    assert only_address.covers(DataClass.ADDRESS)
    assert not only_address.covers(DataClass.PHOTO)


def test_deny_keeps_its_old_shape_and_logs() -> None:
    decision = Decision.deny("POLICY ERROR")
    assert decision.outcome is Outcome.DENY
    assert decision.released == frozenset()
    assert decision.duties == (LOG,)
