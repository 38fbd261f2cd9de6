"""Tests for stateline/storage/alerts.py: raises folded into alerts, each alert once, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from stateline.oversight.alerts import Detector, Lookup, Raised, Rule, alert_id
from stateline.storage.alerts import AlertStore

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
ORI = "NY0010100"
AFM = frozenset({"IMMIGRATION-ENFORCEMENT"})


def lookup(n: int, ori: str = ORI, at: datetime | None = None) -> Lookup:
    """The ``n``-th answer of a ledger: its entries are 3n, 3n + 1 and 3n + 2."""
    return Lookup(
        at=at or NOON + timedelta(minutes=n),
        ori=ori,
        key="DQ",
        outcome="release",
        asked=(),
        found=(),
        asker=None,
        acting_for=AFM,
        name_search=False,
        indexes=(3 * n, 3 * n + 1, 3 * n + 2),
    )


def raised(*lookups: Lookup, continues: int | None = None) -> Raised:
    return Raised(
        rule=Rule.ACTING_FOR_IMMIGRATION,
        severity="high",
        state="NY",
        key=ORI,
        ori=ORI,
        subject=None,
        window=timedelta(hours=24),
        evidence=lookups,
        continues=continues,
    )


def store(engine: Engine) -> AlertStore:
    alerts = AlertStore(engine)
    alerts.create_schema()
    alerts.create_schema()  # twice is harmless
    return alerts


def test_a_raise_is_an_alert_with_its_evidence(engine: Engine) -> None:
    alerts = store(engine)
    assert alerts.record([raised(lookup(4), lookup(6))], NOW) == [
        alert_id("NY", "acting-for-immigration", ORI, 12)
    ]
    [alert] = alerts.list()
    assert alert.as_json() == {
        "id": alert_id("NY", "acting-for-immigration", ORI, 12),
        "state": "NY",
        "rule": "acting-for-immigration",
        "severity": "high",
        "ori": ORI,
        "subject": None,
        "key": ORI,
        "count": 2,
        "window": "PT1440M",
        "first": "2026-03-02T17:04:00Z",
        "last": "2026-03-02T17:06:00Z",
        "raised": "2026-03-03T12:00:00Z",
        "oris": [ORI],
        "evidence": [12, 13, 14, 18, 19, 20],
    }


def test_the_same_evidence_raised_again_is_not_a_second_alert(engine: Engine) -> None:
    alerts = store(engine)
    alerts.record([raised(lookup(1), lookup(2))], NOW)
    assert alerts.record([raised(lookup(1), lookup(2))], NOW + timedelta(hours=1)) == []
    # A scan that began later sees the run from another lookup: it shares evidence, so it
    # grows the same alert.
    assert alerts.record([raised(lookup(2), lookup(3))], NOW) == []
    [alert] = alerts.list()
    assert (alert.count, alert.evidence[-1], alert.raised) == (3, 11, NOW)


def test_a_raise_that_continues_grows_its_alert_and_one_that_does_not_is_new(
    engine: Engine,
) -> None:
    alerts = store(engine)
    alerts.record([raised(lookup(1))], NOW)
    assert alerts.record([raised(lookup(5), continues=3)], NOW) == []
    late = lookup(9, at=NOON + timedelta(days=3))
    early = lookup(0, at=NOON - timedelta(hours=1))
    assert alerts.record([raised(late), raised(early, continues=3)], NOW) == [
        alert_id("NY", "acting-for-immigration", ORI, 27)
    ]
    newest, oldest = alerts.list()
    assert (newest.count, newest.first, newest.last) == (1, late.at, late.at)
    assert (oldest.count, oldest.first, oldest.last) == (3, early.at, lookup(5).at)
    assert oldest.evidence == (0, 1, 2, 3, 4, 5, 15, 16, 17)
    assert [a.id for a in alerts.list(since=NOON + timedelta(days=1))] == [newest.id]
    assert [a.id for a in alerts.list(limit=1)] == [newest.id]


def test_a_large_raise_is_stored_in_parts(engine: Engine) -> None:
    alerts = store(engine)
    many = tuple(lookup(n, ori=f"NY{n % 7:03d}0100") for n in range(1_200))
    alerts.record([raised(*many)], NOW)
    alerts.record([raised(*many)], NOW)
    [alert] = alerts.list()
    assert alert.count == 1_200 and len(alert.evidence) == 3_600
    assert alert.oris == tuple(f"NY{n:03d}0100" for n in range(7))


def test_a_rescan_of_the_same_entries_by_a_fresh_detector_adds_nothing(engine: Engine) -> None:
    alerts = store(engine)
    lookups = [lookup(n, at=NOON + timedelta(seconds=10 * n)) for n in range(300)]
    for alerts_again in (alerts, AlertStore(engine)):  # a serving node, then a command
        detector = Detector("NY", frozenset())
        for each in lookups:
            alerts_again.record(detector.lookup(each), NOW)
    kept = {(a.rule, a.count) for a in alerts.list()}
    assert kept == {("bulk", 300), ("acting-for-immigration", 300)}  # bulk from the 201st


def test_evidence_another_process_stored_meanwhile_is_not_written_twice(engine: Engine) -> None:
    serving, command = store(engine), AlertStore(engine)
    serving.record([raised(lookup(1))], NOW)
    command.record([raised(lookup(1), lookup(2), lookup(3))], NOW)  # a scan ran ahead
    assert serving.record([raised(lookup(2), lookup(3), lookup(4), continues=3)], NOW) == []
    [alert] = serving.list()
    assert alert.count == 4


def test_after_a_restart_a_raise_going_on_grows_the_stored_alert(engine: Engine) -> None:
    store(engine).record([raised(lookup(1))], NOW)
    again = AlertStore(engine)  # a node started again remembers nothing
    assert again.record([raised(lookup(2), continues=3)], NOW) == []
    assert again.record([raised(lookup(3), continues=6)], NOW) == []
    [alert] = again.list()
    assert (alert.count, alert.evidence) == (3, tuple(range(3, 12)))
