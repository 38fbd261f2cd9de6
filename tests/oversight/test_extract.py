"""Tests for stateline/oversight/extract.py and categories.py: ledger entries become the
analytical copy's typed rows, a batch at a time, in DuckDB."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from stateline.ledger import entries
from stateline.ledger.entries import Entry, encode
from stateline.oversight import categories as c
from stateline.oversight.categories import requester_category
from stateline.oversight.copy import _agencies, _Run, _table
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.messages import MessageLog
from stateline.synthetic.agencies import demo_agencies

AT = datetime(2026, 11, 3, 14, 5, tzinfo=UTC)
AGENCIES = {a.ori: a for a in demo_agencies()}


def answered(message_id: str, requester: str, outcome: str, **request: Any) -> list[Entry]:
    common = {"at": AT, "message_id": message_id, "state": "NY"}
    return [
        entries.RequestReceived(**common, key="DQ", requester=requester, **request),
        entries.Decision(
            **common,
            outcome=outcome,
            data_classes={"identity": "release", "address": "withhold", "photo": "review"},
            policy_ids=("ny-green-light",),
        ),
        entries.Disclosure(
            **common,
            answer_sha256="ab" * 32,
            data_classes=("identity",),
            recipient=requester,
            subjects=("f" * 64,),
        ),
    ]


@pytest.fixture
def run(tmp_path: Path) -> _Run:
    db = duckdb.connect()
    db.register("agencies", _agencies(AGENCIES, "NY"))
    import pyarrow as pa

    db.register(
        "roles",
        pa.table({"username": pa.array(["rita"]), "role": pa.array(["counsel"])}),
    )
    log = MessageLog(open_engine(sqlite_url(str(tmp_path / "hub.sqlite"))))
    log.create_schema()
    return _Run(db, "NY", tmp_path / "copy", log)


def fed(run: _Run, log: list[Entry | None], first: int = 0) -> None:
    rows = [(first + i, None if e is None else encode(e)) for i, e in enumerate(log)]
    run.batch(first, len(rows), _table(rows))


def rows(run: _Run, table: str) -> list[dict[str, Any]]:
    found = sorted((run.out / table).glob("state=NY/*.parquet"))
    return [row for part in found for row in pq.read_table(part).to_pylist()]


def test_each_requester_has_the_category_reports_use() -> None:
    assert requester_category(AGENCIES["DCICE0000"], "NY") == c.ICE_ERO
    assert requester_category(AGENCIES["DCHSI0000"], "NY") == c.HSI
    assert requester_category(AGENCIES["DCCBP0000"], "NY") == c.CBP
    assert requester_category(AGENCIES["DCFBI0000"], "NY") == c.OTHER_FEDERAL
    assert requester_category(AGENCIES["NYSTP0000"], "NY") == c.STATE_AGENCY
    assert requester_category(AGENCIES["NYSTP0000"], "NJ") == c.STATE_AGENCY_OUT_OF_STATE
    police = next(
        a
        for a in AGENCIES.values()
        if a.ori.startswith("NY") and a.agency_type.value == "PD" and a.ori[2:5].isdigit()
    )
    assert requester_category(police, "NY") == c.LOCAL_IN_STATE
    assert requester_category(police, "CA") == c.POLICE_OUT_OF_STATE
    assert requester_category(None, "NY") == c.UNKNOWN


def test_a_request_with_its_decision_and_disclosure_is_one_row(run: _Run) -> None:
    fed(
        run,
        answered(
            "m1",
            "DCICE0000",
            "release-redacted",  # as the policy names a release with classes withheld
            purpose="civil-immigration-enforcement",
            legal_process={"kind": "judicial-warrant", "document_sha256": "0" * 64},
            subjects=("e" * 64,),
        ),
    )
    (row,) = rows(run, "requests")
    assert row["requester_category"] == c.ICE_ERO
    assert row["requester_name"] == "ICE Enforcement and Removal Operations"
    assert row["at"] == AT
    assert (row["outcome"], row["purpose"], row["legal_process"]) == (
        "withhold",
        "civil-immigration-enforcement",
        "judicial-warrant",
    )
    assert row["legal_process_document"] is True
    assert (row["classes_released"], row["classes_withheld"], row["classes_review"]) == (
        ["identity"],
        ["address"],
        ["photo"],
    )
    assert (row["request_index"], row["decision_index"], row["disclosure_index"]) == (0, 1, 2)
    assert (row["subjects"], row["found"]) == (1, 1)  # asked for one key, found another
    assert run.resume(0) == 3


def test_reviews_late_answers_and_notices_have_rows_of_their_own(run: _Run) -> None:
    later = AT + timedelta(hours=3)
    fed(
        run,
        [
            *answered("m1", "DCICE0000", "review"),
            entries.ReviewAction(
                action="approve",
                at=later,
                message_id="m1",
                outcome="release",
                reviewer="rita",
                state="NY",
            ),
            entries.Disclosure(
                answer_sha256="cd" * 32,
                at=later,
                data_classes=("identity", "photo"),
                message_id="m1",
                recipient="DCICE0000",
                state="NY",
            ),
            entries.Notice(
                at=later,
                message_id="m1",
                notice="subject-notice",
                recipient="subject",
                state="NY",
                detail={"event": "created", "notice_id": "n1", "due": "2026-11-06"},
            ),
        ],
    )
    (review,) = rows(run, "reviews")
    assert (review["action"], review["role"], review["index"]) == ("approve", "counsel", 3)
    (late,) = rows(run, "late_disclosures")
    assert late["classes"] == ["identity", "photo"] and late["index"] == 4
    (notice,) = rows(run, "notices")
    assert (notice["event"], notice["due"], notice["delay_requested"]) == (
        "created",
        date(2026, 11, 6),
        False,
    )


def test_a_request_whose_answer_is_in_the_next_batch_waits_for_it(run: _Run) -> None:
    first, second = answered("m1", "NYSTP0000", "release"), answered("m2", "NYSTP0000", "release")
    fed(run, [*first, *second[:2]])  # the batch ends before m2's disclosure
    assert [r["message_id"] for r in rows(run, "requests")] == ["m1"]
    assert run.resume(0) == 3  # m2's request: read again, with what follows
    fed(run, second[2:], first=5)
    assert [r["message_id"] for r in rows(run, "requests")] == ["m1", "m2"]
    assert rows(run, "late_disclosures") == []  # m2's disclosure joined its request
    assert run.resume(0) == 6


def test_bodies_removed_by_retention_count_nowhere(run: _Run) -> None:
    fed(run, [None, None, *answered("m1", "NYSTP0000", "release")])
    assert [r["request_index"] for r in rows(run, "requests")] == [2]
    assert run.resume(0) == 5


def test_found_counts_the_people_an_answer_carried(run: _Run) -> None:
    key = "e" * 64
    common = {"at": AT, "state": "NY"}
    log: list[Entry | None] = []
    for message_id, carried, named in (("hit", ("identity",), (key,)), ("miss", (), (key,))):
        log += [
            entries.RequestReceived(**common, message_id=message_id, key="DQ",
                                    requester="NYSTP0000", subjects=(key,)),
            entries.Decision(**common, message_id=message_id, outcome="release"),
            entries.Disclosure(**common, message_id=message_id, answer_sha256="ab" * 32,
                               data_classes=carried, recipient="NYSTP0000", subjects=named),
        ]  # fmt: skip
    fed(run, log)
    # A licence lookup names the person it finds: found is 1 when a record came, else 0.
    assert {r["message_id"]: r["found"] for r in rows(run, "requests")} == {"hit": 1, "miss": 0}


def test_the_coded_items_become_columns_of_their_own(run: _Run) -> None:
    reasons = ("RSN/N", "AFM/IMMIGRATION-ENFORCEMENT,TRAFFIC-ENFORCEMENT", "ATN#0123456789abcdef",
               "SRCH/NAME")  # fmt: skip
    fed(run, [*answered("m1", "NYSTP0000", "release", reasons=reasons),
              *answered("m2", "NYSTP0000", "release")])  # fmt: skip
    first, second = rows(run, "requests")
    assert first["legacy_codes"] == ["RSN/N"]
    assert first["acting_for"] == ["immigration-enforcement", "traffic-enforcement"]
    assert (first["asker"], first["search"]) == ("0123456789abcdef", "name + DOB")
    assert (second["acting_for"], second["asker"], second["search"]) == ([], None, "licence")
