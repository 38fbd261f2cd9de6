"""Abuse alerts: rules over a node's ledger entries, each alert with its evidence and severity.

The core is pure. A :class:`Detector` takes a state's entries in ledger order (the batch form
streams them from the ledger; a serving node feeds them as they become durable, see
``oversight.watch``) and pairs each answer's request, decision and disclosure entries into a
:class:`Lookup`. Each rule keeps sliding windows of lookups by what it watches (an ORI, the
person asking, a subject) and returns a :class:`Raised` whenever a window meets its limit: the
lookups newly in evidence, and the lookup of an earlier raise it continues, if there is one
within the window. The store (``storage.alerts``) folds raises into alerts, an alert per run of
evidence, so a pattern that goes on grows one alert and the same evidence raised twice (by the
node as traffic arrives and by ``stateline alerts`` over the ledger) is stored once.

People and officers appear only as the ledger names them: subject keys and the keyed hash of
the person asking. The rules and their defaults are in docs/alerts.md; each state may change
them (:class:`Settings`).
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from stateline.ledger.entries import (
    Decision,
    Disclosure,
    Entry,
    RequestReceived,
    ReviewAction,
    decode,
)
from stateline.node.audit import ACTING_FOR, ASKER, NAME_SEARCH
from stateline.node.deadlines import state_zone
from stateline.oversight.alert_settings import Limit, Settings

IMMIGRATION = "IMMIGRATION-ENFORCEMENT"
"""The mission (``AFM/``) whose use by a state or local agency raises an alert."""
SEARCHED = frozenset({"release", "release-redacted", "withhold"})
"""Outcomes under which the node searched its records (a denied or held request was not)."""
HELD = "review"
"""The outcome of a request the policy held for a person."""
DECIDED = frozenset({"approve", "approve-in-part", "deny"})
"""Review actions that decide a held request (``node.review.DECISIONS``)."""
OPEN_LIMIT = 10_000
"""Requests waiting for their disclosure entry (or held ones, for a reviewer's denial), at
most; older ones are forgotten."""
SWEEP_EVERY = 4_096
"""Lookups between sweeps of windows that time has emptied."""


Row = tuple[int, bytes | None, bytes]
"""A ledger row: index, canonical body (None once retention removed it), leaf hash."""
_READ = (b'"kind":"request"', b'"kind":"decision"', b'"kind":"disclosure"')


class Rule(StrEnum):
    """The patterns an alert names."""

    BULK = "bulk"
    BULK_ASKER = "bulk-asker"
    NAME_FISHING = "name-fishing"
    DENIED_RETRIED = "denied-retried"
    MANY_AGENCIES = "many-agencies"
    OFF_HOURS = "off-hours"
    ACTING_FOR_IMMIGRATION = "acting-for-immigration"

    @property
    def label(self) -> str:
        """What the rule saw, in words for the console."""
        return _LABELS[self]


_LABELS = {
    Rule.BULK: "Bulk queries from one ORI",
    Rule.BULK_ASKER: "Bulk queries from one person asking",
    Rule.NAME_FISHING: "Name searches finding nobody or several people",
    Rule.DENIED_RETRIED: "Denied, then asked for by another ORI of the same agency",
    Rule.MANY_AGENCIES: "One person looked up by several unrelated agencies",
    Rule.OFF_HOURS: "Off-hours spike against the ORI's own history",
    Rule.ACTING_FOR_IMMIGRATION: "A state or local agency acting for immigration enforcement",
}


@dataclass(frozen=True, slots=True)
class Lookup:
    """One answered request, as its request, decision and disclosure entries tell it."""

    at: datetime
    ori: str
    key: str  # the message key: DQ, RQ, KQ
    outcome: str  # release, withhold, deny, hold
    asked: tuple[str, ...]  # the subject keys the request named
    found: tuple[str, ...]  # subject keys the disclosure named beyond those: people found
    asker: str | None  # the person asking, hashed (``ATN#...``)
    acting_for: frozenset[str]  # missions from ``AFM/``
    name_search: bool
    indexes: tuple[int, int, int]  # the request, decision and disclosure (or review) entries
    reviewed: bool = False  # a held request a reviewer denied: at, outcome and the third
    # index are the reviewer's

    @property
    def index(self) -> int:
        """The request entry's index: the lookup's place in the ledger."""
        return self.indexes[0]

    @property
    def subjects(self) -> tuple[str, ...]:
        return self.asked + self.found


def lookup_of(
    request: RequestReceived, decision: Decision, disclosure: Disclosure, indexes: tuple[int, ...]
) -> Lookup:
    """The facts of one answer. A name search is one whose request says so; entries written
    before requests did are told apart only when the answer found several people, which a
    licence number never does."""
    asked = request.subjects
    found = tuple(s for s in disclosure.subjects if s not in asked)
    asker: str | None = None
    acting_for: frozenset[str] = frozenset()
    name_search = False
    for item in request.reasons:
        if item.startswith(ASKER):
            asker = item
        elif item.startswith(ACTING_FOR):
            acting_for = frozenset(item[len(ACTING_FOR) :].split(","))
        elif item == NAME_SEARCH:
            name_search = True
    if not name_search and request.key in ("DQ", "KQ") and len(found) > 1:
        name_search = True
    return Lookup(
        at=request.at,
        ori=request.requester,
        key=request.key,
        outcome=decision.outcome,
        asked=asked,
        found=found,
        asker=asker,
        acting_for=acting_for,
        name_search=name_search,
        indexes=(indexes[0], indexes[1], indexes[2]),
    )


class Answers:
    """Pairs a ledger's entries into lookups: a request's decision and disclosure follow it.

    A disclosure with no open request (a held request's late answer) makes no lookup: the
    rules read what each request asked and how the policy first answered it. A reviewer's
    denial of a held request makes a second lookup of it, ``reviewed``, denied at the
    review's time: a denial for the rule that watches denied requests asked again.
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[RequestReceived, int, Decision | None, int]] = {}
        self._held: dict[str, Lookup] = {}

    def add(self, index: int, entry: Entry) -> Lookup | None:
        if isinstance(entry, RequestReceived):
            if len(self._open) >= OPEN_LIMIT:
                del self._open[next(iter(self._open))]
            self._open[entry.message_id] = (entry, index, None, -1)
        elif isinstance(entry, Decision):
            opened = self._open.get(entry.message_id)
            if opened is not None and opened[2] is None:
                self._open[entry.message_id] = (opened[0], opened[1], entry, index)
        elif isinstance(entry, Disclosure):
            opened = self._open.pop(entry.message_id, None)
            if opened is not None:
                request, at, decision, decided = opened
                if decision is not None:
                    lookup = lookup_of(request, decision, entry, (at, decided, index))
                    if lookup.outcome == HELD:
                        if len(self._held) >= OPEN_LIMIT:
                            del self._held[next(iter(self._held))]
                        self._held[entry.message_id] = lookup
                    return lookup
        elif isinstance(entry, ReviewAction) and entry.action in DECIDED:
            held = self._held.pop(entry.message_id, None)
            if held is not None and entry.action == "deny":
                indexes = (held.indexes[0], held.indexes[1], index)
                return replace(held, at=entry.at, outcome="deny", indexes=indexes, reviewed=True)
        return None


@dataclass(frozen=True, slots=True)
class Raised:
    """A rule met its limit at one lookup: the evidence new to the alert, the alert it grows."""

    rule: Rule
    severity: str
    state: str
    key: str  # what the alert is about: an ORI, an ORI and asker, a subject...
    ori: str | None  # the ORI it is about (denied-retried: the one that asked again; None: a
    # subject looked up by several)
    subject: str | None  # the subject key it is about, if any
    window: timedelta
    evidence: tuple[Lookup, ...]  # lookups not raised before under this rule and key
    continues: int | None  # the index of a lookup already raised that this run goes on from


def alert_id(state: str, rule: str, key: str, first: int) -> str:
    """An alert's id: from its state, rule, key and the index of its first evidence."""
    return hashlib.sha256(f"{state}\x1f{rule}\x1f{key}\x1f{first}".encode()).hexdigest()[:20]


class Windows:
    """Lookups by key within a sliding window, and the last lookup raised under each key."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.seen: dict[str, deque[Lookup]] = {}
        self.last: dict[str, Lookup] = {}

    def add(self, key: str, lookup: Lookup) -> deque[Lookup]:
        """The key's window once ``lookup`` joins it (the oldest leave first)."""
        seen = self.seen.get(key)
        if seen is None:
            seen = self.seen[key] = deque((lookup,))
            return seen
        horizon = lookup.at - self.window
        while seen and seen[0].at < horizon:
            seen.popleft()
        seen.append(lookup)
        return seen

    def recent(self, key: str, now: datetime) -> deque[Lookup] | None:
        """The key's window as of ``now``, without adding to it (None: nothing there)."""
        seen = self.seen.get(key)
        if seen is not None:
            horizon = now - self.window
            while seen and seen[0].at < horizon:
                seen.popleft()
        return seen

    def raised(
        self, key: str, evidence: Sequence[Lookup], lookup: Lookup
    ) -> tuple[tuple[Lookup, ...], int | None] | None:
        """Mark ``evidence`` raised at ``lookup``: the part of it not raised before, and the
        last lookup raised under the key if it is within the window (the run goes on); None
        when all of it was raised already."""
        last = self.last.get(key)
        floor = last.index if last is not None else -1
        # Evidence is in ledger order: read back from the newest to what was raised before, so
        # a pattern that goes on costs its new lookups, not its whole window, each time.
        fresh: list[Lookup] = []
        for e in reversed(evidence):
            if e.index <= floor:
                break
            fresh.append(e)
        if not fresh:
            return None
        new = tuple(reversed(fresh))
        continues = last.index if last is not None and lookup.at - last.at <= self.window else None
        self.last[key] = new[-1]
        return new, continues

    def sweep(self, now: datetime) -> None:
        """Forget keys with nothing left in the window, so memory follows the traffic."""
        horizon = now - self.window
        for key in [k for k, seen in self.seen.items() if not seen or seen[-1].at < horizon]:
            del self.seen[key]
        for key in [k for k, last in self.last.items() if last.at < horizon]:
            del self.last[key]


@dataclass
class _History:
    """An ORI's off-hours lookups per local day, and the first day it was seen at all."""

    first: date
    nights: dict[date, int] = field(default_factory=dict)


class Detector:
    """One state's rules over its ledger, fed in index order; returns what each entry raises.

    ``federal`` names the federal ORIs (the directory's): every other agency acting for
    immigration enforcement raises an alert.
    """

    def __init__(
        self, state: str, federal: Container[str], settings: Settings | None = None
    ) -> None:
        self.state = state
        self.settings = settings or Settings()
        self.federal = federal
        self.zone = state_zone(state)
        self.answers = Answers()
        s = self.settings
        self.limits: dict[Rule, Limit] = {
            Rule.BULK: s.bulk,
            Rule.BULK_ASKER: s.bulk_asker,
            Rule.NAME_FISHING: s.name_fishing,
            Rule.DENIED_RETRIED: s.denied_retried,
            Rule.MANY_AGENCIES: s.many_agencies,
            Rule.OFF_HOURS: s.off_hours.limit,
            Rule.ACTING_FOR_IMMIGRATION: s.acting_for_immigration,
        }
        self.windows = {rule: Windows(limit.window) for rule, limit in self.limits.items()}
        rules = {
            Rule.BULK: self._bulk,
            Rule.BULK_ASKER: self._bulk_asker,
            Rule.NAME_FISHING: self._name_fishing,
            Rule.DENIED_RETRIED: self._denied_retried,
            Rule.MANY_AGENCIES: self._many_agencies,
            Rule.OFF_HOURS: self._off_hours,
            Rule.ACTING_FOR_IMMIGRATION: self._acting_for_immigration,
        }
        self.rules = [run for rule, run in rules.items() if self.limits[rule].enabled]
        self.history: dict[str, _History] = {}
        self._count = 0

    def entry(self, index: int, entry: Entry) -> list[Raised]:
        """Take the next entry of the ledger; the alerts it raises, if it completes an answer."""
        lookup = self.answers.add(index, entry)
        if lookup is None:
            return []
        if lookup.reviewed:
            self._denied(lookup)  # counted when it was answered: only a denial now
            return []
        return self.lookup(lookup)

    def lookup(self, lookup: Lookup) -> list[Raised]:
        """Run every enabled rule on one lookup."""
        self._count += 1
        if self._count % SWEEP_EVERY == 0:
            for windows in self.windows.values():
                windows.sweep(lookup.at)
        out: list[Raised] = []
        for rule in self.rules:
            rule(out, lookup)
        return out

    def _raise(
        self,
        out: list[Raised],
        rule: Rule,
        key: str,
        evidence: Sequence[Lookup],
        lookup: Lookup,
        ori: str | None,
        subject: str | None = None,
    ) -> None:
        raised = self.windows[rule].raised(key, evidence, lookup)
        if raised is not None:
            new, continues = raised
            limit = self.limits[rule]
            out.append(
                Raised(
                    rule=rule,
                    severity=limit.severity,
                    state=self.state,
                    key=key,
                    ori=ori,
                    subject=subject,
                    window=limit.window,
                    evidence=new,
                    continues=continues,
                )
            )

    def _count_rule(
        self, out: list[Raised], rule: Rule, key: str, lookup: Lookup, least: int = 0
    ) -> None:
        """Raise when the key's window holds the rule's count of lookups (or ``least``)."""
        seen = self.windows[rule].add(key, lookup)
        if len(seen) >= max(self.limits[rule].count, least):
            self._raise(out, rule, key, seen, lookup, lookup.ori)

    def _bulk(self, out: list[Raised], lookup: Lookup) -> None:
        """Every query an ORI sends counts, whatever the answer."""
        self._count_rule(out, Rule.BULK, lookup.ori, lookup)

    def _bulk_asker(self, out: list[Raised], lookup: Lookup) -> None:
        """One person asking, within their agency: the same ``ATN/`` elsewhere is someone else."""
        if lookup.asker is not None:
            self._count_rule(out, Rule.BULK_ASKER, f"{lookup.ori} {lookup.asker}", lookup)

    def _name_fishing(self, out: list[Raised], lookup: Lookup) -> None:
        """Name searches the node ran that found nobody, or more than one person."""
        if lookup.name_search and lookup.outcome in SEARCHED and len(lookup.found) != 1:
            self._count_rule(out, Rule.NAME_FISHING, lookup.ori, lookup)

    def _acting_for_immigration(self, out: list[Raised], lookup: Lookup) -> None:
        """A state or local agency's query stating it acts for immigration enforcement."""
        if IMMIGRATION in lookup.acting_for and lookup.ori not in self.federal:
            self._count_rule(out, Rule.ACTING_FOR_IMMIGRATION, lookup.ori, lookup)

    def parent(self, ori: str) -> str:
        """The agency an ORI belongs to: its first characters (docs/alerts.md)."""
        return ori[: self.settings.parent_length]

    def _denied_retried(self, out: list[Raised], lookup: Lookup) -> None:
        """A subject denied to one ORI, then asked for by another ORI of the same agency."""
        agency = self.parent(lookup.ori)
        windows = self.windows[Rule.DENIED_RETRIED]  # denials alone, by agency and subject
        for subject in lookup.subjects:
            key = f"{agency} {subject}"
            denials = windows.recent(key, lookup.at)
            if denials:
                denied = [e for e in denials if e.ori != lookup.ori]
                if len(denied) >= self.limits[Rule.DENIED_RETRIED].count:
                    evidence = [*denied, lookup]
                    self._raise(
                        out, Rule.DENIED_RETRIED, key, evidence, lookup, lookup.ori, subject
                    )
        self._denied(lookup)

    def _denied(self, lookup: Lookup) -> None:
        """Remember a denial, by agency and subject, for the requests that follow it."""
        if lookup.outcome != "deny" or not self.limits[Rule.DENIED_RETRIED].enabled:
            return
        agency = self.parent(lookup.ori)
        for subject in lookup.subjects:
            self.windows[Rule.DENIED_RETRIED].add(f"{agency} {subject}", lookup)

    def _many_agencies(self, out: list[Raised], lookup: Lookup) -> None:
        """One subject looked up by several unrelated agencies (different parents)."""
        windows = self.windows[Rule.MANY_AGENCIES]
        least = self.limits[Rule.MANY_AGENCIES].count
        for subject in lookup.subjects:
            seen = windows.add(subject, lookup)
            if len(seen) < least:
                continue
            if len({self.parent(e.ori) for e in seen}) >= least:
                self._raise(out, Rule.MANY_AGENCIES, subject, seen, lookup, None, subject)

    def _off_hours(self, out: list[Raised], lookup: Lookup) -> None:
        """More off-hours lookups in the window than the ORI's own history would have."""
        rule = self.settings.off_hours
        local = lookup.at.astimezone(self.zone)
        day = local.date()
        history = self.history.get(lookup.ori)
        if history is None:
            history = self.history[lookup.ori] = _History(day)
        if not rule.covers(local.hour):
            return
        nights = history.nights
        nights[day] = nights.get(day, 0) + 1
        oldest = day - timedelta(days=rule.history_days)
        for gone in [d for d in nights if d < oldest]:
            del nights[gone]
        span = min(rule.history_days, (day - history.first).days)
        usual = 0.0
        if span > 0:
            before = sum(n for d, n in nights.items() if d < day)
            usual = before / (span * rule.hours_a_night)
        least = max(rule.limit.count, math.ceil(rule.factor * usual))
        self._count_rule(out, Rule.OFF_HOURS, lookup.ori, lookup, least)


def raised_from(rows: Iterable[Row], detector: Detector) -> Iterator[Raised]:
    """What a run of ledger rows raises, in order (the batch form: rows streamed, never all
    held). Rows whose body retention removed, and entries no rule reads, are passed over."""
    for index, body, _leaf in rows:
        if body is not None and any(kind in body for kind in _READ):
            yield from detector.entry(index, decode(body))
