"""The online detector: a serving process's nodes feed it their entries as they become durable,
and a thread of its own runs the alert rules over them and stores what they raise.

Feeding costs the answer path one queue append per commit (:meth:`Watch.feed`); the rules, the
alert store's writes and everything else run on the watch's thread. At start the thread first
reads each ledger's recent past (as far back as the rules look), so that windows open before a
restart go on; raising what it reads again is harmless, since the store keeps each alert once.
Entries reach the rules in ledger order for each state. Nothing here reaches the answer path:
a failure to store an alert is logged, and ``stateline alerts`` finds it again in the ledger.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from stateline.clock import utc_now
from stateline.directory.model import Agency
from stateline.errors import StorageError
from stateline.ledger.entries import Entry, EntryError, decode, micros
from stateline.ledger.ports import LedgerStore
from stateline.oversight.alerts import Detector, Raised, raised_from

log = logging.getLogger(__name__)

CHUNK = 10_000
"""Ledger rows read at once."""
LINGER = 0.05
"""Seconds the thread lets commits gather once one arrives: it wakes a few times a second
under load rather than at every commit, each wake taking the interpreter from the answers."""

Fed = tuple[Sequence[Entry], Sequence[int]]


class FederalOris:
    """The federal ORIs of a directory that may change while the process serves."""

    def __init__(self, agencies: Callable[[], Mapping[str, Agency]]) -> None:
        self._agencies = agencies

    def __contains__(self, ori: object) -> bool:
        agency = self._agencies().get(ori) if isinstance(ori, str) else None
        return agency is not None and agency.federal


def first_from(store: LedgerStore, end: int, moment: datetime) -> int:
    """The first index of ``store`` below ``end`` whose entry is from ``moment`` on (``end``
    if none is). Entries are appended about in time order; a binary search reads a few."""
    lo, hi, floor = 0, end, micros(moment)
    while lo < hi:
        mid = (lo + hi) // 2
        row = store.entry(mid)
        body = row[1] if row is not None else None
        if body is None or micros(decode(body).at) < floor:
            lo = mid + 1
        else:
            hi = mid
    return lo


def scan(
    store: LedgerStore,
    detector: Detector,
    start: int,
    end: int,
    keep: Callable[[list[Raised]], object],
    stop: threading.Event | None = None,
) -> None:
    """Run ``detector`` over entries ``[start, end)`` of a ledger, a chunk at a time, handing
    each chunk's raises to ``keep``."""
    for rows in store.stream_entries(end, CHUNK, start):
        if stop is not None and stop.is_set():
            return
        raised = list(raised_from(rows, detector))
        if raised:
            keep(raised)


class AlertLog(Protocol):
    """Where a state's alerts are kept (``storage.alerts.AlertStore``): each raise grows its
    alert or starts one."""

    def record(self, raised: Sequence[Raised], now: datetime) -> list[str]:
        """Keep ``raised``; the ids of the alerts it started."""
        ...


def catch_up(
    ledger: LedgerStore,
    detector: Detector,
    alerts: AlertLog,
    now: datetime,
    since: datetime | None = None,
) -> None:
    """The batch form: run the rules over a ledger as stored (from ``since`` less the rules'
    reach; all of it without) and keep what they raise with the alerts already stored."""
    end = ledger.end()
    start = first_from(ledger, end, since - detector.settings.reach) if since is not None else 0
    scan(ledger, detector, start, end, partial(alerts.record, now=now))


@dataclass
class Watched:
    """One state under watch: its rules, where alerts go, its ledger and how far it was read
    when the watch began (later entries come through :meth:`Watch.feed`)."""

    detector: Detector
    alerts: AlertLog
    ledger: LedgerStore
    fed_from: int


class Watch:
    """Raises alerts as nodes' entries become durable; one thread for every node."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self._states: dict[str, Watched] = {}
        self._queue: queue.SimpleQueue[Fed | threading.Event | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, detector: Detector, alerts: AlertLog, ledger: LedgerStore, size: int) -> None:
        """Watch a state whose ledger holds ``size`` entries now, before it serves."""
        self._states[detector.state] = Watched(detector, alerts, ledger, size)

    def feed(self, entries: Sequence[Entry], indexes: Sequence[int]) -> None:
        """Durable entries of one ledger, with their indexes: the answer path's one call."""
        self._queue.put((entries, indexes))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
            self._thread.start()

    def settled(self, timeout: float = 10.0) -> bool:
        """Wait until everything fed so far has been through the rules and stored."""
        if self._thread is None:
            return self._queue.empty()
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread once it has stored what was fed (reading the past stops at once)."""
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        for watched in list(self._states.values()):
            if self._stop.is_set():
                break
            self._prime(watched)
        stopping = False
        while not stopping:
            items = [self._queue.get()]
            if isinstance(items[0], tuple):
                time.sleep(LINGER)
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._take([item for item in items if isinstance(item, tuple)])
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
                elif item is None:
                    stopping = True

    def _prime(self, watched: Watched) -> None:
        detector = watched.detector
        try:
            since = self.clock() - detector.settings.reach
            start = first_from(watched.ledger, watched.fed_from, since)
            keep = self._keeper(watched)
            scan(watched.ledger, detector, start, watched.fed_from, keep, self._stop)
        except (StorageError, EntryError):
            # The rules start from what is fed; ``stateline alerts`` reads the ledger itself.
            log.exception("alerts of %s: the ledger's past could not be read", detector.state)

    def _keeper(self, watched: Watched) -> Callable[[list[Raised]], None]:
        def keep(raised: list[Raised]) -> None:
            self._store(watched, raised)

        return keep

    def _take(self, batch: list[Fed]) -> None:
        raised: dict[str, list[Raised]] = {}
        for entries, indexes in batch:
            if not entries:
                continue
            watched = self._states.get(entries[0].state)
            if watched is None:
                continue
            detector = watched.detector
            for entry, index in zip(entries, indexes, strict=True):
                if index >= watched.fed_from:
                    found = detector.entry(index, entry)
                    if found:
                        raised.setdefault(detector.state, []).extend(found)
        for state, found in raised.items():
            self._store(self._states[state], found)

    def _store(self, watched: Watched, raised: list[Raised]) -> None:
        try:
            new = watched.alerts.record(raised, self.clock())
        except StorageError:
            log.exception("alerts of %s: %d raises not stored", watched.detector.state, len(raised))
            return
        for alert in new:
            log.info("alert %s raised in %s", alert, watched.detector.state)
