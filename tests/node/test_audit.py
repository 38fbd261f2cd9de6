"""Tests for stateline/node/audit.py: the request entry's purpose, codes and legal process."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from stateline.documents import Document
from stateline.ledger import entries
from stateline.ledger.entries import RequestReceived
from stateline.node.audit import legal_process, request_entries
from stateline.node.policy.model import Decision
from stateline.wire import text
from stateline.wire.messages import Query

AT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a warrant, synthetic\n"


def query(fields: str) -> Query:
    parsed = text.parse(f"DQ.DCICE0000.MD.TXT\n{fields}")
    assert isinstance(parsed, Query), parsed
    return parsed


def request_entry(q: Query, document: Document | None = None) -> RequestReceived:
    made = request_entries(
        at=AT,
        message_id="m1",
        state="MD",
        query=q,
        requester="DCICE0000",
        decision=Decision.deny("NO"),
        subjects=(),
        found=[],
        records=[],
        answer=b"",
        secret=b"k" * 32,
        document=document,
    )
    first = made[0]
    assert isinstance(first, RequestReceived)
    return first


def test_the_request_entry_records_the_cited_process_and_the_document_digest() -> None:
    q = query(
        "OLN/D1.RSN/N.PRP/CRIMINAL-INVESTIGATION.LPK/JUDICIAL-WARRANT.LPN/1:26-MJ-00042"
        ".LPC/US DISTRICT COURT MD.LPJ/ROE,RICHARD.LPD/20260105.LPS/PHOTO,ADDRESS.DOC/A1"
    )
    entry = request_entry(q, Document(PDF, "application/pdf", "warrant.pdf"))
    assert entry.purpose == "criminal-investigation"
    assert entry.reasons == ("RSN/N",)
    assert entry.legal_process == {
        "kind": "judicial-warrant",
        "number": "1:26-MJ-00042",
        "court": "US DISTRICT COURT MD",
        "judge": "ROE,RICHARD",
        "issued": "2026-01-05",
        "covers": ["address", "photo"],
        "document_sha256": hashlib.sha256(PDF).hexdigest(),
    }
    encoded = entries.encode(entry)
    assert PDF not in encoded and b"warrant.pdf" not in encoded  # the digest alone
    assert entries.decode(encoded) == entry


def test_a_request_without_purpose_or_process() -> None:
    entry = request_entry(query("OLN/D1.PUR/C"))
    assert entry.purpose == "criminal-investigation"  # PUR/C, criminal justice
    assert entry.reasons == ("PUR/C",)
    assert entry.legal_process == {}
    bare = request_entry(query("OLN/D1"))
    assert (bare.purpose, bare.reasons) == (None, ())
    assert legal_process(query("OLN/D1.LPK/COURT-ORDER"), None)["covers"] is None


def test_entries_written_before_the_protocol_tags_still_decode() -> None:
    older = (
        b'{"at":"2025-10-01T12:00:00Z","key":"DQ","kind":"request","legal_process":{},'
        b'"message_id":"m0","purpose":"C","reasons":["N"],"requester":"NYSTP0000",'
        b'"state":"NY","subjects":[],"v":1}'
    )
    entry = entries.decode(older)
    assert isinstance(entry, RequestReceived) and entry.purpose == "C"
