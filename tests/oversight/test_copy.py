"""The analytical copy and the transparency report over a real exchange's ledgers: every
figure equals a count made from the ledger entries themselves."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from stateline.bootstrap import StoreSources, build
from stateline.config import Config
from stateline.ledger.entries import Decision, RequestReceived
from stateline.node.records.model import Person
from stateline.oversight.copy import connect, export
from stateline.oversight.parts import CopyError, default_dir, manifest
from stateline.oversight.transparency import ReportError, Scope, transparency
from tests.conftest import fresh_copy

STATES = ("NY", "NJ", "CO")


@pytest.fixture
def config(prepared: Config, tmp_path: Path) -> Config:
    """A copy of the prepared exchange, with three states, the statute bundles deciding."""
    data = tmp_path / "data"
    fresh_copy(prepared, data)
    return replace(prepared, data_dir=data, states=STATES, policy="statute")


def traffic(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]], n: int
) -> None:
    raws = []
    for i in range(n):
        raws.append(("NYSTP0000", f"DQ.NYSTP0000.NY.T{i}.TXT\nOLN/{people['NY'][i % 25].oln}"))
        raws.append(("DCICE0000", f"DQ.DCICE0000.NY.I{i}.TXT\nOLN/{people['NY'][i % 25].oln}"))
        raws.append(("NJSTP0000", f"RQ.NJSTP0000.NJ.CO.R{i}.TXT\nVIN/1HGCM82633A00435{i % 10}"))
        # A warrant for the address alone: New York releases it and withholds the rest.
        warrant = (
            ".PRP/CRIMINAL-INVESTIGATION.LPK/JUDICIAL-WARRANT.LPN/1.LPC/SDNY.LPJ/DOE.LPS/ADDRESS"
        )
        raws.append(
            ("DCHSI0000", f"DQ.DCHSI0000.NY.H{i}.TXT\nOLN/{people['NY'][i % 25].oln}{warrant}")
        )
    system = build(config)
    try:

        async def send() -> None:
            for ori, raw in raws:
                await system.exchange.submit(raw, tokens[ori])

        asyncio.run(send())
    finally:
        system.close()


def from_the_ledgers(config: Config) -> Counter[tuple[str, str, str]]:
    """(state, requester, outcome) of every request, read entry by entry."""
    from stateline.bootstrap import open_state_ledger

    counted: Counter[tuple[str, str, str]] = Counter()
    for state in STATES:
        ledger, _keys = open_state_ledger(config, state)
        try:
            requester = {}
            for index in range(ledger.size):
                entry = ledger.entry(index)
                if isinstance(entry, RequestReceived):
                    requester[entry.message_id] = entry.requester
                elif isinstance(entry, Decision):
                    # The report's word for what the policy calls release-redacted.
                    outcome = "withhold" if entry.outcome == "release-redacted" else entry.outcome
                    counted[state, requester[entry.message_id], outcome] += 1
        finally:
            ledger.close()
    return counted


def test_every_figure_is_a_count_of_ledger_entries(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    traffic(config, tokens, people, 4)
    done = export(StoreSources(config), STATES, default_dir(config))
    assert [e.state for e in done] == list(STATES)
    expected = from_the_ledgers(config)
    db = connect(default_dir(config))
    got = Counter(
        {
            (state, ori, outcome): n
            for state, ori, outcome, n in db.execute(
                "SELECT state, requester, outcome, count(*) FROM requests_full GROUP BY ALL"
            ).fetchall()
        }
    )
    assert got == expected
    report = transparency(db, Scope(("NY",)), date.today(), "NY")
    total, *outcomes = report.section("summary").rows[0]
    ny = {k: v for k, v in expected.items() if k[0] == "NY"}
    assert total == sum(ny.values())
    by_outcome = Counter()
    for (_state, _ori, outcome), n in ny.items():
        by_outcome[outcome] += n
    assert tuple(outcomes) == tuple(
        by_outcome[o] for o in ("release", "withhold", "deny", "review")
    )
    assert by_outcome["withhold"] >= 1  # the address-only warrants
    (ice,) = [row for row in report.section("immigration").rows if "ICE" in row[0]]
    assert ice[1] == sum(n for (_s, ori, _o), n in ny.items() if ori == "DCICE0000")
    # New York's law: ICE's civil requests without a judge's warrant are refused.
    assert ice[4] >= 1
    db.close()


def test_a_second_export_reads_only_what_the_ledgers_gained(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    traffic(config, tokens, people, 2)
    first = {e.state: e for e in export(StoreSources(config), STATES, default_dir(config))}
    again = {e.state: e for e in export(StoreSources(config), STATES, default_dir(config))}
    assert all(e.entries == 0 and e.rows == 0 for e in again.values())
    traffic(config, tokens, people, 3)
    third = {e.state: e for e in export(StoreSources(config), STATES, default_dir(config))}
    assert third["NY"].through > first["NY"].through
    assert third["NY"].entries == third["NY"].through - first["NY"].through
    db = connect(default_dir(config))
    (count,) = db.execute("SELECT count(*) FROM requests WHERE state = 'NY'").fetchone()
    assert count == sum(n for k, n in from_the_ledgers(config).items() if k[0] == "NY")
    assert manifest(default_dir(config))["states"]["NY"]["size"] == third["NY"].through
    db.close()


def test_the_copy_is_made_beside_a_serving_exchange(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    system = build(config)  # writes every ledger, as a server does
    try:
        raw = f"DQ.NYSTP0000.NY.TXT\nOLN/{people['NY'][1].oln}"
        asyncio.run(system.exchange.submit(raw, tokens["NYSTP0000"]))
        (ny,) = export(StoreSources(config), ["NY"], default_dir(config))
        assert ny.rows >= 1
    finally:
        system.close()


def test_a_corrupt_part_and_a_backward_period_are_clear_errors(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    traffic(config, tokens, people, 1)
    export(StoreSources(config), STATES, default_dir(config))
    part = next((default_dir(config) / "requests").glob("state=NY/*.parquet"))
    part.write_bytes(b"PAR1 not a parquet file")
    with pytest.raises(CopyError, match="the analytical copy cannot be read"):
        connect(default_dir(config))
    with pytest.raises(ReportError, match=r"ends .* before it starts"):
        Scope(("NY",), date(2026, 12, 8), date(2026, 12, 1))
    with pytest.raises(CopyError, match="no analytical copy"):
        connect(config.data_dir / "nowhere")


def test_a_part_the_manifest_does_not_name_is_not_read(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    traffic(config, tokens, people, 2)
    export(StoreSources(config), STATES, default_dir(config))
    folder = default_dir(config) / "requests" / "state=NY"
    (part,) = folder.glob("*.parquet")
    # What an export that stopped before its manifest leaves: a part no manifest names.
    shutil.copy(part, folder / "part-999999999999.parquet")
    db = connect(default_dir(config))
    (count,) = db.execute("SELECT count(*) FROM requests WHERE state = 'NY'").fetchone()
    assert count == sum(n for k, n in from_the_ledgers(config).items() if k[0] == "NY")
    db.close()


def test_many_refreshes_are_merged_into_one_part_and_count_the_same(
    config: Config,
    tokens: dict[str, str],
    people: dict[str, list[Person]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import stateline.oversight.parts as parts

    monkeypatch.setattr(parts, "COMPACT_AT", 3)
    out = default_dir(config)
    folder = out / "requests" / "state=NY"
    for _ in range(4):
        traffic(config, tokens, people, 1)
        export(StoreSources(config), STATES, default_dir(config))
    kept = manifest(out)["states"]["NY"]
    # The fourth refresh's part made four: merged into one, named by the first and the last.
    (merged,) = kept["parts"]["requests"]
    assert merged.count("-") == 2 and len(kept["superseded"]["requests"]) == 4
    assert all((folder / name).exists() for name in kept["superseded"]["requests"])
    for table in ("rollups/counts", "rollups/nation"):
        assert len(kept["parts"][table]) == 1
    db = connect(out)
    by_state = dict(db.execute("SELECT state, count(*) FROM requests GROUP BY state").fetchall())
    ledgers = Counter[str]()
    for (state, _ori, _outcome), n in from_the_ledgers(config).items():
        ledgers[state] += n
    assert by_state == dict(ledgers)
    report = transparency(db, Scope(("NY",)), date.today(), "NY")
    assert report.section("summary").rows[0][0] == ledgers["NY"]
    db.close()
    # The replaced parts go at the next refresh, once readers of the last manifest are done.
    traffic(config, tokens, people, 1)
    export(StoreSources(config), STATES, default_dir(config))
    assert sorted(p.name for p in folder.glob("*.parquet")) == sorted(
        manifest(out)["states"]["NY"]["parts"]["requests"]
    )
