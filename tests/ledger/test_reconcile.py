"""Reconciling the hub's logged answers with a ledger: every disagreement, in both directions."""

from __future__ import annotations

from datetime import UTC, datetime

from stateline.ledger.entries import (
    AdminChange,
    Decision,
    Disclosure,
    Entry,
    RequestReceived,
    answer_digest,
    encode,
)
from stateline.ledger.reconcile import Reconciler

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
A1, A2, A3 = (answer_digest(f"answer {n}".encode()) for n in (1, 2, 3))


def answered(message_id: str, digest: str, state: str = "NY") -> list[Entry]:
    """What a node writes for one answer: request, decision, disclosure."""
    common = {"at": AT, "message_id": message_id, "state": state}
    return [
        RequestReceived(**common, key="DQ", requester="NYSTP0000"),
        Decision(**common, outcome="release"),
        Disclosure(**common, answer_sha256=digest, data_classes=(), recipient="NYSTP0000"),
    ]


def run(hub: list[tuple[str, str, str]], ledger: list[Entry | None]) -> Reconciler:
    reconciler = Reconciler()
    reconciler.answered(hub)
    reconciler.entries("NY", [None if e is None else encode(e) for e in ledger])
    return reconciler


def test_a_complete_ledger_has_no_findings() -> None:
    admin = AdminChange(at=AT, message_id="rot-1", state="NY", change="key", actor="ops")
    done = run(
        [("m1", "NY", A1), ("m2", "NY", A2), ("m2", "NY", A3)],  # m2: held, then its late answer
        [*answered("m1", A1), *answered("m2", A2), admin, answered("m2", A3)[2]],
    )
    assert done.findings(["NY"]) == []
    assert (done.answers, done.entries_read) == (3, 8)


def test_an_answered_message_without_its_entries_is_found() -> None:
    lost = answered("m2", A2)
    found = run([("m1", "NY", A1), ("m2", "NY", A2)], [*answered("m1", A1), lost[1]])
    (finding,) = found.findings(["NY"])
    assert (finding.kind, finding.state, finding.message_id) == ("missing", "NY", "m2")
    assert finding.detail.startswith("answered, but the ledger has no request, no disclosure")


def test_a_disclosure_of_another_answer_is_found_both_ways() -> None:
    found = run([("m1", "NY", A1)], answered("m1", A2)).findings(["NY"])
    assert [(f.kind, f.message_id) for f in found] == [("missing", "m1"), ("unlogged", "m1")]
    assert "the hub logged other answers to it" in found[1].detail


def test_a_disclosure_without_a_logged_answer_is_found_after_a_second_look() -> None:
    reconciler = run([("m1", "NY", A1)], [*answered("m1", A1), *answered("m9", A2)])
    assert reconciler.unlogged() == [("m9", "NY")]
    reconciler.relogged(["m9"], [])  # looked up again: still nothing
    (finding,) = reconciler.findings(["NY"])
    assert finding.kind == "unlogged" and "logged no answer of this state" in finding.detail
    reconciler.relogged(["m9"], [("m9", "NY", A2)])  # an answer in flight, logged since
    assert reconciler.findings(["NY"]) == []
    assert reconciler.answers == 2


def test_only_the_states_read_are_judged_and_pruned_bodies_are_counted() -> None:
    reconciler = run([("m1", "NY", A1), ("m1", "NJ", A2)], [*answered("m1", A1), None])
    assert reconciler.findings(["NY"]) == []
    assert reconciler.pruned == 1
