"""docs/simulator.md kept honest: its table of profiles is the one the simulator draws from,
and its command lines are ones the CLI accepts."""

from __future__ import annotations

import re
from pathlib import Path

from stateline.simulate.mix import POOLS, PROFILES
from stateline.simulate.published import DMV_QUERIES

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"


def test_the_profile_table_is_the_simulators() -> None:
    rows = {
        m.group(1): m.groups()[1:]
        for m in re.finditer(r"^\| ([a-z-]+) \| ([a-z-]+) \(?.*?\| ([\d,]+) \| ([\d.]+)% \|$",
                             DOC.read_text(), re.M)
    }  # fmt: skip
    assert set(rows) == {p.name for p in PROFILES}
    for profile in PROFILES:
        pool, queries, share = rows[profile.name]
        assert pool == profile.pool
        assert int(queries.replace(",", "")) == profile.queries
        assert abs(float(share) - 100 * profile.queries / DMV_QUERIES.value) < 0.05


def test_the_directory_sizes_in_the_doc_are_the_pools() -> None:
    text = DOC.read_text()
    for pool in POOLS:
        assert f"{pool.agencies:,}" in text, pool.name


def test_every_command_shown_is_a_simulate_command() -> None:
    lines = [line for line in DOC.read_text().splitlines() if line.startswith("stateline ")]
    assert lines
    for line in lines:
        assert line.startswith(("stateline simulate --out ", "stateline simulate replay ")), line
