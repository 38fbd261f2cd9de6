"""What the alerts read from the ledger: the request entry's coded items (acting for, the person
asking as a keyed hash, a name search) and entries written before them, which still decode."""

from __future__ import annotations

from datetime import UTC, datetime

from stateline.ledger import entries
from stateline.ledger.entries import RequestReceived
from stateline.node.audit import ASKER, asker_key, request_entries
from stateline.node.policy.model import Decision
from stateline.oversight.alerts import Detector, Rule, lookup_of, raised_from
from stateline.wire import text
from stateline.wire.messages import Query

AT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
SECRET = b"k" * 32


def request(fields: str, ori: str = "NY0010100") -> RequestReceived:
    query = text.parse(f"DQ.{ori}.NY.TXT\n{fields}")
    assert isinstance(query, Query), query
    made = request_entries(
        at=AT,
        message_id="m1",
        state="NY",
        query=query,
        requester=ori,
        decision=Decision.deny("NO"),
        subjects=(),
        found=[],
        records=[],
        answer=b"",
        secret=SECRET,
    )
    first = made[0]
    assert isinstance(first, RequestReceived)
    return first


def test_a_request_entry_codes_acting_for_the_person_asking_and_a_name_search() -> None:
    entry = request(
        "NAM/DOE,JANE.DOB/19800101.SEX/F.PUR/C.ATN/SGT  PEPPER.PRP/CRIMINAL-INVESTIGATION"
        ".AFM/CRIMINAL-LAW-ENFORCEMENT,IMMIGRATION-ENFORCEMENT"
    )
    asker = ASKER + asker_key(SECRET, "NY", "NY0010100", "sgt pepper")[:16]
    assert entry.reasons == (
        "PUR/C",
        "AFM/CRIMINAL-LAW-ENFORCEMENT,IMMIGRATION-ENFORCEMENT",
        asker,
        "SRCH/NAME",
    )
    encoded = entries.encode(entry)
    assert b"PEPPER" not in encoded  # the officer is never named
    assert entries.decode(encoded) == entry
    # The same words from another agency are another person.
    assert request("OLN/D1.ATN/SGT PEPPER", ori="NY0030100").reasons[0] != asker


def test_a_licence_query_without_those_tags_records_what_it_did_before() -> None:
    assert request("OLN/D1.RSN/N").reasons == ("RSN/N",)
    assert request("OLN/D1").reasons == ()


def test_entries_written_before_the_coded_items_still_decode_and_are_read() -> None:
    written = [
        b'{"at":"2025-10-01T12:00:00Z","key":"DQ","kind":"request","legal_process":{},'
        b'"message_id":"m0","purpose":null,"reasons":["PUR/C"],"requester":"NY0010100",'
        b'"state":"NY","subjects":["' + b"a" * 64 + b'"],"v":1}',
        b'{"at":"2025-10-01T12:00:00Z","data_classes":{},"duties":[],"kind":"decision",'
        b'"message_id":"m0","outcome":"release","policy_ids":[],"state":"NY",'
        b'"subjects":["' + b"a" * 64 + b'"],"v":1}',
        b'{"answer_sha256":"' + b"0" * 64 + b'","at":"2025-10-01T12:00:00Z","data_classes":[],'
        b'"kind":"disclosure","message_id":"m0","recipient":"NY0010100","state":"NY",'
        b'"subjects":["' + b"a" * 64 + b'","' + b"b" * 64 + b'","' + b"c" * 64 + b'"],"v":1}',
    ]
    decoded = [entries.decode(body) for body in written]
    assert [entries.encode(entry) for entry in decoded] == written
    request_, decision, disclosure = decoded
    assert isinstance(request_, entries.RequestReceived)
    assert isinstance(decision, entries.Decision)
    assert isinstance(disclosure, entries.Disclosure)
    lookup = lookup_of(request_, decision, disclosure, (0, 1, 2))
    assert (lookup.asker, lookup.acting_for) == (None, frozenset())
    assert lookup.name_search  # two people found: a licence number finds one at most
    assert lookup.found == ("b" * 64, "c" * 64)
    rows = [(i, body, b"") for i, body in enumerate(written)]
    assert list(raised_from(rows, Detector("NY", frozenset()))) == []


def test_the_coded_items_reach_the_rules() -> None:
    fields = "NAM/DOE,JANE.DOB/19800101.SEX/F.ATN/SGT PEPPER.AFM/IMMIGRATION-ENFORCEMENT"
    entry = request(fields)
    decision = entries.Decision(at=AT, message_id="m1", outcome="release", state="NY")
    disclosure = entries.Disclosure(
        answer_sha256="0" * 64, at=AT, data_classes=(), message_id="m1", recipient=entry.requester,
        state="NY",
    )  # fmt: skip
    lookup = lookup_of(entry, decision, disclosure, (0, 1, 2))
    assert lookup.name_search and lookup.asker is not None and lookup.asker.startswith("ATN#")
    assert lookup.acting_for == frozenset({"IMMIGRATION-ENFORCEMENT"})
    raised = Detector("NY", frozenset()).lookup(lookup)
    assert [r.rule for r in raised] == [Rule.ACTING_FOR_IMMIGRATION]
