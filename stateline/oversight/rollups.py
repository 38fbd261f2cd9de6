"""Rollups: the copy's requests counted ahead, by what the transparency report groups them by.

A report over a national year groups hundreds of millions of request rows; the rollups hold the
same counts grouped once, when the rows are written, so that a report reads a few hundred
thousand. Each is a count ``n`` of request rows, by month (a day of every grouping would be
almost a row per request):

- ``counts``: by state, month, requester category, message key, search, purpose, legal process,
  destinations and outcome;
- ``days``: by state, day, requester category and outcome (the report over time);
- ``agencies``: by state, month, requester, category and outcome; ``nation``: the same without
  the state, for the national view (an agency asks most states);
- ``classes``: by state, month, requester category and outcome, each data class released or
  withheld, and the policies that denied or withheld a federal immigration request.

The labels are the report's (a search of every state says so; no purpose is ``unstated``), and a
day is a UTC day. The rollups of a part of the copy are written beside it, from the same rows
(:func:`write`), so that they count what the rows hold; a reader checks the two agree
(``stateline report refresh`` rebuilds rollups a copy lacks). A report reads the months its
period covers whole from the rollups and the days of a month it cuts from the rows, and reads
only rows for a single ORI.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from stateline.oversight.categories import IMMIGRATION

NAMES = ("counts", "days", "agencies", "nation", "classes")

VERSION = 2
"""The rollups' form; a copy whose manifest names another has its rollups built again."""

LABELS = """
    state, requester_category, requester, requester_name, key,
    CASE WHEN destinations = 'NL' THEN search || ', all states' ELSE search END AS search,
    coalesce(purpose, 'unstated') AS purpose,
    coalesce(legal_process, 'none') AS legal_process,
    coalesce(destinations, 'unknown') AS destinations,
    "at"::DATE AS day,
    CAST(date_trunc('month', "at"::DATE) AS DATE) AS month,
    -- a copy made before it used the report's words for it
    CASE outcome WHEN 'release-redacted' THEN 'withhold' ELSE outcome END AS outcome
"""
"""Request rows in the report's words (over a table of the copy's ``requests`` columns)."""

GROUPS = {
    "counts": ("state", "month", "requester_category", "key", "search", "purpose",
               "legal_process", "destinations", "outcome"),
    "days": ("state", "day", "requester_category", "outcome"),
    "agencies": ("state", "month", "requester", "requester_category", "outcome"),
    "nation": ("month", "requester", "requester_category", "outcome"),
}  # fmt: skip
"""What each rollup of request rows groups by (``classes`` is apart: it unnests lists)."""

_COLUMNS = ("state", "month", "day", "requester", "requester_category", "key", "search",
            "purpose", "legal_process", "destinations", "outcome")  # fmt: skip

_IMMIGRATION = ", ".join(f"'{c}'" for c in IMMIGRATION)

CLASSES = f"""
    SELECT state, requester_category, outcome, "at"::DATE AS day, u.kind, u.item FROM (
        SELECT state, requester_category, "at",
               CASE outcome WHEN 'release-redacted' THEN 'withhold' ELSE outcome END AS outcome,
               unnest(
                   list_transform(disclosed_classes, lambda c: {{'kind': 'r', 'item': c}})
                   || list_transform(classes_withheld, lambda c: {{'kind': 'w', 'item': c}})
                   || CASE WHEN requester_category IN ({_IMMIGRATION})
                                AND outcome IN ('deny', 'withhold', 'release-redacted')
                           THEN list_transform(policy_ids, lambda p: {{'kind': 'p', 'item': p}})
                           ELSE [] END
               ) AS u
        FROM {{source}}
    )
"""
"""One row per data class a request released (``r``) or withheld (``w``), and per policy that
denied or withheld a federal immigration request (``p``), over ``{source}``."""

_ALL_SETS = ", ".join(f"({', '.join(c)})" for c in GROUPS.values())

_SETS = f"""
    SELECT GROUPING({", ".join(_COLUMNS)}) AS g, {", ".join(_COLUMNS)},
           min(requester_name) AS requester_name, count(*) AS n
    FROM (SELECT {LABELS} FROM {{source}})
    GROUP BY GROUPING SETS ({_ALL_SETS})
"""
"""Every rollup of request rows from one scan, each set told apart by ``g``."""


