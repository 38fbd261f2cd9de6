"""Tests for the demo's traffic (stateline/synthetic/traffic.py) and the demo
(stateline/demo.py): the traffic it draws and the documents it serves.

tests/e2e/test_demo_statute.py replays the traffic through an exchange deciding by statute.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stateline import demo
from stateline.config import Config
from stateline.documents import sniff
from stateline.hub.switch import Form
from stateline.synthetic import traffic
from stateline.synthetic.agencies import demo_agencies
from stateline.wire import text
from stateline.wire.messages import Query

PEOPLE = 5
SEED = 0


@pytest.fixture(scope="module")
def sent() -> list[traffic.Sent]:
    config = Config(data_dir=Path("unused"))
    return list(traffic.traffic(config, PEOPLE, SEED, 3000, demo_agencies(SEED)))


def test_a_kq_to_two_states_names_two_different_states(sent: list[traffic.Sent]) -> None:
    # A KQ to one state twice would be refused as a repeated destination (.19.), not as the
    # KQ to more than one state (.02.) the demo means to show.
    headers = [s.raw.split("\n")[0].split(".") for s in sent if s.kind == "bad: KQ to two states"]
    assert any(header[2] == "NY" for header in headers)
    for _kq, _ori, first, second, _txt in headers:
        assert first != second


def test_queries_under_legal_process_carry_their_document(sent: list[traffic.Sent]) -> None:
    served = [s for s in sent if "LPK/" in s.raw or '"LPK"' in s.raw]
    kinds = {match[1] for s in served if (match := re.search(r"LPK/([A-Z-]+)", s.raw))}
    assert kinds == {
        "ADMINISTRATIVE-WARRANT",
        "ADMINISTRATIVE-SUBPOENA",
        "JUDICIAL-WARRANT",
        "MAGISTRATE-WARRANT",
        "COURT-ORDER",
        "JUDICIAL-SUBPOENA",
        "GRAND-JURY-SUBPOENA",
    }
    assert all(s.document is not None for s in served)
    assert all(s.document is None for s in sent if s not in served)
    assert all(s.home_state for s in sent)


def test_the_document_is_a_synthetic_pdf_of_the_process() -> None:
    raw = (
        "DQ.DCICE0000.NY.TXT\nOLN/D1.PRP/CRIMINAL-INVESTIGATION.LPK/MAGISTRATE-WARRANT"
        ".LPN/1:26-MJ-00042.LPC/US DISTRICT COURT.LPJ/POE,MARY.LPD/20260105"
    )
    query = text.parse(raw)
    assert isinstance(query, Query)
    document = traffic.document(query)
    assert document is not None and sniff(document) == "application/pdf"
    for shown in (b"NOT A REAL LEGAL INSTRUMENT", b"LPK/MAGISTRATE-WARRANT", b"LPN/1:26-MJ-00042"):
        assert shown in document
    assert document.rstrip().endswith(b"%%EOF")
    plain = text.parse("DQ.NYSTP0000.NY.TXT\nOLN/D1")
    assert isinstance(plain, Query) and traffic.document(plain) is None


def test_a_document_is_named_in_either_encoding() -> None:
    assert demo.with_document("DQ.X.NY.TXT\nOLN/D1", "AB12", Form.TEXT).endswith(".DOC/AB12")
    named = demo.with_document('{"fields": {"OLN": "D1"}}', "AB12", Form.JSON)
    assert '"DOC": "AB12"' in named
