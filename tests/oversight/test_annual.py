"""Tests for stateline/oversight/annual.py: the annual-report count, read from ledger rows."""

from __future__ import annotations

from datetime import UTC, datetime

from stateline.ledger import entries
from stateline.ledger.entries import Entry, encode
from stateline.oversight.annual import AnnualCount, Row, count_annual


def answer(
    message_id: str, at: datetime, requester: str, *duties: str, state: str = "CO"
) -> list[Entry]:
    """The request and decision entries a node appends for one answer."""
    return [
        entries.RequestReceived(
            at=at, key="DQ", message_id=message_id, requester=requester, state=state
        ),
        entries.Decision(
            at=at,
            duties=("log", *duties),
            message_id=message_id,
            outcome="deny" if requester.startswith("DC") else "release",
            state=state,
        ),
    ]


def rows(*answers: list[Entry]) -> list[Row]:
    flat = [entry for group in answers for entry in group]
    return [(i, encode(entry), b"\0" * 32) for i, entry in enumerate(flat)]


def test_counts_the_decisions_carrying_the_duty_in_the_states_year() -> None:
    log = rows(
        answer("m1", datetime(2026, 3, 1, tzinfo=UTC), "DCICE0000", "annual-report"),
        answer("m2", datetime(2026, 3, 2, tzinfo=UTC), "CO0010100"),  # no duty
        answer("m3", datetime(2026, 7, 4, tzinfo=UTC), "DCICE0000", "annual-report"),
        answer("m4", datetime(2026, 8, 1, tzinfo=UTC), "CO0010100", "annual-report"),
        # 03:00 UTC on 1 January 2027 is still New Year's Eve in Denver.
        answer("m5", datetime(2027, 1, 1, 3, 0, tzinfo=UTC), "DCHSI0000", "annual-report"),
        answer("m6", datetime(2027, 1, 1, 9, 0, tzinfo=UTC), "DCICE0000", "annual-report"),
        answer("m7", datetime(2026, 5, 1, tzinfo=UTC), "DCICE0000", "annual-report", state="MD"),
    )
    count = count_annual(log, "CO", 2026)
    assert count == AnnualCount(
        state="CO",
        year=2026,
        total=4,
        by_outcome={"deny": 3, "release": 1},
        by_requester={"DCICE0000": 2, "CO0010100": 1, "DCHSI0000": 1},
    )
    assert count_annual(log, "CO", 2027).total == 1
    assert count_annual(log, "MD", 2026).by_requester == {"DCICE0000": 1}


def test_removed_bodies_are_counted_apart() -> None:
    log = rows(answer("m1", datetime(2026, 3, 1, tzinfo=UTC), "DCICE0000", "annual-report"))
    log[0] = (0, None, log[0][2])  # retention removed the request entry
    log.append((2, None, b"\0" * 32))
    count = count_annual(log, "CO", 2026)
    assert (count.total, count.unreadable) == (1, 2)
    assert count.by_requester == {"unknown": 1}
    assert count.as_json()["unreadable"] == 2
