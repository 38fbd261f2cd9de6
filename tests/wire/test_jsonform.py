"""The JSON form: its shapes, the published schema, and the rejections of malformed JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from stateline.wire import jsonform, text
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import MKE, SWITCH_ORI
from stateline.wire.messages import (
    ErrorMessage,
    Header,
    Message,
    OutputHeader,
    Query,
    Response,
)

from .test_text import EVERY_KEY, STAMP

SCHEMA_FILE = Path(__file__).parents[2] / "docs" / "message.schema.json"
R = ErReason


def test_query_shape() -> None:
    query = text.parse("KQ.AZNLETS20.AZ.TXT\nNAM/SMITH,JOHN.DOB/19500101.SEX/M")
    assert isinstance(query, Query)
    assert jsonform.encode_json(query) == (
        '{"mke":"KQ","ori":"AZNLETS20","destinations":["AZ"],"control":null,'
        '"fields":{"NAM":"SMITH,JOHN","DOB":"19500101","SEX":"M"}}'
    )


def test_reply_shapes() -> None:
    rejection = text.parse("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC")
    assert isinstance(rejection, Rejection)
    er = replace(text.error_message(rejection), output=STAMP)
    assert jsonform.to_dict(er) == {
        "mke": "ER",
        "ori": "NL0000000",
        "destinations": ["AZNLETS20"],
        "control": None,
        "output": {
            "received": "2010-01-01T08:00",
            "input_seq": 1239,
            "sent": "2011-01-01T08:00",
            "output_seq": 1233,
        },
        "reason": 22,
        "detail": ["REFER TO RQ MKE OPTIONS BELOW", "1. LIC, LIY, LIT"],
        "original": "RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC",
    }
    response = Response(
        Header(MKE.DR, "NYOLN0000", ("AZNLETS20",)),
        ((("OLN", "A1"), ("PAD", "1 MAIN"), ("PAD", "2 ELM")),),
        ("NOTE",),
    )
    assert jsonform.to_dict(response)["records"] == [{"OLN": "A1", "PAD": ["1 MAIN", "2 ELM"]}]
    assert list(jsonform.to_dict(response)) == [
        "mke", "ori", "destinations", "control", "output", "records", "text",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "message", [m for m, _raw in EVERY_KEY], ids=[m.header.mke.value for m, _raw in EVERY_KEY]
)
def test_every_key_round_trips(message: Message) -> None:
    encoded = jsonform.encode_json(message)
    assert jsonform.parse_json(encoded) == message
    assert jsonform.encode_json(jsonform.parse_json(encoded)) == encoded  # type: ignore[arg-type]
    assert jsonform.parse_json(encoded.encode()) == message
    jsonschema.Draft202012Validator(jsonform.json_schema()).validate(json.loads(encoded))


def test_the_published_schema_is_current() -> None:
    published = json.loads(SCHEMA_FILE.read_text())
    regenerate = (
        "regenerate with: .venv/bin/python -c 'import json; from stateline.wire.jsonform "
        "import json_schema; print(json.dumps(json_schema(), indent=2))' "
        "> docs/message.schema.json"
    )
    assert published == jsonform.json_schema(), regenerate
    jsonschema.Draft202012Validator.check_schema(published)


def test_the_schema_refuses_what_the_form_never_writes() -> None:
    validator = jsonschema.Draft202012Validator(jsonform.json_schema())
    good = json.loads(jsonform.encode_json(EVERY_KEY[0][0]))
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "extra": 1})
    assert not validator.is_valid({**good, "fields": {"OLN": "X" * 21}})
    assert not validator.is_valid({**good, "mke": "DR"})


def _query(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "mke": "DQ",
        "ori": "AZNLETS20",
        "destinations": ["NY"],
        "control": None,
        "fields": {"OLN": "D1"},
    }
    document.update(changes)
    return document


MALFORMED: list[tuple[object, ErReason | None, tuple[str, ...]]] = [
    ([], R.INVALID_HEADER, ("NOT A JSON OBJECT WITH ONE VALUE PER KEY",)),
    ("DQ", R.INVALID_HEADER, ("NOT A JSON OBJECT WITH ONE VALUE PER KEY",)),
    (_query(mke="dq"), R.INVALID_HEADER, ("MESSAGE KEY NOT KNOWN",)),
    (_query(mke=None), R.INVALID_HEADER, ("MESSAGE KEY NOT KNOWN",)),
    (_query(ori="AZNLETS2"), R.INVALID_HEADER, ("SENDING ORI NOT VALID",)),
    (_query(ori=12), R.INVALID_HEADER, ("SENDING ORI NOT VALID",)),
    (_query(control=7), R.INVALID_HEADER, ("CONTROL FIELD NOT VALID",)),
    (_query(control="NY"), R.INVALID_HEADER, ("CONTROL FIELD NOT VALID",)),
    (_query(destinations="NY"), R.INVALID_HEADER, ("DESTINATIONS NOT A LIST OF TEXT",)),
    (_query(destinations=[]), R.INVALID_HEADER, ("NO DESTINATION",)),
    (_query(destinations=["ny"]), R.INVALID_DESTINATION, ("DESTINATION 1 NOT KNOWN",)),
    (_query(output={}), R.INVALID_HEADER, ("A QUERY HAS NO OUTPUT HEADER",)),
    (
        _query(mke="KQ", destinations=["NL"]),
        R.NOT_ALLOWED_TO_DESTINATION,
        ("KQ GOES TO ONE STATE",),
    ),
    (_query(extra=1), R.INVALID_FORMAT, ("UNKNOWN KEY IN MESSAGE",)),
    (_query(fields={}), R.FIELDS_MISSING, ()),
    (_query(fields=None), R.FIELDS_MISSING, ()),
    (_query(fields=["OLN", "D1"]), R.INVALID_FORMAT, ("FIELDS NOT AN OBJECT OF TEXT",)),
    (_query(fields={"OLN": 1}), R.INVALID_FORMAT, ("FIELDS NOT AN OBJECT OF TEXT",)),
    (_query(fields={"LIC": "A"}), R.INVALID_FORMAT, ("DQ DOES NOT TAKE LIC/",)),
    (_query(fields={"OLN": "D1", "ATN": "A" * 4096}), R.ATN_INVALID, ("ATN/ LONGER THAN 30",)),
    (_query(fields={"OLN": "D1", "ATN": "A" * 30, "RSN": "T"}), None, ()),
    (
        {"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"], "output": {"x": 1}},
        R.INVALID_HEADER,
        ("OUTPUT HEADER NOT VALID",),
    ),
    (
        {
            "mke": "DR",
            "ori": "NYOLN0000",
            "destinations": ["AZNLETS20"],
            "output": {
                "received": "2010-01-01T08:00",
                "input_seq": True,
                "sent": "2010-01-01T08:00",
                "output_seq": 1,
            },
        },
        R.INVALID_HEADER,
        ("OUTPUT HEADER NOT VALID",),
    ),
    (
        {
            "mke": "DR",
            "ori": "NYOLN0000",
            "destinations": ["AZNLETS20"],
            "output": {
                "received": "2010-02-30T08:00",
                "input_seq": 1,
                "sent": "2010-01-01T08:00",
                "output_seq": 1,
            },
        },
        R.INVALID_HEADER,
        ("OUTPUT HEADER NOT VALID",),
    ),
    ({"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"]}, R.FIELDS_MISSING, ()),
    (
        {"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"], "records": {}},
        R.INVALID_FORMAT,
        ("RECORDS NOT A LIST",),
    ),
    (
        {"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"], "records": [{"PAD": "X"}]},
        R.INVALID_FORMAT,
        ("RECORD NOT AN OBJECT OF TEXT",),
    ),
    (
        {
            "mke": "DR",
            "ori": "NYOLN0000",
            "destinations": ["AZNLETS20"],
            "records": [{"OLN": ["X"]}],
        },
        R.INVALID_FORMAT,
        ("RECORD NOT AN OBJECT OF TEXT",),
    ),
    (
        {"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"], "records": [{}]},
        R.INVALID_FORMAT,
        ("EMPTY RECORD",),
    ),
    (
        {"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"], "records": [{"X": "1"}]},
        R.INVALID_FORMAT,
        ("A FIELD NOT KNOWN IN A RECORD",),
    ),
    (
        {"mke": "DR", "ori": "NYOLN0000", "destinations": ["AZNLETS20"], "text": "NOT ON FILE"},
        R.INVALID_FORMAT,
        ("TEXT NOT A LIST OF LINES",),
    ),
    (
        {"mke": "AM", "ori": "AZNLETS20", "destinations": ["NY"], "text": ["A\nB"]},
        R.INVALID_FORMAT,
        ("CONTROL CHARACTER IN TEXT",),
    ),
    (
        {"mke": "ER", "ori": SWITCH_ORI, "destinations": [], "reason": 23, "original": ""},
        R.INVALID_FORMAT,
        ("ER REASON NOT VALID",),
    ),
    (
        {"mke": "ER", "ori": SWITCH_ORI, "destinations": [], "reason": True, "original": ""},
        R.INVALID_FORMAT,
        ("ER REASON NOT VALID",),
    ),
    (
        {"mke": "ER", "ori": SWITCH_ORI, "destinations": [], "reason": 1},
        R.INVALID_FORMAT,
        ("ER DETAIL OR ORIGINAL NOT VALID",),
    ),
    (
        {"mke": "ER", "ori": "AZNLETS20", "destinations": [], "reason": 1, "original": ""},
        R.NOT_ALLOWED_TO_DESTINATION,
        ("ER IS SENT ONLY BY THE SWITCH",),
    ),
    (
        {"mke": "AM", "ori": "AZNLETS20", "destinations": ["NY"], "text": ["A" * 4096]},
        R.MESSAGE_TOO_LONG,
        ("LONGEST ACCEPTED IS 4096 CHARACTERS",),
    ),
]


@pytest.mark.parametrize(("data", "reason", "detail"), MALFORMED, ids=lambda v: repr(v)[:50])
def test_malformed_json(data: object, reason: ErReason | None, detail: tuple[str, ...]) -> None:
    for result in (jsonform.from_dict(data), jsonform.parse_json(json.dumps(data))):
        if reason is None:
            assert not isinstance(result, Rejection), result
            continue
        assert isinstance(result, Rejection)
        assert (result.reason, result.detail) == (reason, detail)
        assert len(result.original) <= 100


def test_the_rejection_quotes_the_raw_json() -> None:
    raw = '{"mke": "DQ", "ori": "AZNLETS20", "destinations": ["NY"],\r\n "fields": {}}'
    rejection = jsonform.parse_json(raw)
    assert isinstance(rejection, Rejection)
    assert rejection.original == raw.replace("\r\n", "\n")
    assert (rejection.reason, rejection.ori) == (R.FIELDS_MISSING, "AZNLETS20")


def test_a_key_given_twice() -> None:
    twice = '{"mke":"DQ","ori":"AZNLETS20","destinations":["NY"],"fields":{"OLN":"A","OLN":"B"}}'
    rejection = jsonform.parse_json(twice)
    assert isinstance(rejection, Rejection)
    assert (rejection.reason, rejection.detail) == (R.INVALID_FORMAT, ("OLN/ GIVEN TWICE",))
    assert rejection.detail == text.parse("DQ.AZNLETS20.NY.TXT\nOLN/A.OLN/B").detail  # type: ignore[union-attr]
    header_twice = '{"mke":"DQ","mke":"DQ","ori":"AZNLETS20","destinations":["NY"]}'
    rejection = jsonform.parse_json(header_twice)
    assert isinstance(rejection, Rejection)
    assert rejection.reason is R.INVALID_HEADER


@pytest.mark.parametrize("raw", [b"\xff\xfe", "not json", "", b"", "[" * 50_000, "{}" * 3])
def test_not_json_at_all(raw: str | bytes) -> None:
    rejection = jsonform.parse_json(raw)
    assert isinstance(rejection, Rejection)
    assert rejection.reason is R.INVALID_HEADER
    assert rejection.detail == ("NOT A JSON MESSAGE",)


def test_oversize_json_is_refused_before_reading() -> None:
    rejection = jsonform.parse_json(" " * (jsonform.MAX_JSON + 1))
    assert isinstance(rejection, Rejection)
    assert rejection.reason is R.MESSAGE_TOO_LONG


def test_absent_optional_keys_read_as_empty() -> None:
    """Leniency on input: missing ``control``, ``output``, ``detail`` and ``records`` keys."""
    query = jsonform.from_dict(
        {"mke": "DQ", "ori": "AZNLETS20", "destinations": ["NY"], "fields": {"OLN": "D1"}}
    )
    assert query == Query(Header(MKE.DQ, "AZNLETS20", ("NY",)), (("OLN", "D1"),))
    er = jsonform.from_dict(
        {"mke": "ER", "ori": SWITCH_ORI, "destinations": [], "reason": 3, "original": "X"}
    )
    assert er == ErrorMessage(Header(MKE.ER, SWITCH_ORI, ()), R.TXT_NOT_FOUND, (), "X")


def test_times_are_utc_minutes() -> None:
    stamp = datetime(2024, 2, 29, 23, 59, tzinfo=UTC)
    response = Response(
        Header(MKE.RR, "CALIC0000", ("AZNLETS20",)),
        text=("NOT ON FILE",),
        output=OutputHeader(stamp, 0, stamp, 99_999),
    )
    document = jsonform.to_dict(response)
    assert document["output"]["received"] == "2024-02-29T23:59"
    assert jsonform.from_dict(document) == response


@pytest.mark.parametrize("reason", list(ErReason), ids=lambda reason: reason.code)
def test_every_reason_travels_in_an_er(reason: ErReason) -> None:
    er = text.error_message(Rejection.of(reason, "X", "A DETAIL", ori="AZNLETS20"))
    document = jsonform.to_dict(er)
    assert (document["reason"], document["detail"]) == (reason.number, ["A DETAIL"])
    assert jsonform.from_dict(document) == er
