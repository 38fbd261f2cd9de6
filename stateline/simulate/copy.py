"""A simulated year read as the analytical copy of the ledgers: each query, with the outcome its
state's law gives it, as a row of ``requests``, so that the transparency report reads a year of
national traffic as it reads the states' ledgers.

Nothing is written: DuckDB views join the year's Parquet to its agencies and to the decision of
each combination of attributes (``outcomes``, decided once each by the real bundles). What a
simulated query does not have stays empty: no subject, no data classes (the policy decides
classes, the simulation does not draw records), no review or notice rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from stateline.oversight import rollups
from stateline.oversight.tables import REQUESTS_FULL, SCHEMAS
from stateline.simulate.errors import SimulationError
from stateline.simulate.laws import choose_laws
from stateline.simulate.outcomes import KEY, decide
from stateline.simulate.replay import _connect, _group_sql, keyed_sql

# The copy's words: the policy calls a release with classes withheld "release-redacted".
_OUTCOME = "CASE d.outcome WHEN 'release-redacted' THEN 'withhold' ELSE d.outcome END"

_SEARCH = (
    "CASE q.search WHEN 'name-dob' THEN 'name + DOB' WHEN 'all-states' THEN 'name + DOB' "
    "WHEN 'plate' THEN 'plate or VIN' WHEN 'vin' THEN 'plate or VIN' "
    "WHEN 'partial' THEN 'plate or VIN' ELSE 'licence' END"
)


def connect_year(
    folder: Path,
    policy: str = "statute",
    swaps: Mapping[str, str] | None = None,
    threads: int = 2,
    rolled: bool = True,
) -> Any:
    """A DuckDB connection whose ``requests``, ``reviews``, ``late_disclosures``, ``notices``
    and ``requests_full`` are the simulated year in ``folder``, decided by ``policy``; with
    ``rolled``, its rollups counted once, as tables (``oversight.rollups``), which a report
    reads instead of the year's queries."""
    import duckdb

    laws = choose_laws(policy, swaps)
    db = _connect(threads)
    db.execute("SET TimeZone = 'UTC'")  # a day of a report is a UTC day, as a rollup's
    try:
        db.execute(f"CREATE TEMP TABLE combos AS {_group_sql(folder, laws)}").fetchall()
        keys = [
            tuple(row)
            for row in db.execute(f"SELECT DISTINCT {', '.join(KEY)} FROM combos").fetchall()
        ]
        verdicts = decide(keys, laws)
        db.register(
            "decided",
            pa.table(
                {
                    **{name: [k[i] for k in keys] for i, name in enumerate(KEY)},
                    "outcome": [v.outcome for v in verdicts],
                }
            ),
        )
        extra = (
            'q."at" AS "at", q.ori AS requester, a.name AS requester_name, '
            "q.category AS requester_category, q.search AS drawn_search, "
            "q.purpose AS drawn_purpose, q.process AS drawn_process"
        )
        db.execute(
            f"""
            CREATE VIEW requests AS
            SELECT k.state, NULL::VARCHAR AS message_id, CAST(k."at" AS TIMESTAMPTZ) AS "at",
                   NULL::BIGINT AS request_index, k.requester, k.requester_name,
                   k.agency_type AS requester_type, NULL::VARCHAR AS requester_home,
                   k.requester_category, k.mke AS key,
                   CASE WHEN k.drawn_search = 'all-states' THEN 'NL' ELSE k.state END
                       AS destinations,
                   nullif(k.drawn_purpose, 'unstated') AS purpose,
                   []::VARCHAR[] AS legacy_codes,
                   {_SEARCH.replace("q.search", "k.drawn_search")} AS search,
                   []::VARCHAR[] AS acting_for, NULL::VARCHAR AS asker,
                   nullif(k.drawn_process, 'none') AS legal_process,
                   false AS legal_process_document, 0 AS subjects,
                   {_OUTCOME} AS outcome,
                   []::VARCHAR[] AS classes_released, []::VARCHAR[] AS classes_withheld,
                   []::VARCHAR[] AS classes_review, []::VARCHAR[] AS duties,
                   []::VARCHAR[] AS policy_ids, NULL::BIGINT AS decision_index,
                   []::VARCHAR[] AS disclosed_classes, NULL::BIGINT AS disclosure_index,
                   0 AS found
            FROM ({keyed_sql(folder, laws, extra)}) AS k
            JOIN decided AS d USING ({", ".join(KEY)})
            """
        ).fetchall()
        for name in ("reviews", "late_disclosures", "notices"):
            db.register(f"_{name}_empty", pa.Table.from_pylist([], schema=SCHEMAS[name]))
            db.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty").fetchall()
        db.execute(REQUESTS_FULL).fetchall()
        if rolled:
            # The national view's; a report of one state reads its agencies from the rows.
            rollups.materialise(db, "requests", ("counts", "days", "nation"))
            # A simulated request has no data classes and no policy ids: nothing to count.
            empty = pa.Table.from_pylist([], schema=rollups.SCHEMAS["classes"])
            db.register("_rollup_classes_empty", empty)
            db.execute("CREATE VIEW rollup_classes AS SELECT * FROM _rollup_classes_empty")
    except duckdb.Error as error:
        db.close()
        first = str(error).strip().splitlines()[0]
        raise SimulationError(f"{folder} cannot be read as a year: {first}") from error
    return db
