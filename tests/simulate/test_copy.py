"""A simulated year read as the analytical copy: the transparency report counts its queries with
the outcomes the replay gives them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from stateline.oversight.transparency import Scope, transparency
from stateline.simulate.copy import connect_year
from stateline.simulate.replay import replay


def test_the_report_over_a_year_counts_what_the_replay_decides(small_year: Path) -> None:
    replayed = replay(small_year, "statute")
    db = connect_year(small_year, "statute")
    report = transparency(db, Scope(), date(2025, 12, 31), "national")
    total, released, withheld, denied, held = report.section("summary").rows[0]
    counts = replayed.total
    assert (total, released, withheld, denied, held) == (
        counts.queries,
        counts.released,
        counts.withheld,
        counts.denied,
        counts.held,
    )
    by_category = {row[0]: row[1] for row in report.section("by_category").rows}
    assert by_category == {c: n.queries for c, n in replayed.categories.items()}
    db.close()


def test_a_folder_that_is_not_a_year_is_refused(tmp_path: Path) -> None:
    from stateline.simulate.errors import SimulationError

    (tmp_path / "queries").mkdir()
    with pytest.raises(SimulationError):
        connect_year(tmp_path)
