"""Tests for stateline/web/console/zones.py: each state's clock, and UTC kept beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from stateline.node.deadlines import STATE_ZONES
from stateline.web.console.zones import local, utc, when, zone_for
from stateline.wire.grammar import US_STATES

WINTER = datetime(2026, 1, 15, 14, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 14, 0, tzinfo=UTC)


def test_every_state_with_a_node_has_a_zone() -> None:
    assert set(STATE_ZONES) == set(US_STATES)
    for state in US_STATES:
        assert local(WINTER, zone_for(state))  # the IANA zone loads


@pytest.mark.parametrize(
    ("state", "winter", "summer"),
    [
        ("NY", "2026-01-15 09:00 EST", "2026-07-15 10:00 EDT"),
        ("IL", "2026-01-15 08:00 CST", "2026-07-15 09:00 CDT"),
        ("CA", "2026-01-15 06:00 PST", "2026-07-15 07:00 PDT"),
        ("AZ", "2026-01-15 07:00 MST", "2026-07-15 07:00 MST"),  # no daylight saving
        ("HI", "2026-01-15 04:00 HST", "2026-07-15 04:00 HST"),
        ("AK", "2026-01-15 05:00 AKST", "2026-07-15 06:00 AKDT"),
        # States across two zones read the capital's: Boise, Tallahassee, Austin, Frankfort.
        ("ID", "2026-01-15 07:00 MST", "2026-07-15 08:00 MDT"),
        ("FL", "2026-01-15 09:00 EST", "2026-07-15 10:00 EDT"),
        ("TX", "2026-01-15 08:00 CST", "2026-07-15 09:00 CDT"),
        ("KY", "2026-01-15 09:00 EST", "2026-07-15 10:00 EDT"),
    ],
)
def test_a_state_reads_its_own_clock(state: str, winter: str, summer: str) -> None:
    zone = zone_for(state)
    assert (local(WINTER, zone), local(SUMMER, zone)) == (winter, summer)


def test_codes_in_any_case_and_no_state_is_utc() -> None:
    assert zone_for(" ny ") == zone_for("NY")
    assert local(WINTER, zone_for(None)) == "2026-01-15 14:00 UTC"


@pytest.mark.parametrize("code", ["ZZ", "PR", "ON", "US", "", "New York"])
def test_a_code_with_no_node_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="not a state with a node"):
        zone_for(code)


def test_when_shows_local_time_with_utc_in_the_tooltip() -> None:
    eastern = datetime(2026, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    html = str(when(eastern, zone_for("NY")))
    assert html == (
        '<time datetime="2026-01-15T14:00:00Z" title="2026-01-15 14:00 UTC">'
        "2026-01-15 09:00 EST</time>"
    )
    assert utc(eastern) == "2026-01-15 14:00 UTC"
    assert str(when(None, zone_for("NY"))) == ""


def test_a_dst_change_at_night_is_shown_as_the_wall_clock_read() -> None:
    # 2026-03-08 02:00 EST the clocks in New York went forward an hour.
    before = datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    after = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    zone = zone_for("NY")
    assert (local(before, zone), local(after, zone)) == (
        "2026-03-08 01:59 EST",
        "2026-03-08 03:00 EDT",
    )
