"""The audit ledger: append rate beside a plain insert, proofs and verification at scale.

In one run, on one SQLite database (WAL, ``synchronous=FULL`` for all, commits of
``--batch`` entries):

- the baselines: the same entries encoded and inserted, with their subject rows, into tables
  shaped exactly like the ledger's, and nothing else: with ``executemany``, and with one
  statement per table per batch as the ledger writes on SQLite;
- the ledger: ``Ledger.submit`` of the same entries (leaf hashes, tree nodes, a signed head
  per commit, all in the same transaction), one batch at a time and with two in flight, as
  concurrent callers on a serving node submit them.

Each is run ``--rounds`` times, interleaved, and the median of each is reported (other
processes share the machine). Then, on a log of ``--log-entries`` (built once and cached under
``--cache``): inclusion proof time (median and 99th percentile over ``--proofs`` random
entries, after ``--warm`` untimed ones), consistency proof time, and the time to verify the
whole log.

    .venv/bin/python benchmarks/ledger.py [--entries 200000] [--batch 20000]
                                          [--log-entries 10000000] [--cache DIR]
                                          [--proofs 2000] [--skip-verify]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from stateline.ledger.checkpoint import Signer, Verifier
from stateline.ledger.entries import (
    Decision,
    Disclosure,
    Entry,
    RequestReceived,
    encode,
    subject_key,
)
from stateline.ledger.layout import BUCKET_BITS, entry_row
from stateline.ledger.log import Ledger
from stateline.ledger.spans import default_workers
from stateline.ledger.verify import verify_ledger
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.ledger.database import PAGE_SIZE
from stateline.storage.ledger.store import SqlLedgerStore

SECRET = b"benchmark subject secret"
START = datetime(2025, 10, 1, tzinfo=UTC)
SUBJECTS = [subject_key(SECRET, "NY", oln=f"B{n:08d}") for n in range(100_000)]


def generate(count: int, first: int = 0, state: str = "NY") -> Iterator[Entry]:
    """Realistic entries of ``state``'s ledger: a request, its decision and its disclosure, per
    query."""
    ori = f"{state}STP0000"
    for i in range(first, first + count):
        message_id, at = f"{state}{i // 3:012d}", START + timedelta(milliseconds=i)
        who = (SUBJECTS[(i * 7919) % len(SUBJECTS)],)
        match i % 3:
            case 0:
                yield RequestReceived(message_id=message_id, state=state, at=at, requester=ori,
                                      key="DQ", purpose="C", reasons=("TRAFFIC",),
                                      subjects=who)  # fmt: skip
            case 1:
                yield Decision(message_id=message_id, state=state, at=at, outcome="release",
                               data_classes={"licence": "release"},
                               policy_ids=(f"{state.lower()}-1",), subjects=who)  # fmt: skip
            case _:
                yield Disclosure(message_id=message_id, state=state, at=at, recipient=ori,
                                 data_classes=("licence",), answer_sha256="ab" * 32,
                                 subjects=who)  # fmt: skip


BULK_ENTRIES = (
    "INSERT INTO {t} (idx, body, leaf_hash) SELECT ?1 + key, substr(?2, after + 1, value - after), "
    "substr(?3, key * 32 + 1, 32) FROM (SELECT key, value, "
    "coalesce(lag(value) OVER (ORDER BY key), 0) AS after FROM json_each(?4))"
)
BULK_SUBJECTS = "INSERT INTO {t}_s SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)"


def baseline(path: Path, batches: list[list[Entry]], table: str, bulk: bool) -> float:
    """Encode and insert the same rows into plain tables; returns seconds. ``bulk``: one
    statement per table per batch, as the ledger writes on SQLite; else ``executemany``."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        f"CREATE TABLE {table} (idx INTEGER PRIMARY KEY, body BLOB, leaf_hash BLOB NOT NULL)"
    )
    db.execute(f"CREATE TABLE {table}_s (bucket BIGINT, subject BIGINT, idx BIGINT, "
               "PRIMARY KEY (bucket, subject, idx)) WITHOUT ROWID")  # fmt: skip
    db.commit()
    start = time.perf_counter()
    index = 0
    for batch in batches:
        rows: list[tuple[int, bytes, bytes]] = []
        subjects: list[tuple[int, int, int]] = []
        for entry in batch:
            tags, body, leaf = entry_row(entry)  # the same encoding the ledger does
            rows.append((index, body, leaf))
            subjects.extend((index >> BUCKET_BITS, tag, index) for tag in tags)
            index += 1
        subjects.sort()
        if bulk:
            bodies = [body for _i, body, _h in rows]
            ends = orjson.dumps(list(itertools.accumulate(map(len, bodies))))
            hashes = b"".join(h for _i, _b, h in rows)
            db.execute(BULK_ENTRIES.format(t=table), (rows[0][0], b"".join(bodies), hashes, ends))
            db.execute(BULK_SUBJECTS.format(t=table), (orjson.dumps(subjects),))
        else:
            db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", rows)
            db.executemany(f"INSERT INTO {table}_s VALUES (?, ?, ?)", subjects)
        db.commit()
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def ledger_append(path: Path, batches: list[list[Entry]], in_flight: int, prefix: str) -> float:
    """``Ledger.submit`` of each batch, waiting whenever ``in_flight`` are not yet durable
    (several callers at once, as on a serving node); returns seconds until all are folded."""
    engine = open_engine(sqlite_url(str(path)), page_size=PAGE_SIZE)
    store = SqlLedgerStore(engine, prefix)  # each run its own tables, in the same database
    store.create_schema()
    with Ledger(store, Signer.generate("stateline/ledger/NY")) as ledger:
        start = time.perf_counter()
        waiting: collections.deque[Future[list[int]]] = collections.deque()
        for batch in batches:
            waiting.append(ledger.submit(batch))
            if len(waiting) >= in_flight:
                waiting.popleft().result()
        for future in waiting:
            future.result()
        assert ledger.size == sum(map(len, batches))  # every entry folded into the tree too
        elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def append_benchmark(entries: int, batch: int, rounds: int) -> None:
    print(f"generating {entries:,} entries...")
    items = list(generate(entries))
    batches = [items[i : i + batch] for i in range(0, entries, batch)]
    sizes = [len(encode(e)) for e in items[:3]]
    print(f"entries of {min(sizes)}-{max(sizes)} bytes, commits of {batch:,}")
    runs: dict[str, Callable[[Path], float]] = {
        "plain insert, executemany (baseline)": lambda p: baseline(p, batches, "plain", False),
        "plain insert, one statement a batch": lambda p: baseline(p, batches, "bulk", True),
        "ledger append, one batch at a time": lambda p: ledger_append(p, batches, 1, "ny_"),
        "ledger append, two batches in flight": lambda p: ledger_append(p, batches, 2, "nj_"),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            # Same database file for every run of a round; interleaved, so noise hits all.
            path = Path(tmp) / f"round{r}.sqlite"
            made = open_engine(sqlite_url(str(path)), page_size=PAGE_SIZE)  # as a node makes it
            made.connect().close()
            made.dispose()
            for name, run in runs.items():
                times[name].append(run(path))
            print(
                f"  round {r + 1}: " + "  ".join(f"{entries / t[-1]:,.0f}" for t in times.values())
            )
    best = {name: statistics.median(t) for name, t in times.items()}
    for name, elapsed in best.items():
        print(f"{name + ':':<40} {entries / elapsed:>9,.0f} entries/s (median of {rounds})")
    plain, bulk = (
        best["plain insert, executemany (baseline)"],
        best["plain insert, one statement a batch"],
    )
    for name in ("ledger append, one batch at a time", "ledger append, two batches in flight"):
        print(
            f"{name}: {entries / best[name]:,.0f}/s (target >= 50,000); overhead "
            f"{best[name] / plain:.2f}x over executemany, {best[name] / bulk:.2f}x over the same "
            "statements (target <= 2x)"
        )


def build_log(path: Path, count: int) -> SqlLedgerStore:
    done = path.with_suffix(".complete")
    engine = open_engine(sqlite_url(str(path)))
    store = SqlLedgerStore(engine)
    if done.exists():
        print(f"reusing {path} ({store.end():,} entries)")
        return store
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    engine = open_engine(sqlite_url(str(path)), page_size=PAGE_SIZE)
    store = SqlLedgerStore(engine)
    store.create_schema()
    key = Signer.generate("stateline/ledger/NY")
    (path.with_suffix(".vkey")).write_text(key.verifier.vkey + "\n")
    start = time.perf_counter()
    with Ledger(store, key) as ledger:
        step = 20_000
        for first in range(0, count, step):
            ledger.append(list(generate(min(step, count - first), first)))
            if first % 1_000_000 == 0 and first:
                print(f"  {first:,} entries, {first / (time.perf_counter() - start):,.0f}/s")
            if first % 2_500_000 == 0:
                ledger.checkpoint(1_760_000_000 + first)
        ledger.checkpoint(1_760_000_000 + count)
    elapsed = time.perf_counter() - start
    print(f"built a log of {count:,} entries in {elapsed:.0f} s ({count / elapsed:,.0f}/s)")
    done.touch()
    return store


def proof_benchmark(store: SqlLedgerStore, proofs: int, warm: int, verify: bool = True) -> None:
    path = Path(store.engine.url.database or "")
    ledger = Ledger(store, Signer.generate("stateline/ledger/NY"))  # reads only; never signs
    size = ledger.size
    rng = random.Random(7)
    # Warm up as a serving node is: the top of the tree is then remembered (and in the page
    # cache), and only the levels below it are read per proof.
    for _ in range(warm):
        ledger.inclusion_proof(rng.randrange(size))
    times = []
    for _ in range(proofs):
        index = rng.randrange(size)
        start = time.perf_counter()
        proof = ledger.inclusion_proof(index)
        times.append(time.perf_counter() - start)
        assert proof.root() == ledger.root
    times.sort()
    print(
        f"inclusion proof at {size:,} entries: median {statistics.median(times) * 1e3:.3f} ms, "
        f"p99 {times[int(len(times) * 0.99)] * 1e3:.3f} ms  (target <= 1 ms)"
    )
    times = []
    for _ in range(min(proofs, 200)):
        old = rng.randrange(1, size)
        start = time.perf_counter()
        ledger.consistency_proof(old)
        times.append(time.perf_counter() - start)
    print(f"consistency proof: median {statistics.median(times) * 1e3:.3f} ms")
    ledger.close()
    vkey = path.with_suffix(".vkey")
    if verify and vkey.exists():
        verify_benchmark(store, Verifier.parse(vkey.read_text()))


def verify_benchmark(store: SqlLedgerStore, verifier: Verifier) -> None:
    """Full verification in one process and on every core, beside a bare read of the rows."""
    start = time.perf_counter()
    rows = sum(len(chunk) for chunk in store.stream_entries(store.end(), 1 << BUCKET_BITS))
    read = time.perf_counter() - start
    print(f"baseline: reading all {rows:,} entry rows in one process: {read:.1f} s")
    for workers in (1, default_workers()):
        start = time.perf_counter()
        report = verify_ledger(store, [verifier], workers=workers)
        elapsed = time.perf_counter() - start
        state = "verifies" if report.ok else f"does NOT verify: {report.problems[:3]}"
        print(
            f"full verification of {report.size:,} entries, {workers} process(es): "
            f"{elapsed:.1f} s ({report.size / elapsed:,.0f}/s, {elapsed / read:.1f}x the read; "
            f"target <= 60 s) - {state}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument(
        "--batch", type=int, default=20_000, help="entries a commit (the writer takes up to 20,000)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--log-entries", type=int, default=10_000_000)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "stateline-bench"
    )
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--warm", type=int, default=500, help="proofs before timing")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--skip-append", action="store_true")
    parser.add_argument("--skip-log", action="store_true")
    args = parser.parse_args()
    if not args.skip_append:
        append_benchmark(args.entries, args.batch, args.rounds)
    if not args.skip_log:
        args.cache.mkdir(parents=True, exist_ok=True)
        store = build_log(args.cache / f"ledger-{args.log_entries}.sqlite", args.log_entries)
        proof_benchmark(store, args.proofs, args.warm, verify=not args.skip_verify)


if __name__ == "__main__":
    main()
