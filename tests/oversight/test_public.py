"""The public statistics' figures: who each answer looked up, each person counted once in each
figure, over entries made by hand and over a real exchange's ledgers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from stateline.bootstrap import StoreSources
from stateline.bootstrap import build as build_system
from stateline.config import Config
from stateline.directory.model import Agency
from stateline.node.records.model import Person
from stateline.oversight.copy import connect, export
from stateline.oversight.parts import default_dir
from stateline.oversight.privacy import split
from stateline.oversight.public import (
    FIGURES,
    Lookups,
    build,
    count_people,
    ledger_ranges,
    people_of,
    requests_behind,
)
from stateline.oversight.transparency import Scope
from tests.conftest import fresh_copy

STATES = ("NY", "TX")
YEAR = datetime.now(UTC).year


def test_who_an_answer_looked_up() -> None:
    assert people_of(["k1"], ["k1"]) == ("k1",)  # by licence: the person asked for
    assert people_of(["name"], ["name", "k1"]) == ("k1",)  # by name: the person found
    assert people_of(["name"], ["name"]) == ("name",)  # by name, found nobody or refused
    assert people_of([], ["k1", "k2"]) == ("k1", "k2")  # a plate: its owners
    assert people_of([], []) == ()  # a plate with no owner on file names nobody


def request(mid: str, ori: str, subjects: list[str], at: str = f"{YEAR}-03-01T10:00:00Z") -> Any:
    return {"kind": "request", "message_id": mid, "requester": ori, "subjects": subjects, "at": at}


def decision(mid: str, outcome: str) -> Any:
    return {"kind": "decision", "message_id": mid, "outcome": outcome}


def disclosure(
    mid: str, ori: str, subjects: list[str], classes: list[str], at: str = f"{YEAR}-03-01T10:00:00Z"
) -> Any:
    return {
        "kind": "disclosure",
        "message_id": mid,
        "recipient": ori,
        "subjects": subjects,
        "data_classes": classes,
        "at": at,
    }


def counted(lookups: Lookups) -> dict[str, set[str]]:
    figures: dict[str, set[str]] = {f.name: set() for f in FIGURES}
    for number, person in lookups.pairs:
        figures[FIGURES[number].name].add(person)
    return figures


def test_each_figure_counts_each_person_once_by_who_asked(
    agencies: dict[str, Agency],
) -> None:
    lookups = Lookups("NY", agencies, YEAR)
    entries = [
        # New York's police look up p1 three times, once by name (found): p1 each time.
        *answered("a", "NYSTP0000", ["p1"], ["p1"], "release", ["identity"]),
        *answered("b", "NYSTP0000", ["p1"], ["p1"], "release", ["identity"]),
        *answered("c", "NYSTP0000", ["n1"], ["n1", "p1"], "release", ["identity"]),
        # ICE is refused p2; HSI is given p3; New Jersey's police p4.
        *answered("d", "DCICE0000", ["p2"], ["p2"], "deny", []),
        *answered("e", "DCHSI0000", ["p3"], ["p3"], "release", ["identity"]),
        *answered("f", "NJSTP0000", ["p4"], ["p4"], "release", ["identity"]),
        # ICE's request for p5 is held; a person releases it later in the year.
        *answered("g", "DCICE0000", ["p5"], ["p5"], "review", []),
        # A request of another year counts nowhere, nor does a removed body.
        request("h", "DCICE0000", ["p6"], at=f"{YEAR - 1}-12-31T23:59:59Z"),
        decision("h", "release"),
        disclosure("h", "DCICE0000", ["p6"], ["identity"], at=f"{YEAR - 1}-12-31T23:59:59Z"),
        None,
        disclosure("g", "DCICE0000", ["p5"], ["identity", "photo"], at=f"{YEAR}-03-02T09:00:00Z"),
    ]
    for entry in entries:
        lookups.feed(entry)
    figures = counted(lookups)
    assert figures["people_looked_up"] == {"p1", "p2", "p3", "p4", "p5"}
    assert figures["people_out_of_state"] == {"p4"}
    assert figures["people_immigration"] == {"p2", "p3", "p5"}
    assert figures["people_ice_ero"] == {"p2", "p5"}
    assert figures["people_hsi"] == {"p3"}
    assert figures["people_cbp"] == set()
    assert figures["people_sent_to_immigration"] == {"p3", "p5"}
    assert lookups.unreadable == 1
    # The pairs themselves may repeat a person (p1 thrice): the count is of distinct ones.
    assert sum(1 for n, p in lookups.pairs if n == 0 and p == "p1") == 3


def answered(
    mid: str, ori: str, asked: list[str], disclosed: list[str], outcome: str, classes: list[str]
) -> list[Any]:
    return [
        request(mid, ori, asked),
        decision(mid, outcome),
        disclosure(mid, ori, disclosed, classes),
    ]


def test_a_late_answer_in_the_year_to_a_request_of_the_year_before_counts(
    agencies: dict[str, Agency],
) -> None:
    lookups = Lookups("NY", agencies, YEAR)
    lookups.feed(disclosure("old", "DCICE0000", ["p9"], ["identity"], at=f"{YEAR}-01-02T00:00:00Z"))
    lookups.feed(disclosure("older", "DCICE0000", ["p8"], [], at=f"{YEAR}-01-02T00:00:00Z"))
    figures = counted(lookups)
    assert figures["people_sent_to_immigration"] == {"p9"}
    assert figures["people_looked_up"] == set()  # looked up the year before


def agencies_of(config: Config) -> dict[str, Agency]:
    with StoreSources(config).hub() as hub:
        return hub.agencies()


@pytest.fixture
def agencies(prepared: Config) -> dict[str, Agency]:
    return agencies_of(prepared)


@pytest.fixture
def config(prepared: Config, tmp_path: Path) -> Config:
    """A copy of the prepared exchange: New York under its statute, Texas the status quo."""
    data = tmp_path / "data"
    fresh_copy(prepared, data)
    return replace(prepared, data_dir=data, states=STATES, policy="statute")


def traffic(config: Config, tokens: dict[str, str], people: dict[str, list[Person]]) -> None:
    ny, tx = people["NY"], people["TX"]
    first = ny[0]
    raws = [("NYSTP0000", f"DQ.NYSTP0000.NY.P{i}.TXT\nOLN/{ny[i].oln}") for i in range(12)]
    raws += [
        (
            "NYSTP0000",
            f"DQ.NYSTP0000.NY.N0.TXT\nNAM/{first.last},{first.first}"
            f".DOB/{first.dob:%Y%m%d}.SEX/{first.sex}",
        ),
        ("NYSTP0000", "DQ.NYSTP0000.NY.Z0.TXT\nOLN/Z00000000"),  # asked about; not on file
    ]
    raws += [("NJSTP0000", f"DQ.NJSTP0000.NY.J{i}.TXT\nOLN/{ny[i].oln}") for i in range(5, 10)]
    raws += [
        (
            "DCICE0000",
            f"DQ.DCICE0000.NY.I{i}.TXT\nOLN/{ny[i].oln}.PRP/CIVIL-IMMIGRATION-ENFORCEMENT",
        )
        for i in range(10, 14)
    ]
    raws += [("DCICE0000", f"DQ.DCICE0000.TX.T{i}.TXT\nOLN/{tx[i].oln}") for i in range(12)]
    system = build_system(config)
    try:

        async def send() -> None:
            for ori, raw in raws:
                await system.exchange.submit(raw, tokens[ori])

        asyncio.run(send())
    finally:
        system.close()


def test_the_figures_over_a_real_exchange(
    config: Config, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    traffic(config, tokens, people)
    export(StoreSources(config), STATES, default_dir(config))
    db = connect(default_dir(config))
    scope = Scope(STATES, date(YEAR, 1, 1), date(YEAR, 12, 31))
    ranges = ledger_ranges(db, scope)
    behind = requests_behind(db, scope)
    db.close()
    assert behind == {
        "people_looked_up": 14 + 5 + 4 + 12,
        "people_out_of_state": 5,
        "people_immigration": 16,
        "people_ice_ero": 16,
        "people_hsi": 0,
        "people_cbp": 0,
        "people_sent_to_immigration": 12,  # Texas's answers that carried records
    }
    counts, unreadable = count_people(StoreSources(config), agencies_of(config), ranges, YEAR)
    assert unreadable == 0
    assert counts == {
        # New York: people 0 to 13 and a licence not on file; the name search found person 0,
        # counted once. Texas: the 12 ICE asked for.
        "people_looked_up": 15 + 12,
        "people_out_of_state": 5,
        "people_immigration": 4 + 12,
        "people_ice_ero": 4 + 12,
        "people_hsi": 0,
        "people_cbp": 0,
        # New York's law refused ICE's civil requests; Texas answered them.
        "people_sent_to_immigration": 12,
    }
    assert count_people(StoreSources(config), agencies_of(config), ranges, YEAR - 1)[
        0
    ] == dict.fromkeys(counts, 0)

    # A budget so large the noise is nil shows the release carries the true counts; below
    # ten, a figure is suppressed whatever the budget.
    made = datetime.now(UTC)
    release = build(
        StoreSources(config),
        default_dir(config),
        STATES,
        YEAR,
        split(1e6, len(FIGURES)),
        "t",
        "NY, TX",
        made,
    )
    shown = {p.figure.name: p.noisy for p in release.people}
    looked_up, out_of_state = shown["people_looked_up"], shown["people_out_of_state"]
    assert looked_up is not None and looked_up.value == 27 and not looked_up.suppressed
    assert out_of_state is not None and out_of_state.suppressed  # 5: below ten
    sent = shown["people_sent_to_immigration"]
    assert sent is not None and sent.value == 12
    # Neither HSI nor CBP asked: exactly none, which the exact counts tell already.
    assert shown["people_hsi"] is None and shown["people_cbp"] is None
    summary = release.requests[0].rows[0]
    assert summary[0] == 12 + 2 + 5 + 4 + 12
    categories = {row[0]: row[1] for row in release.requests[1].rows}
    assert categories["federal immigration: ICE ERO"] == 16
    agencies = {row[0]: row[3] for row in release.requests[2].rows}
    assert agencies == {"NYSTP0000": 14, "NJSTP0000": 5, "DCICE0000": 16}
    assert {state for state, _size, _root in release.heads} == set(STATES)
