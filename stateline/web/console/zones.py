"""Times as the node's state reads them: its own clock, with the zone's abbreviation, UTC kept.

A reviewer in Albany reads "09:00 EST", not "14:00 UTC"; the UTC time stays on the same element
(its ``title`` tooltip and its ``datetime`` attribute), since the ledger, the requester and the
logs all speak UTC. The zone of each state is the one its deadlines are counted in
(``node.deadlines.STATE_ZONES``: where the state spans zones, its capital's), so a due date and
the time shown beside it never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from markupsafe import Markup

from stateline.node.deadlines import STATE_ZONES


def zone_for(state: str | None) -> tzinfo:
    """The IANA zone of a state's node (its capital's); UTC when no state is given.

    An unknown code is a mistake in how the console was set up, so it raises ``ValueError``
    rather than show a state's reviewers another state's clock.
    """
    if state is None:
        return UTC
    code = state.strip().upper()
    if code not in STATE_ZONES:
        raise ValueError(f"{state!r} is not a state with a node")
    return ZoneInfo(STATE_ZONES[code])


def local(moment: datetime, zone: tzinfo) -> str:
    """``2026-03-02 09:00 EST``: to the minute, in ``zone``, with the zone's abbreviation."""
    shown = moment.astimezone(zone)
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"


def utc(moment: datetime) -> str:
    """``2026-03-02 14:00 UTC``."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def when(moment: datetime | None, zone: tzinfo) -> Markup:
    """A ``<time>`` element: the local time to read, the UTC time in its tooltip."""
    if moment is None:
        return Markup("")
    iso = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso, utc(moment), local(moment, zone)
    )
