"""Tests for stateline/node/deadlines.py: federal holidays by rule, business days, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stateline.node.deadlines import (
    STATE_ZONES,
    add_business_days,
    due_date,
    federal_holidays,
    is_business_day,
    local_day,
)
from stateline.wire.grammar import US_STATES

# The holidays the U.S. Office of Personnel Management publishes for these years, as observed.
OPM = {
    2021: [
        "2021-01-01", "2021-01-18", "2021-02-15", "2021-05-31", "2021-06-18", "2021-07-05",
        "2021-09-06", "2021-10-11", "2021-11-11", "2021-11-25", "2021-12-24", "2021-12-31",
    ],
    2022: [
        "2022-01-17", "2022-02-21", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05",
        "2022-10-10", "2022-11-11", "2022-11-24", "2022-12-26",
    ],
    2023: [
        "2023-01-02", "2023-01-16", "2023-02-20", "2023-05-29", "2023-06-19", "2023-07-04",
        "2023-09-04", "2023-10-09", "2023-11-10", "2023-11-23", "2023-12-25",
    ],
    2026: [
        "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
        "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
    ],
}  # fmt: skip


def test_holidays_match_the_published_lists() -> None:
    for year, days in OPM.items():
        assert [d.isoformat() for d in federal_holidays(year)] == days


def test_a_saturday_new_year_is_observed_the_friday_before_in_the_old_year() -> None:
    # 1 January 2022 was a Saturday: observed on Friday 31 December 2021.
    assert federal_holidays(2021)[date(2021, 12, 31)] == "New Year's Day"
    assert date(2022, 1, 1) not in federal_holidays(2022)
    assert not is_business_day(date(2021, 12, 31))


def test_juneteenth_only_from_2021() -> None:
    assert "Juneteenth National Independence Day" not in federal_holidays(2020).values()
    assert federal_holidays(2027)[date(2027, 6, 18)] == "Juneteenth National Independence Day"


@given(st.integers(min_value=1990, max_value=2200))
def test_every_year_has_its_holidays_on_weekdays(year: int) -> None:
    days = federal_holidays(year)
    # 10 holidays, 11 from 2021; a New Year's Day on a Saturday moves to the year before.
    base = 11 if year >= 2021 else 10
    assert len(days) in (base - 1, base, base + 1)
    assert all(day.weekday() < 5 and day.year == year for day in days)
    (thanksgiving,) = (d for d, name in days.items() if name == "Thanksgiving Day")
    assert thanksgiving.weekday() == 3 and 22 <= thanksgiving.day <= 28


def test_business_days_skip_weekends_and_holidays() -> None:
    # Thursday 2 July 2026; Friday 3 July is Independence Day observed.
    assert add_business_days(date(2026, 7, 2), 3) == date(2026, 7, 8)
    # A Friday: Monday, Tuesday, Wednesday.
    assert add_business_days(date(2026, 3, 6), 3) == date(2026, 3, 11)
    # A Saturday counts from Monday.
    assert add_business_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    # Thanksgiving week: Wednesday 25 November 2026, Thursday off, Friday, Monday, Tuesday.
    assert add_business_days(date(2026, 11, 25), 3) == date(2026, 12, 1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=1, max_value=15),
)
def test_the_nth_business_day_is_one_with_n_minus_one_between(start: date, n: int) -> None:
    due = add_business_days(start, n)
    assert is_business_day(due)
    between = [start + timedelta(days=i) for i in range(1, (due - start).days)]
    assert sum(is_business_day(d) for d in between) == n - 1


def test_due_dates_count_from_the_day_in_the_states_own_zone() -> None:
    # 02:30 UTC on Friday 6 March 2026 is still Thursday evening in New York.
    late = datetime(2026, 3, 6, 2, 30, tzinfo=UTC)
    assert local_day(late, "NY") == date(2026, 3, 5)
    assert local_day(late, "HI") == date(2026, 3, 5)
    assert due_date(late, "NY", 3, business_days=False) == date(2026, 3, 8)
    assert due_date(late, "IL", 3, business_days=True) == date(2026, 3, 10)


def test_every_state_has_a_zone() -> None:
    assert set(STATE_ZONES) == set(US_STATES)
