"""A delivery and a reply as bytes between processes: what goes in comes out, and bytes that are
not one are refused with a plain reason (a transport dead-letters them)."""

from __future__ import annotations

import base64

import orjson
import pytest

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.documents import Document
from stateline.transport.base import Delivery
from stateline.transport.codec import (
    CodecError,
    delivery_bytes,
    delivery_from,
    reply_bytes,
    reply_from,
)
from stateline.wire import text
from stateline.wire.grammar import MKE
from stateline.wire.messages import Header, Query, Response

AGENCY = Agency(
    "NYSTP0000",
    "New York State Police",
    AgencyType.SA,
    "NY",
    frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT}),
)


def query(raw: str) -> Query:
    parsed = text.parse(raw)
    assert isinstance(parsed, Query)
    return parsed


def delivery(document: Document | None = None) -> Delivery:
    return Delivery(
        "m-1", query("DQ.NYSTP0000.NY.TXT\nOLN/D1234567"), AGENCY, "NYOLN0000", document
    )


def test_a_delivery_comes_out_as_it_went_in() -> None:
    assert delivery_from(delivery_bytes(delivery())) == delivery()


def test_a_delivery_carries_its_document() -> None:
    with_document = delivery(Document(b"%PDF-1.7 warrant", "application/pdf", "warrant.pdf"))
    assert delivery_from(delivery_bytes(with_document)) == with_document


def test_a_reply_comes_out_as_it_went_in() -> None:
    answer = Response(Header(MKE.DR, "NYOLN0000", ("NYSTP0000",), None), (), ("NOT ON FILE",))
    assert reply_from(reply_bytes(answer)) == answer


def body(**changes: object) -> bytes:
    document = orjson.loads(delivery_bytes(delivery()))
    document.update(changes)
    return orjson.dumps({k: v for k, v in document.items() if v is not None})


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff not json", "a delivery is JSON"),
        (b"[1, 2]", "not a delivery of form 1"),
        (body(v=2), "not a delivery of form 1"),
        (body(message_id=None), "missing or wrong"),
        (body(requester={"ori": "NY"}), "missing or wrong"),
        (body(query="AM.NYSTP0000.NY.TXT\nHELLO"), "carries a query"),
        (body(query="NOT A MESSAGE"), "carries a query"),
        (
            body(document={"content": "%%%", "content_type": "application/pdf", "filename": "x"}),
            "missing or wrong",
        ),
    ],
)
def test_bytes_that_are_not_a_delivery_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CodecError, match=reason):
        delivery_from(data)


@pytest.mark.parametrize(
    "data", [b"\xff\xfe", b"NOT A MESSAGE", b"DQ.NYSTP0000.NY.TXT\nOLN/D1234567"]
)
def test_bytes_that_are_not_a_reply_are_refused(data: bytes) -> None:
    with pytest.raises(CodecError):
        reply_from(data)


def test_the_document_travels_as_base64() -> None:
    sent = orjson.loads(delivery_bytes(delivery(Document(b"%PDF-x", "application/pdf"))))
    assert base64.b64decode(sent["document"]["content"]) == b"%PDF-x"
