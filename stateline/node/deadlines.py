"""A state's own calendar for legal deadlines: its time zone, federal holidays, business days.

Pure: every function takes the day or the instant it counts from. Holidays are computed by
the rules of 5 U.S.C. 6103 for any year, with the observed day when one falls on a weekend
(Saturday: the Friday before; Sunday: the Monday after, Executive Order 11582), so no list of
years needs updating. Only federal holidays are counted: a state's own holidays (Patriots'
Day, Lincoln's Birthday...) would make a deadline later, never earlier, so leaving them out
keeps every due date on the safe side.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

STATE_ZONES: dict[str, str] = {
    "AK": "America/Anchorage", "AL": "America/Chicago", "AR": "America/Chicago",
    "AZ": "America/Phoenix", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DC": "America/New_York", "DE": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "IA": "America/Chicago", "ID": "America/Boise", "IL": "America/Chicago",
    "IN": "America/Indiana/Indianapolis", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "MA": "America/New_York", "MD": "America/New_York",
    "ME": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MO": "America/Chicago", "MS": "America/Chicago", "MT": "America/Denver",
    "NC": "America/New_York", "ND": "America/Chicago", "NE": "America/Chicago",
    "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
    "NV": "America/Los_Angeles", "NY": "America/New_York", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VA": "America/New_York", "VT": "America/New_York", "WA": "America/Los_Angeles",
    "WI": "America/Chicago", "WV": "America/New_York", "WY": "America/Denver",
}  # fmt: skip
"""Each jurisdiction's time zone where its capital is: the clock its agencies keep."""

MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6


def state_zone(state: str) -> ZoneInfo:
    """The time zone a state's deadlines are counted in (Eastern for an unknown code)."""
    return ZoneInfo(STATE_ZONES.get(state.upper(), "America/New_York"))


def local_day(moment: datetime, state: str) -> date:
    """The calendar day ``moment`` falls on in ``state``: the day a request was received."""
    return moment.astimezone(state_zone(state)).date()


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` of a month; ``n = -1`` for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> dict[date, str]:
    """The legal public holidays of ``year`` (5 U.S.C. 6103), by the day they are observed.

    A New Year's Day on a Saturday is observed on 31 December of the year before; it is listed
    under that year, where it falls.
    """
    fixed = {
        "New Year's Day": date(year, 1, 1),
        "Independence Day": date(year, 7, 4),
        "Veterans Day": date(year, 11, 11),
        "Christmas Day": date(year, 12, 25),
    }
    if year >= 2021:  # Juneteenth National Independence Day Act, June 17, 2021
        fixed["Juneteenth National Independence Day"] = date(year, 6, 19)
    floating = {
        "Washington's Birthday": _nth_weekday(year, 2, MONDAY, 3),
        "Memorial Day": _nth_weekday(year, 5, MONDAY, -1),
        "Labor Day": _nth_weekday(year, 9, MONDAY, 1),
        "Columbus Day": _nth_weekday(year, 10, MONDAY, 2),
        "Thanksgiving Day": _nth_weekday(year, 11, THURSDAY, 4),
    }
    if year >= 1986:  # first observed in 1986 (Pub. L. 98-144)
        floating["Birthday of Martin Luther King, Jr."] = _nth_weekday(year, 1, MONDAY, 3)
    days = {_observed(day): name for name, day in fixed.items()} | {
        day: name for name, day in floating.items()
    }
    next_new_year = _observed(date(year + 1, 1, 1))
    if next_new_year.year == year:
        days[next_new_year] = "New Year's Day"
    return {day: days[day] for day in sorted(days) if day.year == year}


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(federal_holidays(year))


def is_business_day(day: date) -> bool:
    """Monday to Friday, and not a federal holiday (as observed)."""
    return day.weekday() < SATURDAY and day not in _holidays(day.year)


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day


def due_date(received: datetime, state: str, within_days: int, business_days: bool) -> date:
    """The last day a duty counted from ``received`` may be met, in the state's calendar.

    Calendar days: the day of receipt plus ``within_days``. Business days: the
    ``within_days``-th business day after the day of receipt.
    """
    day = local_day(received, state)
    if business_days:
        return add_business_days(day, within_days)
    return day + timedelta(days=within_days)
