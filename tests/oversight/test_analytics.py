"""Tests for stateline/oversight/analytics.py and categories.py: entries become typed rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from stateline.directory.demo import demo_agencies
from stateline.ledger import entries
from stateline.ledger.entries import Entry, encode
from stateline.oversight import categories as c
from stateline.oversight.analytics import Folding
from stateline.oversight.categories import requester_category

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


def fold(log: list[Entry], roles: dict[str, str] | None = None) -> Folding:
    folding = Folding("NY", AGENCIES, roles or {})
    for index, entry in enumerate(log):
        folding.feed(index, orjson.loads(encode(entry)))
    return folding


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
        if a.ori.startswith("NY") and a.ori[2:5] != "STP" and a.agency_type.value == "PD"
    )
    assert requester_category(police, "NY") == c.LOCAL_IN_STATE
    assert requester_category(police, "CA") == c.POLICE_OUT_OF_STATE
    assert requester_category(None, "NY") == c.UNKNOWN


def test_a_request_with_its_decision_and_disclosure_is_one_row() -> None:
    folding = fold(
        answered(
            "m1",
            "DCICE0000",
            "withhold",
            purpose="civil-immigration",
            legal_process={"kind": "judicial-warrant", "document_sha256": "0" * 64},
            subjects=("e" * 64,),
        )
    )
    (row,) = folding.tables.requests
    assert row["requester_category"] == c.ICE_ERO
    assert row["requester_name"] == "ICE Enforcement and Removal Operations"
    assert (row["outcome"], row["purpose"], row["legal_process"]) == (
        "withhold",
        "civil-immigration",
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
    assert folding.resume == 3


def test_reviews_late_answers_and_notices_have_rows_of_their_own() -> None:
    later = AT + timedelta(hours=3)
    log = [
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
    ]
    tables = fold(log, {"rita": "counsel"}).tables
    (review,) = tables.reviews
    assert (review["action"], review["role"], review["index"]) == ("approve", "counsel", 3)
    (late,) = tables.late_disclosures
    assert late["classes"] == ["identity", "photo"] and late["index"] == 4
    (notice,) = tables.notices
    assert (notice["event"], notice["due"]) == ("created", date(2026, 11, 6))


def test_a_request_whose_answer_is_not_read_yet_is_left_for_the_next_export() -> None:
    log = [*answered("m1", "NYSTP0000", "release"), *answered("m2", "NYSTP0000", "release")[:2]]
    folding = fold(log)
    assert [r["message_id"] for r in folding.tables.requests] == ["m1"]
    assert folding.resume == 3  # m2's request: read again next time, with its answer
    retention = Folding("NY", AGENCIES, {})
    retention.feed(0, None)  # a body retention removed counts nowhere
    assert len(retention.tables) == 0 and retention.resume == 1
    assert Folding("NY", AGENCIES, {}, start=40).resume == 40  # nothing new: stays put
