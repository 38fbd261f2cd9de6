"""The hub's message log after a long history, beside the same log indexed the way it was before.

An agency lists its own messages newest first (``GET /v1/messages``, ``MessageLog.for_sender``),
and the server writes the log durably, a burst of requests a commit (``MessageLog.record``).
Both are timed on a log of N messages from S agencies, in today's layout, where an index on
sender and time gives the newest messages in order, and in the earlier one (the baseline),
indexed by sender alone, where a listing read and sorted every message the agency had sent.
The two logs are built once and kept under ``--cache``; the timings are interleaved so the
machine's noise hits both alike, and medians are reported.

    .venv/bin/python benchmarks/messages.py [--messages 1000000] [--senders 500] [--cache DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from stateline.hub.records import MessageRecord
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.messages import MessageLog

START = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 500
"""Messages written together here: about a second of traffic at 500 requests/s."""


def senders(count: int) -> list[str]:
    """Synthetic, format-valid local agency ORIs spread over a few states."""
    states = ("NY", "CA", "TX", "FL", "IL")
    return [f"{states[n % len(states)]}{n:05d}00" for n in range(count)]


def records(
    first: int, count: int, agencies: list[str], seed: int, run: int = 0
) -> Iterator[MessageRecord]:
    """``count`` accepted DQs from ``first`` on, ten a second, each from a random agency; ids
    begin with ``run``, so that a later run adds to a kept log without clashing."""
    rng = random.Random(seed)
    for n in range(first, first + count):
        yield MessageRecord(
            id=f"{run:016x}{n:016x}",
            sender=rng.choice(agencies),
            mke="DQ",
            destinations="NY",
            form="text",
            received=START + timedelta(milliseconds=100 * n),
            accepted=True,
            reason=None,
            replies=1,
        )


def build(path: Path, count: int, agencies: list[str], before: bool) -> MessageLog:
    """A log of ``count`` messages at ``path``, in today's layout or (``before``) the earlier."""
    done = path.with_suffix(".complete")
    if not done.exists():
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    log = MessageLog(open_engine(sqlite_url(str(path))))
    if done.exists():
        print(f"reusing {path}")
        return log
    log.create_schema()
    if before:
        with log.engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_messages_sender_received"))
            connection.execute(text("CREATE INDEX ix_messages_sender ON messages (sender)"))
    start = time.perf_counter()
    write(log, records(0, count, agencies, seed=1))
    print(f"built {path.name}: {count:,} messages in {time.perf_counter() - start:.1f} s")
    done.touch()
    return log


def write(log: MessageLog, batch: Iterator[MessageRecord]) -> None:
    """Write ``batch`` as the server does, each record a request of its own, and wait until all
    are durable: those that reach the loop together share a commit."""

    async def together() -> None:
        await asyncio.gather(*(log.record(record) for record in batch))

    asyncio.run(together())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--senders", type=int, default=500)
    parser.add_argument("--lists", type=int, default=200, help="listings timed in each layout")
    parser.add_argument("--flushes", type=int, default=20, help="flushes timed in each layout")
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.mkdtemp(prefix="stateline-messages-"))
    cache.mkdir(parents=True, exist_ok=True)
    agencies = senders(args.senders)
    layouts = {
        "by sender alone (baseline)": build(
            cache / f"before-{args.messages}.sqlite", args.messages, agencies, before=True
        ),
        "by sender and time": build(
            cache / f"today-{args.messages}.sqlite", args.messages, agencies, before=False
        ),
    }
    lists: dict[str, list[float]] = {name: [] for name in layouts}
    flushes: dict[str, list[float]] = {name: [] for name in layouts}
    rng = random.Random(2)
    rounds = max(args.lists, args.flushes)
    # Each layout gets the same new messages, after all the ones it was built with.
    first, run = 10 * args.messages, uuid.uuid4().int >> 64
    fresh = {name: records(first, BATCH * args.flushes, agencies, 3, run) for name in layouts}
    for n in range(rounds):
        ori = rng.choice(agencies)
        for name, log in layouts.items():
            if n < args.lists:
                start = time.perf_counter()
                log.for_sender(ori)
                lists[name].append(time.perf_counter() - start)
            if n < args.flushes:
                batch = [next(fresh[name]) for _ in range(BATCH)]
                start = time.perf_counter()
                write(log, iter(batch))
                flushes[name].append(time.perf_counter() - start)
    per_sender = args.messages // args.senders
    print(
        f"\nmessage log of {args.messages:,} messages from {args.senders} agencies "
        f"(about {per_sender:,} each), SQLite"
    )
    print(f"{'index':32s} {'list 100 newest, median ms':>28s} {'flush of 500, median ms':>25s}")
    for name in layouts:
        listed = statistics.median(lists[name]) * 1e3
        flushed = statistics.median(flushes[name]) * 1e3
        print(f"{name:32s} {listed:28.2f} {flushed:25.2f}")
    base, today = (statistics.median(lists[name]) for name in layouts)
    base_flush, today_flush = (statistics.median(flushes[name]) for name in layouts)
    print(
        f"  listing {base / today:.1f}x faster than the baseline; "
        f"a flush {today_flush / base_flush:.2f}x the baseline's time"
    )


if __name__ == "__main__":
    main()
