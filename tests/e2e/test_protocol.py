"""Purpose, legal process and certification through the exchange, decided by statute bundles.

Colorado, Maryland and California run their own bundles here; every other state the status quo.
Queries carry the facts as tags, in the text form and the JSON form, and the answers show
what each state's law released, or what it says is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from stateline.bootstrap import System, build
from stateline.config import Config
from stateline.directory.model import Certification
from stateline.hub.attachments import Receipt
from stateline.hub.switch import Form, Submission
from stateline.ledger.entries import RequestReceived
from stateline.node.records.model import Person
from stateline.node.review.model import CitedProcess, Role
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import open_alerts
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.wire.grammar import RESPONSE_TAGS, DataClass
from stateline.wire.messages import ErrorMessage, Response
from tests.conftest import PEOPLE, SEED

LOCAL = "NYSTP0000"  # New York State Police
ICE = "DCICE0000"  # ICE Enforcement and Removal Operations
PDF = b"%PDF-1.7\n% a synthetic judicial warrant for the tests\n"
ADDRESS_TAGS = {tag for tag, c in RESPONSE_TAGS.items() if c is DataClass.ADDRESS}
PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def statute(prepared: Config) -> Iterator[System]:
    built = build(replace(prepared, policy="CO=co,MD=md,CA=ca"))
    yield built
    built.close()


def person(state: str, index: int = 4) -> Person:
    return list(generate_people(state, PEOPLE, SEED))[index]


def submit(system: System, raw: str, token: str, form: Form = Form.TEXT) -> Submission:
    return asyncio.run(system.exchange.submit(raw, token, form))


def answer(system: System, raw: str, token: str, form: Form = Form.TEXT) -> Response:
    (reply,) = submit(system, raw, token, form).replies
    assert isinstance(reply, Response), reply
    return reply


def request_entry(system: System, state: str, message_id: str) -> RequestReceived:
    ledger = system.nodes[state].ledger
    for index in range(ledger.size - 1, -1, -1):
        entry = ledger.entry(index)
        if isinstance(entry, RequestReceived) and entry.message_id == message_id:
            return entry
    raise AssertionError(f"no request entry for {message_id}")


def test_colorado_denies_an_uncertified_agency_saying_what_is_missing_until_it_certifies(
    statute: System, tokens: dict[str, str]
) -> None:
    raw = f"DQ.{LOCAL}.CO.TXT\nOLN/{person('CO').oln}.PRP/CRIMINAL-INVESTIGATION"
    denied = answer(statute, raw, tokens[LOCAL])
    assert denied.records == ()
    assert denied.text[:2] == ("REQUEST DENIED", "MISSING: A USE CERTIFICATION ON FILE WITH CO")
    assert denied.text[2].startswith("OR: LEGAL PROCESS (LPK/): ")
    statute.directory.certify(LOCAL, Certification("CO", date.today() - timedelta(days=1)))
    statute.reload_directory()
    try:
        released = answer(statute, raw, tokens[LOCAL])
        (record,) = released.records
        assert ("OLN", person("CO").oln) in record and released.text == ()
        # Maryland asks for its own attestation: Colorado's does not count there.
        elsewhere = answer(statute, f"DQ.{LOCAL}.MD.TXT\nOLN/{person('MD').oln}", tokens[LOCAL])
        assert "MISSING: A USE CERTIFICATION ON FILE WITH MD" in elsewhere.text
    finally:
        statute.directory.withdraw_certification(LOCAL, "CO")
        statute.reload_directory()


def test_maryland_releases_what_a_warrant_names_and_no_more(
    statute: System, tokens: dict[str, str]
) -> None:
    oln = person("MD").oln
    fields = f"OLN/{oln}.PRP/CIVIL-IMMIGRATION-ENFORCEMENT.LPK/JUDICIAL-WARRANT"
    narrow = answer(statute, f"DQ.{ICE}.MD.TXT\n{fields}.LPS/ADDRESS", tokens[ICE])
    (record,) = narrow.records
    assert {tag for tag, _ in record} <= ADDRESS_TAGS and ("ADR" in dict(record))
    assert narrow.text[0].startswith("WITHHELD BY MD POLICY: ")
    assert narrow.text[1] == (
        "MISSING: LEGAL PROCESS THAT NAMES IDENTITY, PHYSICAL-DESCRIPTION, SSN, CREDENTIAL-TYPE"
        " (LPS/)"
    )
    # The same warrant naming the whole request opens it all; without one, nothing.
    whole = answer(statute, f"DQ.{ICE}.MD.TXT\n{fields}", tokens[ICE])
    assert ("OLN", oln) in whole.records[0] and whole.text == ()
    bare = answer(statute, f"DQ.{ICE}.MD.TXT\nOLN/{oln}", tokens[ICE])
    assert bare.records == () and bare.text[0] == "REQUEST DENIED"
    assert bare.text[1].startswith("MISSING: A USE CERTIFICATION ON FILE WITH MD AND ")
    assert bare.text[2] == "OR: LEGAL PROCESS (LPK/): JUDICIAL WARRANT OR MAGISTRATE WARRANT"


def test_california_needs_a_stated_purpose_in_either_encoding(
    statute: System, tokens: dict[str, str]
) -> None:
    oln = person("CA").oln
    unstated = answer(statute, f"DQ.{LOCAL}.CA.TXT\nOLN/{oln}", tokens[LOCAL])
    assert unstated.records == ()
    assert unstated.text[1].startswith("MISSING: A STATED PURPOSE (PRP/) OTHER THAN ")
    legacy = answer(statute, f"DQ.{LOCAL}.CA.TXT\nOLN/{oln}.RSN/V", tokens[LOCAL])
    assert legacy.records and legacy.text == ()
    message = (
        f'{{"mke":"DQ","ori":"{LOCAL}","destinations":["CA"],"control":null,'
        f'"fields":{{"OLN":"{oln}","PRP":"TRAFFIC-ENFORCEMENT","OCA":"2026-0042"}}}}'
    )
    stated = answer(statute, message, tokens[LOCAL], Form.JSON)
    assert stated.records and stated.text == ()


def test_a_held_request_keeps_its_legal_process_and_document(
    statute: System, tokens: dict[str, str]
) -> None:
    receipt = statute.exchange.attach(tokens[ICE], PDF, "warrant.pdf")
    assert isinstance(receipt, Receipt)
    raw = (
        f"DQ.{ICE}.CA.TXT\nOLN/{person('CA', 6).oln}.PRP/CIVIL-IMMIGRATION-ENFORCEMENT"
        ".OCA/ERO-2026-17.LPK/JUDICIAL-WARRANT.LPN/2:26-MJ-00017.LPC/US DISTRICT COURT CD CAL"
        f".LPJ/ROE,RICHARD.LPD/20260105.DOC/{receipt.id}"
    )
    submission = submit(statute, raw, tokens[ICE])
    (held,) = submission.replies
    assert isinstance(held, Response) and held.text == ("REQUEST HELD FOR REVIEW BY CA",)
    review = statute.nodes["CA"].review
    assert review is not None
    item = review.get(submission.id)
    assert item.purpose == "civil-immigration-enforcement"
    assert item.counsel_required  # California's counsel decides judicial process for ICE
    assert item.legal_process == CitedProcess(
        "judicial-warrant",
        number="2:26-MJ-00017",
        court="US DISTRICT COURT CD CAL",
        judge="ROE,RICHARD",
        issued=date(2026, 1, 5),
    )
    assert item.document is not None and item.document.sha256 == receipt.sha256
    kept = review.document(submission.id)
    assert kept is not None and kept.content == PDF and kept.filename == "warrant.pdf"
    entry = request_entry(statute, "CA", submission.id)
    assert entry.legal_process["document_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert entry.legal_process["kind"] == "judicial-warrant"
    assert entry.purpose == "civil-immigration-enforcement"
    assert PDF not in repr(entry).encode()

    # California's counsel opens the request in the console: the process, then the document.
    accounts = AccountStore(statute.engines["CA"], hasher=FAST)
    accounts.create_schema()
    accounts.create_account("protocol-counsel", PASSWORD, Role.COUNSEL)
    console = console_router(
        review, accounts, open_alerts(accounts.engine), title="CA review", secure_cookies=False
    )
    with TestClient(create_app(statute.exchange, console=console)) as client:
        form = client.get("/console/signin").text
        token = CSRF.search(form).group(1)  # type: ignore[union-attr]
        signin = {"username": "protocol-counsel", "password": PASSWORD, "csrf": token}
        assert client.post("/console/signin", data=signin, follow_redirects=False).is_redirect
        page = client.get(f"/console/items/{submission.id}").text
        for shown in ("2:26-MJ-00017", "US DISTRICT COURT CD CAL", "ROE,RICHARD", "2026-01-05"):
            assert shown in page
        assert "Case number" in page and "ERO-2026-17" in page
        assert f"/console/items/{submission.id}/document" in page and "warrant.pdf" in page
        opened = client.get(f"/console/items/{submission.id}/document")
        assert opened.content == PDF and opened.headers["content-type"] == "application/pdf"


def test_a_document_goes_only_with_its_own_agency_queries(
    statute: System, tokens: dict[str, str]
) -> None:
    receipt = statute.exchange.attach(tokens[ICE], PDF, None)
    assert isinstance(receipt, Receipt)
    raw = f"DQ.{LOCAL}.CA.TXT\nOLN/{person('CA').oln}.LPK/COURT-ORDER.DOC/{receipt.id}"
    (refused,) = submit(statute, raw, tokens[LOCAL]).replies
    assert isinstance(refused, ErrorMessage) and refused.reason.number == 45
