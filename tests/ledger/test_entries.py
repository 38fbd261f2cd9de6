"""Entries: one canonical byte form per entry, subjects only as keyed hashes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import orjson
import pytest

from stateline.ledger.entries import (
    KINDS,
    AdminChange,
    Decision,
    Disclosure,
    Entry,
    EntryError,
    Notice,
    RequestReceived,
    ReviewAction,
    answer_digest,
    decode,
    encode,
    subject_key,
)

SECRET = b"state secret for tests"
AT = datetime(2025, 10, 1, 14, 30, 5, 123456, tzinfo=UTC)
SUBJECT = subject_key(SECRET, "NY", oln="D1234567")


def examples() -> list[Entry]:
    common = {"message_id": "m-1", "state": "NY", "at": AT}
    return [
        RequestReceived(**common, requester="NYSTP0000", key="DQ", purpose="C",
                        reasons=("TRAFFIC",), legal_process={"warrant": "W-1", "pages": 2},
                        subjects=(SUBJECT,)),
        Decision(**common, outcome="withhold", data_classes={"photo": "deny", "licence": "release"},
                 policy_ids=("ny-green-light-1",), duties=("notify",), subjects=(SUBJECT,)),
        ReviewAction(**common, action="release", reviewer="R-17", reason="court order",
                     outcome="release", subjects=(SUBJECT,)),
        Disclosure(**common, recipient="NYSTP0000", data_classes=("licence",),
                   answer_sha256=answer_digest(b"DR answer"), subjects=(SUBJECT,)),
        Notice(**common, notice="subject", recipient="resident", detail={"delay_days": 90},
               subjects=(SUBJECT,)),
        AdminChange(**common, change="policy_bundle", actor="ops-2", detail={"sha256": "ab" * 32}),
    ]  # fmt: skip


@pytest.mark.parametrize("entry", examples(), ids=lambda e: e.kind)
def test_round_trip_through_canonical_bytes(entry: Entry) -> None:
    data = encode(entry)
    assert decode(data) == entry
    assert encode(decode(data)) == data
    raw = orjson.loads(data)
    assert list(raw) == sorted(raw), "keys are sorted"
    assert b" " not in data.replace(b"court order", b""), "compact"
    assert raw["kind"] == entry.kind and raw["v"] == 1


def test_every_kind_declares_its_fields_in_alphabetical_order() -> None:
    for cls in KINDS.values():
        names = [f.name for f in dataclasses.fields(cls)]
        assert names == sorted(names), cls.__name__


def test_times_are_kept_in_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    one = Disclosure(message_id="m", state="NY", at=local, recipient="X", data_classes=(),
                     answer_sha256="00")  # fmt: skip
    two = dataclasses.replace(one, at=AT)
    assert encode(one) == encode(two)
    with pytest.raises(EntryError):
        dataclasses.replace(one, at=datetime(2025, 1, 1))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b.replace(b'"v":1', b'"v":2'),
        lambda b: b.replace(b'"kind":"disclosure"', b'"kind":"gossip"'),
        lambda b: b.replace(b",", b", ", 1),
        lambda b: b.replace(b'"state":"NY",', b""),
        lambda b: b[:-1] + b',"extra":1}',
        lambda b: b.replace(b"Z", b"+00:00", 1),
        lambda b: b"[]",
        lambda b: b"not json",
    ],
)
def test_anything_but_the_canonical_form_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    data = encode(examples()[3])
    with pytest.raises(EntryError):
        decode(mangle(data))


def test_free_form_fields_hold_plain_json_only() -> None:
    entry = AdminChange(message_id="a", state="NY", at=AT, change="directory", actor="ops",
                        detail={"who": {"ops-1", "ops-2"}})  # type: ignore[dict-item]  # fmt: skip
    with pytest.raises(EntryError):
        encode(entry)


def test_subject_keys_hide_the_person_and_normalise_spelling() -> None:
    by_name = subject_key(SECRET, "ny", name="Doe,  John Q", dob=date(1990, 5, 1))
    assert by_name == subject_key(SECRET, "NY", name="DOE , JOHN Q", dob=date(1990, 5, 1))
    assert by_name != subject_key(SECRET, "NY", name="DOE, JANE", dob=date(1990, 5, 1))
    assert subject_key(SECRET, "NY", oln="d 1234567") == SUBJECT
    assert subject_key(b"another state's secret", "NY", oln="D1234567") != SUBJECT
    assert len(SUBJECT) == 64 and int(SUBJECT, 16) >= 0
    for entry in examples():
        assert b"D1234567" not in encode(entry) and b"DOE" not in encode(entry)
    with pytest.raises(ValueError):
        subject_key(SECRET, "NY", name="DOE, JOHN")
