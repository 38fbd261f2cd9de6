"""The abuse alerts' limits: the defaults, and a state's own from its TOML file (docs/alerts.md).

A state changes a rule by naming it as a table (``[bulk]``, ``[off-hours]``...) with only the
keys it changes; what it leaves out keeps the default. A misspelt table or key, or a value out
of range, is an error that names it: a limit that silently did not apply would hide abuse.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

SEVERITIES = ("low", "medium", "high")

HOUR = timedelta(minutes=60)
DAY = timedelta(hours=24)


class SettingsError(ValueError):
    """A state's alert settings that cannot be used, with what is wrong in one line."""


@dataclass(frozen=True, slots=True)
class Limit:
    """When a rule raises an alert: ``count`` matching lookups within ``window``."""

    count: int
    window: timedelta
    severity: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class OffHours:
    """Off-hours spikes: from ``start`` to ``end`` o'clock in the state's time, an ORI's
    lookups within the limit's window reach the limit's count and ``factor`` times its usual
    rate at night over the last ``history_days`` days (days before today)."""

    limit: Limit = Limit(20, HOUR, "medium")
    start: int = 22
    end: int = 6
    factor: float = 5.0
    history_days: int = 28

    def covers(self, hour: int) -> bool:
        """Whether ``hour`` (0 to 23, the state's time) is off hours."""
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    @property
    def hours_a_night(self) -> int:
        return (self.end - self.start) % 24


@dataclass(frozen=True, slots=True)
class Settings:
    """Every rule's limit for one state; the defaults are the issue's figures."""

    bulk: Limit = Limit(201, HOUR, "medium")  # more than 200 queries an hour from one ORI
    bulk_asker: Limit = Limit(51, HOUR, "high")  # more than 50 from one person asking
    name_fishing: Limit = Limit(10, HOUR, "high")
    denied_retried: Limit = Limit(1, DAY, "high")  # count: denials to other ORIs before it
    many_agencies: Limit = Limit(3, DAY, "medium")  # count: unrelated agencies
    off_hours: OffHours = field(default_factory=OffHours)
    acting_for_immigration: Limit = Limit(1, DAY, "high")
    parent_length: int = 7  # an ORI's first characters that name its agency

    @property
    def reach(self) -> timedelta:
        """How far back from a moment the rules read: their longest window, or the off-hours
        history (and the day it starts on)."""
        limits: list[Limit] = [getattr(self, name) for name in sorted(_LIMITS)]
        history = timedelta(days=self.off_hours.history_days + 1)
        return max([history, self.off_hours.limit.window, *(limit.window for limit in limits)])

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        """Settings from a parsed TOML document; raises :class:`SettingsError`."""
        settings = cls()
        changes: dict[str, Any] = {}
        for name, value in data.items():
            attribute = name.replace("-", "_")
            if attribute == "parent_length":
                changes[attribute] = _int(name, value, 2, 9)
            elif attribute == "off_hours":
                changes[attribute] = _off_hours(settings.off_hours, _table(name, value))
            elif attribute in _LIMITS:
                changes[attribute] = _limit(name, getattr(settings, attribute), _table(name, value))
            else:
                raise SettingsError(f"unknown alert setting {name!r}")
        return replace(settings, **changes)


def settings_path(data_dir: Path, state: str) -> Path:
    """Where a state's alert settings are: ``<data>/alerts/<STATE>.toml``."""
    return data_dir / "alerts" / f"{state.upper()}.toml"


def read_settings(path: Path) -> Settings:
    """A state's settings from its file; the defaults when there is none. Raises
    :class:`SettingsError` naming the file when it cannot be used."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        raise SettingsError(f"{path}: {error.strerror}") from error
    try:
        return Settings.from_mapping(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not TOML: {error}") from error
    except SettingsError as error:
        raise SettingsError(f"{path}: {error}") from error


_LIMITS = {f.name for f in fields(Settings)} - {"off_hours", "parent_length"}
_LIMIT_KEYS = {"count", "minutes", "severity", "enabled"}


def _table(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SettingsError(f"[{name}] must be a table")
    return value


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}")
    return value


def _limit(name: str, limit: Limit, table: Mapping[str, Any]) -> Limit:
    unknown = set(table) - _LIMIT_KEYS
    if unknown:
        raise SettingsError(f"[{name}] has no setting {sorted(unknown)[0]!r}")
    count = _int(f"{name}.count", table.get("count", limit.count), 1, 1_000_000)
    minutes = table.get("minutes", int(limit.window.total_seconds()) // 60)
    window = timedelta(minutes=_int(f"{name}.minutes", minutes, 1, 7 * 24 * 60))
    severity = table.get("severity", limit.severity)
    if severity not in SEVERITIES:
        raise SettingsError(f"{name}.severity must be one of {', '.join(SEVERITIES)}")
    enabled = table.get("enabled", limit.enabled)
    if not isinstance(enabled, bool):
        raise SettingsError(f"{name}.enabled must be true or false")
    return Limit(count, window, severity, enabled)


def _off_hours(rule: OffHours, table: Mapping[str, Any]) -> OffHours:
    own = {"start", "end", "factor", "history_days"}
    limit = _limit("off-hours", rule.limit, {k: v for k, v in table.items() if k not in own})
    start = _int("off-hours.start", table.get("start", rule.start), 0, 23)
    end = _int("off-hours.end", table.get("end", rule.end), 0, 23)
    if start == end:
        raise SettingsError("off-hours.start and off-hours.end must differ")
    factor = table.get("factor", rule.factor)
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor >= 1:
        raise SettingsError("off-hours.factor must be a number of 1 or more")
    days = _int("off-hours.history_days", table.get("history_days", rule.history_days), 1, 366)
    return OffHours(limit, start, end, float(factor), days)
