"""Tests for stateline/oversight/alert_settings.py: the defaults, and a state's own file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from stateline.oversight.alert_settings import (
    Limit,
    OffHours,
    Settings,
    SettingsError,
    read_settings,
    settings_path,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_the_defaults_are_the_issues_figures() -> None:
    s = Settings()
    assert s.bulk == Limit(201, HOUR, "medium")  # more than 200 within 60 minutes
    assert s.bulk_asker == Limit(51, HOUR, "high")  # more than 50
    assert s.name_fishing == Limit(10, HOUR, "high")  # 10 or more
    assert s.denied_retried == Limit(1, DAY, "high")
    assert s.many_agencies == Limit(3, DAY, "medium")  # 3 or more unrelated agencies
    assert s.acting_for_immigration == Limit(1, DAY, "high")
    assert s.off_hours == OffHours(Limit(20, HOUR, "medium"), 22, 6, 5.0, 28)
    assert s.off_hours.hours_a_night == 8
    assert [h for h in range(24) if s.off_hours.covers(h)] == [0, 1, 2, 3, 4, 5, 22, 23]
    assert s.parent_length == 7
    assert s.reach == timedelta(days=29)  # the off-hours history and the day it starts on


def test_a_state_changes_only_what_it_names() -> None:
    s = Settings.from_mapping(
        {
            "bulk": {"count": 501},
            "name-fishing": {"minutes": 30, "severity": "medium"},
            "off-hours": {"start": 20, "end": 7, "count": 10, "factor": 3, "history_days": 14},
            "many-agencies": {"enabled": False},
            "parent-length": 5,
        }
    )
    assert s.bulk == Limit(501, HOUR, "medium")
    assert s.name_fishing == Limit(10, timedelta(minutes=30), "medium")
    assert s.off_hours == OffHours(Limit(10, HOUR, "medium"), 20, 7, 3.0, 14)
    assert s.off_hours.hours_a_night == 11 and s.off_hours.covers(6) and not s.off_hours.covers(7)
    assert not s.many_agencies.enabled and s.many_agencies.count == 3
    assert s.parent_length == 5
    assert s.bulk_asker == Settings().bulk_asker
    day_shift = OffHours(start=8, end=17)
    assert day_shift.covers(8) and not day_shift.covers(17) and day_shift.hours_a_night == 9


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"blk": {}}, "unknown alert setting 'blk'"),
        ({"bulk": 5}, "[bulk] must be a table"),
        ({"bulk": {"cuont": 5}}, "[bulk] has no setting 'cuont'"),
        ({"bulk": {"count": 0}}, "bulk.count must be a whole number from 1 to 1000000"),
        ({"bulk": {"count": True}}, "bulk.count must be a whole number"),
        ({"bulk": {"minutes": 0}}, "bulk.minutes must be a whole number from 1 to 10080"),
        ({"bulk": {"severity": "urgent"}}, "bulk.severity must be one of low, medium, high"),
        ({"bulk": {"enabled": "no"}}, "bulk.enabled must be true or false"),
        ({"off-hours": {"start": 6, "end": 6}}, "off-hours.start and off-hours.end must differ"),
        ({"off-hours": {"start": 24}}, "off-hours.start must be a whole number from 0 to 23"),
        ({"off-hours": {"factor": 0.5}}, "off-hours.factor must be a number of 1 or more"),
        ({"off-hours": {"history_days": 0}}, "off-hours.history_days must be a whole number"),
        ({"parent-length": 12}, "parent-length must be a whole number from 2 to 9"),
    ],
)
def test_a_setting_that_cannot_be_used_is_named(document: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_mapping(document)
    assert str(raised.value).startswith(message)


def test_a_states_file_is_read_and_a_missing_one_gives_the_defaults(tmp_path: Path) -> None:
    path = settings_path(tmp_path, "ny")
    assert path == tmp_path / "alerts" / "NY.toml"
    assert read_settings(path) == Settings()
    path.parent.mkdir()
    path.write_text('[bulk]\ncount = 1001\nseverity = "low"\n')
    assert read_settings(path).bulk == Limit(1001, HOUR, "low")
    path.write_text("[bulk\ncount = 1")
    with pytest.raises(SettingsError, match=r"NY\.toml: not TOML"):
        read_settings(path)
    path.write_text("[bulk]\ncount = -1\n")
    with pytest.raises(SettingsError, match=r"NY\.toml: bulk\.count must be"):
        read_settings(path)
