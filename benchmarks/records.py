"""Record lookups on one node's SQLite database of N people, beside the bare OLN row lookup.

Builds the database once (generation and load are timed apart) and keeps it under ``--cache``
for later runs; then times, interleaved so machine noise hits every kind alike:

- the bare people row by OLN on the same raw DBAPI path (the baseline), and through
  SQLAlchemy's ``Connection.execute`` for comparison;
- ``SqlRecordStore.by_oln``, ``by_name`` (exact names, then misspelt ones: a nickname, a changed
  vowel, half of a double surname, punctuation dropped), ``by_plate`` and ``by_vin``.

    .venv/bin/python benchmarks/records.py [--people 1000000] [--queries 3000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select

from stateline.node.records.model import Person
from stateline.node.records.nicknames import FORMAL_NAMES
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.records import SqlRecordStore, people, vehicles
from stateline.synthetic.people import generate_people


def timed_generation(people_: Iterator[Person], clock: list[float]) -> Iterator[Person]:
    """Pass people through, adding the time spent generating them to ``clock[0]``."""
    while True:
        start = time.perf_counter()
        person = next(people_, None)
        clock[0] += time.perf_counter() - start
        if person is None:
            return
        yield person


def build(path: Path, state: str, count: int, seed: int) -> SqlRecordStore:
    done = path.with_suffix(".complete")
    store = SqlRecordStore(open_engine(sqlite_url(str(path))))
    if done.exists():
        print(f"reusing {path} ({store.count():,} people)")
        return store
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    store = SqlRecordStore(open_engine(sqlite_url(str(path))))
    store.create_schema()
    generating = [0.0]
    start = time.perf_counter()
    store.insert_people(timed_generation(generate_people(state, count, seed), generating))
    total = time.perf_counter() - start
    done.touch()
    size = sum(p.stat().st_size for p in path.parent.glob(f"{path.name}*"))
    print(f"generated {count:,} people of {state} in {generating[0]:.1f} s")
    print(f"loaded them (with indexes and ANALYZE) in {total - generating[0]:.1f} s")
    print(f"database: {size / 2**20:,.0f} MiB at {path}")
    return store


def misspell(last: str, first: str, rng: random.Random) -> tuple[str, str]:
    """A plausible wrong spelling of a name, as an officer might key it in."""
    nicknames = [n for n, formals in FORMAL_NAMES.items() if first in formals and n != first]
    choices: list[Callable[[], tuple[str, str]]] = []
    if nicknames:
        choices.append(lambda: (last, rng.choice(nicknames)))
    if "-" in last:
        choices.append(lambda: (rng.choice(last.split("-")), first))
    if " " in last or "'" in last or "-" in last:
        choices.append(lambda: (last.replace(" ", "").replace("'", "").replace("-", ""), first))
    vowels = [i for i, c in enumerate(last) if c in "AEIOUY" and i > 0]
    if vowels:
        i = rng.choice(vowels)
        other = rng.choice([v for v in "AEIOUY" if v != last[i]])
        choices.append(lambda: (last[:i] + other + last[i + 1 :], first))
    return rng.choice(choices)() if choices else (last, first)


def workload(store: SqlRecordStore, count: int, queries: int, seed: int) -> dict[str, list[Any]]:
    """Query arguments drawn from the stored people and vehicles."""
    rng = random.Random(seed)
    ids = rng.sample(range(1, count + 1), min(queries, count))
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(people.c.id, people.c.oln, people.c.last, people.c.first, people.c.dob,
                   people.c.sex).where(people.c.id.in_(ids))
        ).all()  # fmt: skip
        top = conn.execute(select(func.max(vehicles.c.id))).scalar_one()
        picked = rng.sample(range(1, top + 1), min(queries, top))
        cars = conn.execute(
            select(
                vehicles.c.plate, vehicles.c.plate_year, vehicles.c.plate_type, vehicles.c.vin
            ).where(vehicles.c.id.in_(picked))
        ).all()
    rng.shuffle(rows)
    rng.shuffle(cars)
    wrong = [(r.id, *misspell(r.last, r.first, rng), r.dob, r.sex) for r in rows]
    return {
        "oln": [(r.oln,) for r in rows],
        "name": [(r.last, r.first, r.dob, r.sex) for r in rows],
        "misspelt": wrong,
        "plate": [tuple(c[:3]) for c in cars],
        "vin": [(c.vin,) for c in cars],
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def run(store: SqlRecordStore, work: dict[str, list[Any]]) -> dict[str, list[float]]:
    engine = store.engine
    bare_sql = str(select(people).where(people.c.oln == bindparam("oln")).compile(engine))
    core = select(people).where(people.c.oln == bindparam("oln"))

    def bare(oln: str) -> Any:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(bare_sql, (oln,))
            return cursor.fetchone()
        finally:
            connection.close()

    def through_core(oln: str) -> Any:
        with engine.connect() as conn:
            return conn.execute(core, {"oln": oln}).first()

    found = [0]

    def misspelt(person_id: int, last: str, first: str, dob: Any, sex: str) -> None:
        found[0] += any(m.person.id == person_id for m in store.by_name(last, first, dob, sex))

    calls: dict[str, tuple[Callable[..., Any], list[Any]]] = {
        "people row by OLN, raw DBAPI (baseline)": (bare, work["oln"]),
        "people row by OLN, Connection.execute": (through_core, work["oln"]),
        "by_oln": (store.by_oln, work["oln"]),
        "by_name, exact": (store.by_name, work["name"]),
        "by_name, misspelt": (misspelt, work["misspelt"]),
        "by_plate": (store.by_plate, work["plate"]),
        "by_vin": (store.by_vin, work["vin"]),
    }
    for call, args in calls.values():  # warm the page cache and the statements
        for arg in args[:200]:
            call(*arg)
    found[0] = 0
    timings: dict[str, list[float]] = {name: [] for name in calls}
    longest = max(len(args) for _, args in calls.values())
    clock = time.perf_counter
    for i in range(longest):
        for name, (call, args) in calls.items():
            if i < len(args):
                start = clock()
                call(*args[i])
                timings[name].append(clock() - start)
    print(f"misspelt names found: {found[0]} of {len(work['misspelt'])}")
    return timings


def report(timings: dict[str, list[float]]) -> None:
    baseline = statistics.median(next(iter(timings.values())))
    print(f"\n{'lookup':42} {'n':>6} {'median µs':>10} {'p99 µs':>9} {'x baseline':>11}")
    for name, values in timings.items():
        median = statistics.median(values)
        p99 = percentile(values, 0.99)
        ratio = median / baseline
        print(f"{name:42} {len(values):6} {median * 1e6:10.0f} {p99 * 1e6:9.0f} {ratio:11.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--state", default="CA")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "stateline-bench"
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"records-{args.state}-{args.people}-{args.seed}.sqlite"
    print(f"python {sys.version.split()[0]}, SQLite node of {args.people:,} people")
    store = build(path, args.state, args.people, args.seed)
    work = workload(store, args.people, args.queries, args.seed)
    report(run(store, work))
    store.engine.dispose()


if __name__ == "__main__":
    main()
