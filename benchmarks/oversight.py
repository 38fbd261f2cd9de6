"""The analytical copy and the transparency report over a large ledger, each beside its
baseline in the same run.

- Export: a state's ledger of N entries (request, decision and disclosure per query, the ledger
  benchmark's synthetic ones) into the analytical copy, beside the bare read of the same entries
  (the SQLite rows and their JSON parsed, nothing built): the target is 200,000 entries a second.
- Report: the whole transparency report over the copy, beside one bare DuckDB group-by over the
  same Parquet (requests by requester category and outcome): the target is within 2 times the
  group-by.

Memory is the process's peak resident size. The data are built once under ``--cache``.

    .venv/bin/python benchmarks/oversight.py [--entries 1000000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from ledger import generate  # the ledger benchmark's entries

from stateline import demo
from stateline.bootstrap import StoreSources, build, ledger_prefix, open_ledger_engine
from stateline.config import Config
from stateline.oversight.copy import connect, export
from stateline.oversight.parts import default_dir
from stateline.oversight.transparency import Scope, transparency
from stateline.storage.ledger.store import SqlLedgerStore

STATE = "NY"


def fill(config: Config, count: int) -> None:
    """Give ``STATE``'s ledger ``count`` entries, once."""
    done = config.data_dir / f"filled-{count}"
    if done.exists():
        return
    demo.prepare(config, 20, seed=0)
    system = build(config)
    try:
        ledger = system.nodes[STATE].ledger
        start = time.perf_counter()
        for first in range(0, count, 30_000):
            ledger.append(list(generate(min(30_000, count - first), first, STATE)))
        took = time.perf_counter() - start
        print(f"filled the {STATE} ledger: {count:,} entries in {took:.0f} s")
    finally:
        system.close()
    done.touch()


def bare_read(config: Config, count: int) -> float:
    """Seconds to read and parse ``count`` entries, building nothing."""
    engine = open_ledger_engine(config, STATE)
    store = SqlLedgerStore(engine, ledger_prefix(config, STATE))
    start = time.perf_counter()
    for rows in store.stream_entries(count, 100_000):
        for _index, body, _leaf in rows:
            orjson.loads(body)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="report rounds (medians)")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument(
        "--year",
        type=Path,
        default=None,
        help="also the report over this simulated year (stateline simulate --out DIR)",
    )
    parser.add_argument(
        "--rows", action="store_true", help="also the national report from its rows, once"
    )
    args = parser.parse_args()
    data = args.cache or Path(tempfile.mkdtemp(prefix="stateline-oversight-"))
    config = Config(data_dir=data, states=(STATE,))
    fill(config, args.entries)

    read = bare_read(config, args.entries)
    for stale in default_dir(config).glob("**/*"):
        if stale.is_file():
            stale.unlink()
    start = time.perf_counter()
    (done,) = export(StoreSources(config), [STATE], default_dir(config))
    exported = time.perf_counter() - start
    print(f"\nanalytical copy of a ledger of {done.entries:,} entries ({done.rows:,} rows)")
    print(f"{'':40s} {'seconds':>9s} {'entries/s':>12s}")
    print(f"{'bare read and parse (baseline)':40s} {read:9.2f} {done.entries / read:12,.0f}")
    print(f"{'export to the analytical copy':40s} {exported:9.2f} {done.entries / exported:12,.0f}")
    print(f"  {exported / read:.1f}x the bare read; the target is 200,000 entries/s")

    db = connect(default_dir(config))
    base, report = paired(
        db,
        "SELECT requester_category, outcome, count(*) FROM read_parquet("
        f"'{default_dir(config)}/requests/*/*.parquet') GROUP BY ALL",
        args.rounds,
    )
    print(f"\ntransparency report over {done.rows:,} rows, median of {args.rounds} rounds")
    print(f"{'one bare DuckDB group-by (baseline)':40s} {base:9.3f} s")
    print(f"{'the whole transparency report':40s} {report:9.3f} s")
    print(f"  {report / base:.1f}x the bare group-by; the target is 2x")
    if args.year is not None:
        national(args.year, args.rounds, args.rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process: {peak:,.0f} MiB")


def paired(db: Any, bare: str, rounds: int) -> tuple[float, float]:
    """Medians of ``rounds`` alternated runs: the ``bare`` group-by, then the whole report."""
    baseline: list[float] = []
    full: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        db.execute(bare).fetchall()
        baseline.append(time.perf_counter() - start)
        start = time.perf_counter()
        transparency(db, Scope(), date.today(), "benchmark")
        full.append(time.perf_counter() - start)
    return statistics.median(baseline), statistics.median(full)


def national(year: Path, rounds: int, rows: bool) -> None:
    """The whole report over a simulated year, beside one bare group-by of its queries."""
    from stateline.simulate.copy import connect_year

    start = time.perf_counter()
    db = connect_year(year)
    prepared = time.perf_counter() - start
    (count,) = db.execute("SELECT sum(n) FROM rollup_counts").fetchall()[0]
    (kept,) = db.execute(
        "SELECT (SELECT count(*) FROM rollup_counts) + (SELECT count(*) FROM rollup_days) "
        "+ (SELECT count(*) FROM rollup_nation)"
    ).fetchall()[0]
    queries = (year / "queries" / "*" / "*" / "*.parquet").as_posix()
    base, report = paired(
        db,
        f"SELECT category, count(*) FROM read_parquet('{queries}', hive_partitioning = true) "
        "GROUP BY 1",
        rounds,
    )
    print(f"\ntransparency report over a simulated year of {count:,} queries")
    print(f"{'deciding and rolling it up (once)':40s} {prepared:9.1f} s   {kept:,} rollup rows")
    print(f"{'one bare DuckDB group-by (baseline)':40s} {base:9.2f} s")
    print(f"{'the whole transparency report':40s} {report:9.2f} s")
    print(f"  {report / base:.2f}x the bare group-by; the targets are 2x and 20 s")
    if rows:
        db.close()
        db = connect_year(year, rolled=False)
        start = time.perf_counter()
        transparency(db, Scope(), date.today(), "national")
        print(f"{'the report from the rows (no rollups)':40s} {time.perf_counter() - start:9.1f} s")
    db.close()


if __name__ == "__main__":
    main()
