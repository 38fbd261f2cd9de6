"""Writing a simulated year to a folder: the directory, the queries by state and month, a manifest.

The folder is written under a temporary name beside ``out`` and renamed into place once every
file is complete, so a failure or an interrupt leaves nothing half-written. States are drawn
on worker threads (numpy and Parquet release the GIL); each state's months come from their own
seeded generator, so the files are the same whatever the order the threads finish in.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from numpy.typing import NDArray

from stateline.simulate.agencies import Directory, build_directory
from stateline.simulate.draw import SCHEMA, month_of_queries, state_draws
from stateline.simulate.errors import SimulationError
from stateline.simulate.manifest import FORMAT, MANIFEST, Manifest
from stateline.simulate.mix import PROFILES
from stateline.simulate.plan import monthly_counts, yearly_counts
from stateline.simulate.published import FIGURES, states

QUERIES = "queries"
AGENCIES = "agencies.parquet"
_ROW_GROUP = 1 << 20
_DICTIONARY = [f.name for f in SCHEMA if f.name != "at"]

Progress = Callable[[int], None]
"""Called with the number of queries just written (from worker threads)."""


def check_options(year: int, scale: float) -> None:
    """Refuse a year or scale the simulator cannot draw."""
    if not math.isfinite(scale) or scale <= 0:
        raise SimulationError(f"--scale must be a number above 0, not {scale}")
    if scale > 4:
        raise SimulationError(f"--scale {scale} is more than 4 national years")
    if not 1970 <= year <= 2200:
        raise SimulationError(f"--year {year} is not between 1970 and 2200")


def generate(
    out: Path,
    year: int = 2025,
    scale: float = 1.0,
    seed: int = 0,
    jobs: int = 2,
    progress: Progress | None = None,
) -> Manifest:
    """Write a simulated year of national DMV query traffic to ``out``; return its manifest."""
    check_options(year, scale)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SimulationError(f"{out} already exists and is not an empty folder")
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        manifest = _write(partial, year, scale, seed, jobs, progress or (lambda _n: None))
        if out.exists():
            out.rmdir()
        partial.rename(out)
    except OSError as error:  # a full disk, a folder another process filled meanwhile
        shutil.rmtree(partial, ignore_errors=True)
        raise SimulationError(f"could not write {out}: {error.strerror or error}") from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _write(
    folder: Path, year: int, scale: float, seed: int, jobs: int, progress: Progress
) -> Manifest:
    rows = states()
    counts = yearly_counts(scale)
    directory = build_directory(seed)
    folder.mkdir()
    pq.write_table(directory.table(), folder / AGENCIES)
    oris = pa.array(directory.oris, pa.string())
    order = sorted(range(len(rows)), key=lambda i: -int(counts[i].sum()))

    def one_state(index: int) -> NDArray[np.int64]:
        return _write_state(folder, directory, oris, index, counts[index], year, seed, progress)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        monthly = dict(zip(order, pool.map(one_state, order), strict=True))
    finally:
        # On a failure or an interrupt, states not started are dropped, not drawn in vain.
        pool.shutdown(wait=True, cancel_futures=True)
    by_state = {rows[i].code: int(monthly[i].sum()) for i in range(len(rows))}
    year_by_profile = sum(months.sum(axis=0) for months in monthly.values())
    by_profile = {p.name: int(n) for p, n in zip(PROFILES, year_by_profile, strict=True)}
    manifest = Manifest(
        format=FORMAT,
        year=year,
        scale=scale,
        seed=seed,
        queries=sum(by_state.values()),
        agencies=len(directory),
        by_state=by_state,
        by_profile=by_profile,
        figures=[
            {"name": f.name, "value": f.value, "period": f.period, "source": f.source,
             "status": f.status}
            for f in FIGURES
        ],
    )  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest.as_json(), indent=2) + "\n")
    return manifest


def _write_state(
    folder: Path,
    directory: Directory,
    oris: pa.Array,
    index: int,
    year_count: NDArray[np.int64],
    year: int,
    seed: int,
    progress: Progress,
) -> NDArray[np.int64]:
    """Draw and write one state's twelve months; return its counts by month and profile."""
    state = states()[index].code
    months = monthly_counts(year_count, year, np.random.default_rng([seed, 1, index]))
    draws = state_draws(state, directory)
    for month in range(1, 13):
        rng = np.random.default_rng([seed, 2, index, month])
        table = month_of_queries(draws, directory, oris, months[month - 1], year, month, rng)
        path = folder / QUERIES / f"state={state}" / f"month={month:02d}" / "part-0.parquet"
        path.parent.mkdir(parents=True)
        pq.write_table(
            table,
            path,
            row_group_size=_ROW_GROUP,
            use_dictionary=_DICTIONARY,
            column_encoding={"at": "DELTA_BINARY_PACKED"},
            compression="snappy",
            write_statistics=["at"],  # only time has a range worth skipping row groups by
        )
        progress(table.num_rows)
    return months
