"""The rollups answer a report as the rows do: the same report, section by section, from a copy
read through its rollups and from the same rows counted one by one, over many scopes (periods
that cut months, open ends, a category, an outcome, a state); and a copy whose rollups do not
count its rows is refused."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from stateline.oversight import rollups
from stateline.oversight.categories import CATEGORIES, HSI, ICE_ERO
from stateline.oversight.copy import connect
from stateline.oversight.parts import CopyError
from stateline.oversight.tables import REQUESTS_FULL, SCHEMAS
from stateline.oversight.transparency import OUTCOMES, Scope, rolled_up, transparency

STATES = ("NY", "NJ", "CO")
FIRST = datetime(2025, 12, 20, tzinfo=UTC)
DAYS = 120
CLASSES = ("name", "address", "photo", "vehicle")


def rows(n: int, seed: int = 7) -> pa.Table:
    """``n`` request rows of the copy's form, spread over four months and a year's end."""
    rng = random.Random(seed)
    agencies = [(f"NY{i:05d}00", f"AGENCY {i}") for i in range(40)]
    out: list[dict[str, Any]] = []
    for i in range(n):
        ori, name = rng.choice(agencies)
        category = rng.choice([*CATEGORIES[:6], ICE_ERO, HSI])
        outcome = rng.choice([*OUTCOMES, "release-redacted"])
        withheld = rng.sample(CLASSES, rng.randint(0, 2)) if outcome != "release" else []
        out.append(
            {
                "state": rng.choice(STATES),
                "message_id": f"M{i}",
                "at": FIRST + timedelta(minutes=rng.randrange(DAYS * 24 * 60)),
                "request_index": 3 * i,
                "requester": ori,
                "requester_name": name,
                "requester_category": category,
                "key": rng.choice(("DQ", "RQ", "KQ")),
                "destinations": rng.choice(("NY", "NJ", "NL", None)),
                "purpose": rng.choice(("criminal-investigation", "traffic-enforcement", None)),
                "legacy_codes": [],
                "search": rng.choice(("licence", "name + DOB", "plate or VIN")),
                "acting_for": [],
                "asker": None,
                "legal_process": rng.choice((None, "judicial-warrant", "court-order")),
                "legal_process_document": False,
                "subjects": 1,
                "outcome": outcome,
                "classes_released": [],
                "classes_withheld": withheld,
                "classes_review": [],
                "duties": [],
                "policy_ids": rng.sample(("ny-1", "ny-2", "nj-1"), rng.randint(0, 2)),
                "decision_index": 3 * i + 1,
                "disclosed_classes": rng.sample(CLASSES, rng.randint(0, 3)),
                "disclosure_index": 3 * i + 2,
                "found": 1,
            }
        )
    return pa.Table.from_pylist(out, schema=SCHEMAS["requests"])


def opened(table: pa.Table, with_rollups: bool) -> Any:
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.register("_requests", table)
    db.execute("CREATE VIEW requests AS SELECT * FROM _requests")
    for name in ("reviews", "late_disclosures", "notices"):
        db.register(f"_{name}", pa.Table.from_pylist([], schema=SCHEMAS[name]))
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}")
    db.execute(REQUESTS_FULL)
    if with_rollups:
        rollups.materialise(db, "requests")
    return db


@pytest.fixture(scope="module")
def dbs() -> tuple[Any, Any]:
    table = rows(6_000)
    return opened(table, True), opened(table, False)


def scopes() -> list[Scope]:
    rng = random.Random(3)
    start = FIRST.date()
    chosen = [
        Scope(),
        Scope(STATES[:1]),
        Scope(start=date(2026, 1, 1), end=date(2026, 2, 28)),  # whole months
        Scope(start=date(2026, 1, 1)),
        Scope(end=date(2026, 1, 31)),
        Scope(start=date(2026, 1, 10), end=date(2026, 1, 20)),  # inside one month
        Scope(start=date(2025, 12, 31), end=date(2026, 3, 1)),  # cuts both ends
        Scope(category=ICE_ERO),
        Scope(outcome="withhold"),
        Scope(STATES[1:], date(2026, 2, 3), date(2026, 4, 2), HSI, None, "deny"),
    ]
    for _ in range(15):
        a = start + timedelta(days=rng.randrange(DAYS))
        b = a + timedelta(days=rng.randrange(DAYS))
        chosen.append(Scope(start=a if rng.random() < 0.8 else None, end=b))
    return chosen


@pytest.mark.parametrize("scope", scopes(), ids=lambda s: f"{s.states}-{s.start}-{s.end}")
def test_a_report_from_the_rollups_is_the_report_from_the_rows(
    dbs: tuple[Any, Any], scope: Scope
) -> None:
    rolled, counted = dbs
    assert rolled_up(rolled, scope) == set(rollups.NAMES) and not rolled_up(counted, scope)
    today = date(2026, 6, 1)
    fast = transparency(rolled, scope, today, "t", top=1_000)
    slow = transparency(counted, scope, today, "t", top=1_000)
    assert fast.period == slow.period
    for a, b in zip(fast.sections, slow.sections, strict=True):
        assert (a.name, a.columns) == (b.name, b.columns)
        assert a.rows == b.rows, a.name
    assert fast.section("summary").rows[0][0] > 0 or scope.category or scope.outcome


def test_one_ori_is_read_from_the_rows(dbs: tuple[Any, Any]) -> None:
    rolled, _ = dbs
    scope = Scope(ori="NY0000300")
    assert not rolled_up(rolled, scope)
    mine = transparency(rolled, scope, date(2026, 6, 1), "t")
    assert mine.section("by_agency").rows[0][0] == "NY0000300"
    assert len(mine.section("by_agency").rows) == 1


def test_each_rollup_counts_every_request_once_by_its_groups(dbs: tuple[Any, Any]) -> None:
    rolled, _ = dbs
    for name in rollups.NAMES[:2]:
        (total,) = rolled.execute(f"SELECT sum(n) FROM rollup_{name}").fetchone()
        assert total == 6_000
    (groups,) = rolled.execute(
        "SELECT count(DISTINCT (state, date_trunc('month', \"at\"), requester, "
        "requester_category, replace(outcome, 'release-redacted', 'withhold'))) FROM requests"
    ).fetchone()
    assert rolled.execute("SELECT count(*) FROM rollup_agencies").fetchone() == (groups,)


def test_a_copy_whose_rollups_miss_a_part_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "analytics"
    table = rows(500)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    for first, part in ((0, table.slice(0, 300)), (900, table.slice(300))):
        folder = out / "requests" / "state=NY"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, folder / f"part-{first:012d}.parquet")
        db.register("part", part)
        rollups.write(db, "part", out, "NY", first)
    kept = {"version": 1, "states": {"NY": {"through": 1500, "rollups": rollups.VERSION}}}
    (out / "manifest.json").write_text(json.dumps(kept))
    assert connect(out).execute("SELECT sum(n) FROM rollup_counts").fetchone() == (500,)
    (out / "rollups" / "counts" / "state=NY" / "part-000000000900.parquet").unlink()
    with pytest.raises(CopyError, match="rollups count 300 requests but it holds 500"):
        connect(out)
