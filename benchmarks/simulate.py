"""The policy-impact simulator: drawing a national year and replaying it, beside DuckDB alone.

In one run, on one folder:

- ``generate``: a year of queries at ``--scale`` (1.0: the published 290 million) drawn with
  numpy and written as Parquet partitioned by state and month;
- the baseline: a bare DuckDB group-by over the same Parquet, by state, requester category and
  every attribute the replay groups by (no join, no decisions): what reading and counting the
  year costs by itself;
- ``replay``: the same group-by joined to the directory, each distinct combination decided by
  the real Cedar bundles (``--policy``, each state's statute by default), joined back and summed
  by state and category.

Then the baseline again, so that each figure is set beside one taken under the same load
(other processes share the machine). Peak memory is ``ru_maxrss`` of this process and of its
children. Targets: simulate plus replay of a national year under 3 minutes, under 4 GiB.

    .venv/bin/python benchmarks/simulate.py [--scale 1.0] [--seed 0] [--jobs 2]
                                            [--policy statute] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from stateline.simulate.generate import QUERIES, generate
from stateline.simulate.replay import replay

TARGET_SECONDS = 180.0
TARGET_MEMORY = 4 * 1024**3

_BARE = """
    SELECT state, category, acting_for, certified, mke, search = 'partial', photo,
        purpose, process, scope, notice_delay, credential, count(*)
    FROM read_parquet('{rows}', hive_partitioning = true)
    GROUP BY ALL
"""


def bare_group_by(folder: Path, jobs: int) -> tuple[float, int]:
    """Seconds for the bare DuckDB group-by over the year, and the groups it found."""
    connection = duckdb.connect()
    connection.execute(f"SET threads = {jobs}")
    connection.execute("SET enable_progress_bar = false")
    rows = (folder / QUERIES / "*" / "*" / "*.parquet").as_posix()
    start = time.perf_counter()
    [(groups,)] = connection.execute(f"SELECT count(*) FROM ({_BARE.format(rows=rows)})").fetchall()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed, int(groups)


def peak_memory() -> int:
    """The largest resident set of this process or any child it waited for, in bytes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024  # Linux reports KiB


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--policy", default="statute")
    parser.add_argument("--out", type=Path, help="Keep the year here (default: a temp folder).")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="stateline-simulate-"))
    folder = args.out or scratch / "year"
    try:
        start = time.perf_counter()
        manifest = generate(folder, scale=args.scale, seed=args.seed, jobs=args.jobs)
        drawn = time.perf_counter() - start
        rows = manifest.queries
        print(
            f"simulated year: {rows:,} queries from {manifest.agencies:,} agencies, scale "
            f"{args.scale:g}, {len(list(folder.rglob('*.parquet'))):,} Parquet files, "
            f"{_size(folder) / 1024**3:.2f} GiB"
        )
        bare_before, groups = bare_group_by(folder, args.jobs)
        start = time.perf_counter()
        result = replay(folder, args.policy, threads=args.jobs)
        replayed = time.perf_counter() - start
        bare_after, _ = bare_group_by(folder, args.jobs)
        bare = statistics.mean([bare_before, bare_after])

        print(f"{'step':<44} {'seconds':>8} {'queries/s':>14}")
        for label, seconds in (
            ("generate (numpy draws, Parquet)", drawn),
            ("bare DuckDB group-by (baseline)", bare),
            (f"replay, {args.policy} (group-by, join, Cedar)", replayed),
        ):
            print(f"{label:<44} {seconds:>8.1f} {rows / seconds:>14,.0f}")
        print(
            f"baseline runs: {bare_before:.1f} s before the replay, {bare_after:.1f} s after; "
            f"{groups:,} groups"
        )
        print(
            f"replay / baseline: {replayed / bare:.1f}x; {result.combinations:,} distinct "
            f"combinations of attributes decided by Cedar"
        )
        total = drawn + replayed
        memory = peak_memory()
        met = "met" if total < TARGET_SECONDS else "missed"
        print(f"simulate + replay: {total:.1f} s (target {TARGET_SECONDS:.0f} s: {met})")
        met = "met" if memory < TARGET_MEMORY else "missed"
        print(
            f"peak memory (ru_maxrss, self and children): {memory / 1024**3:.2f} GiB "
            f"(target {TARGET_MEMORY / 1024**3:.0f} GiB: {met})"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