def _mask(columns: tuple[str, ...]) -> int:
    """The ``GROUPING()`` value of a set grouped by ``columns``: a bit for each left out."""
    return sum(1 << (len(_COLUMNS) - 1 - i) for i, c in enumerate(_COLUMNS) if c not in columns)


_CLASSES = f"""
    SELECT state, CAST(date_trunc('month', day) AS DATE) AS month, requester_category, outcome,
           kind, item, count(*) AS n
    FROM ({CLASSES}) GROUP BY ALL
"""


_TYPES = {"state": pa.string(), "month": pa.date32(), "day": pa.date32(), "n": pa.int64(),
          "requester_name": pa.string(), "kind": pa.string(), "item": pa.string()}  # fmt: skip


def _schema(columns: tuple[str, ...]) -> pa.Schema:
    named = (*columns, "requester_name") if "requester" in columns else columns
    return pa.schema([(c, _TYPES.get(c, pa.string())) for c in (*named, "n")])


SCHEMAS: dict[str, pa.Schema] = {
    **{name: _schema(columns) for name, columns in GROUPS.items()},
    "classes": _schema(("state", "month", "requester_category", "outcome", "kind", "item")),
}
"""Each rollup's columns and types."""


def rolled(db: Any, source: str) -> Iterator[tuple[str, pa.Table]]:
    """Each rollup of the request rows in ``source`` (a table or a parenthesised query)."""
    sets = db.sql(_SETS.replace("{source}", source)).to_arrow_table()
    for name, columns in GROUPS.items():
        chosen = sets.filter(pc.equal(sets.column("g"), _mask(columns)))
        yield name, chosen.select(SCHEMAS[name].names).cast(SCHEMAS[name])
    classes = _CLASSES.replace("{source}", source)
    yield "classes", db.sql(classes).to_arrow_table().cast(SCHEMAS["classes"])


def write(db: Any, source: str, out: Path, state: str, first: int) -> int:
    """Write the rollups of ``source``'s rows (one state's part of the copy, named by
    ``first``) beside the part; returns the rows written."""
    written = 0
    for name, table in rolled(db, source):
        folder = out / "rollups" / name / f"state={state}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{first:012d}.parquet"
        temporary = path.with_suffix(".parquet.tmp")
        pq.write_table(table, temporary)
        temporary.replace(path)
        written += table.num_rows
    return written


def views(db: Any, files: Mapping[str, Sequence[Path]]) -> None:
    """A view ``rollup_<name>`` over each rollup's ``files``."""
    for name in NAMES:
        if files.get(name):
            listed = ", ".join(f"'{f}'" for f in files[name])
            db.execute(
                f"CREATE VIEW rollup_{name} AS SELECT * FROM read_parquet([{listed}], "
                "hive_partitioning = false)"
            )
        else:
            db.register(f"_rollup_{name}_empty", pa.Table.from_pylist([], schema=SCHEMAS[name]))
            db.execute(f"CREATE VIEW rollup_{name} AS SELECT * FROM _rollup_{name}_empty")


def materialise(db: Any, source: str, names: tuple[str, ...] = NAMES) -> None:
    """The rollups ``names`` of ``source``'s rows as tables ``rollup_<name>`` of ``db`` (a
    simulated year's: made when its connection is opened), from one scan for all but the
    classes. A report reads the rows for what a rollup left out would answer."""
    sets = {name: GROUPS[name] for name in names if name in GROUPS}
    grouping = ", ".join(f"({', '.join(c)})" for c in sets.values())
    scan = _SETS.replace("{source}", source).replace(_ALL_SETS, grouping)
    db.execute(f"CREATE TEMP TABLE _rollup_sets AS {scan}")
    for name, columns in sets.items():
        kept = ", ".join(SCHEMAS[name].names)
        db.execute(
            f"CREATE TEMP TABLE rollup_{name} AS SELECT {kept} FROM _rollup_sets "
            f"WHERE g = {_mask(columns)} ORDER BY ALL"
        )
    db.execute("DROP TABLE _rollup_sets")
    if "classes" in names:
        classes = _CLASSES.replace("{source}", source)
        db.execute(f"CREATE TEMP TABLE rollup_classes AS {classes}")
