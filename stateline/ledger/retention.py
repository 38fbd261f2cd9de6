"""Retention: how long entries keep their bodies, the prefix of a log older than that, and the
entry that logs a run.

Retention removes a prefix of the log: it stops at the first entry younger than the cutoff,
so no younger entry is ever touched (an older one that follows it waits for a later run).
Leaf hashes stay, so the log still verifies, and the run is logged first (an ``admin`` entry,
change ``retention``, saying up to which index), so the verifier can tell bodies removed by
retention from bodies removed behind the ledger's back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from stateline.ledger.entries import AdminChange, micros
from stateline.ledger.ports import LedgerStore

DEFAULT_RETENTION = timedelta(days=7 * 365 + 2)
"""How long entries keep their bodies by default: seven years (two leap days included)."""
MIN_RETENTION = timedelta(days=365)
"""The shortest retention allowed: the FBI CJIS Security Policy asks at least one year."""


def entry_micros(body: bytes) -> int:
    """The time of an entry, in µs since the epoch, from its canonical bytes."""
    return micros(datetime.fromisoformat(orjson.loads(body)["at"]))


def older_through(store: LedgerStore, start: int, size: int, cutoff: int) -> int:
    """Where the entries from ``start`` (the first held) that are older than ``cutoff`` (µs
    since the epoch) end: the index of the first younger one, or removed, or ``size``."""
    through = start
    for rows in store.stream_entries(size, 10_000, start):
        for index, body, _leaf in rows:
            if body is None or entry_micros(body) >= cutoff:
                break
            through = index + 1
        else:
            continue
        break
    return through


def retention_entry(
    origin: str, now: datetime, cutoff: int, through: int, actor: str
) -> AdminChange:
    """The ``admin`` entry that logs a run removing the bodies before index ``through``."""
    return AdminChange(
        message_id=f"retention-{through}",
        state=origin.rsplit("/", 1)[-1],
        at=now,
        change="retention",
        actor=actor,
        detail={"before_micros": cutoff, "through": through},
    )
