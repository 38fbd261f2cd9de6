"""The count an annual report publishes: requests whose decision carried the ``annual-report``
duty, for one state and one year, read from that state's ledger.

The ledger is the source, not a counter kept beside it: it is what the node wrote before any
answer left, so the count cannot drift from what happened, and anyone holding the log can
recount it. A year is the state's calendar year (its own time zone). Each counted decision is
broken down by outcome and by requester ORI, read from the request entry that the node
appends just before it. Entries whose bodies a retention run removed cannot be read: they are
counted apart, and a report with any is a lower bound.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from stateline.ledger.entries import Decision, RequestReceived, decode
from stateline.node.deadlines import local_day
from stateline.node.policy.model import DutyKind

ANNUAL_REPORT = DutyKind.ANNUAL_REPORT.value
_MARK = f'"{ANNUAL_REPORT}"'.encode()  # the duty name as it appears in an entry's bytes

Row = tuple[int, bytes | None, bytes]
"""A ledger row: index, canonical body (None once retention removed it), leaf hash."""


@dataclass(frozen=True, slots=True)
class AnnualCount:
    """One state's count for one year, with its breakdowns."""

    state: str
    year: int
    total: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_requester: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0  # entries removed by retention: the count may be low

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "year": self.year,
            "total": self.total,
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "by_requester": dict(sorted(self.by_requester.items())),
            "unreadable": self.unreadable,
        }


def count_annual(rows: Iterable[Row], state: str, year: int) -> AnnualCount:
    """Count the decisions of ``state`` in ``year`` that carry the ``annual-report`` duty."""
    outcomes: Counter[str] = Counter()
    requesters: Counter[str] = Counter()
    unreadable = 0
    previous: bytes | None = None  # the entry before: a decision's own request entry
    for _index, body, _leaf in rows:
        if body is None:
            unreadable += 1
            previous = None
            continue
        # Most entries carry no such duty: look at the bytes before decoding anything.
        if _MARK in body and b'"kind":"decision"' in body:
            entry = decode(body)
            if isinstance(entry, Decision) and _counted(entry, state, year):
                outcomes[entry.outcome] += 1
                requesters[_requester(previous, entry.message_id)] += 1
        previous = body
    return AnnualCount(
        state=state,
        year=year,
        total=sum(outcomes.values()),
        by_outcome=dict(outcomes),
        by_requester=dict(requesters),
        unreadable=unreadable,
    )


def _counted(entry: Decision, state: str, year: int) -> bool:
    return (
        ANNUAL_REPORT in entry.duties
        and entry.state == state
        and local_day(entry.at, state).year == year
    )


def _requester(previous: bytes | None, message_id: str) -> str:
    """The requester ORI of the request entry just before a decision, if it is the same
    request's; ``unknown`` otherwise."""
    if previous is not None and b'"kind":"request"' in previous:
        request = decode(previous)
        if isinstance(request, RequestReceived) and request.message_id == message_id:
            return request.requester
    return "unknown"
