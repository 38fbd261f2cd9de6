"""The one reading of the wall clock: what time it is now, in UTC.

Services take a clock (a function returning an aware ``datetime``) and default to this one, so
that tests and replays can give them their own; the pure cores take times as arguments and read
no clock at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""What a service reads the time from."""


def utc_now() -> datetime:
    return datetime.now(UTC)
