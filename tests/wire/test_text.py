"""The text form: the guide's examples exactly, every key both ways, and Stateline's choices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from stateline.wire import checks, text
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import MKE, NOT_ON_FILE, SWITCH_ORI
from stateline.wire.messages import (
    AdminMessage,
    ErrorMessage,
    Header,
    Message,
    OutputHeader,
    Query,
    Response,
    StatusMessage,
)

GUIDE_ER = """\
ER.NL0000000
08:00 01/01/2010 01239
08:00 01/01/2011 01233 AZNLETS20
TXT
.22. INVALID MESSAGE FORMAT - REFER TO RQ MKE OPTIONS BELOW
1. LIC, LIY, LIT
ORIGINAL MESSAGE
RQ.AZNLETS20.AZ.TXT
LIC/123456.LIT/PC"""

STAMP = OutputHeader(
    datetime(2010, 1, 1, 8, 0, tzinfo=UTC), 1239, datetime(2011, 1, 1, 8, 0, tzinfo=UTC), 1233
)


def test_guide_kq_by_name_dob_and_sex() -> None:
    raw = "KQ.AZNLETS20.AZ.TXT\nNAM/SMITH,JOHN.DOB/19500101.SEX/M"
    expected = Query(
        Header(MKE.KQ, "AZNLETS20", ("AZ",)),
        (("NAM", "SMITH,JOHN"), ("DOB", "19500101"), ("SEX", "M")),
    )
    assert text.parse(raw) == expected
    assert text.encode(expected) == raw


def test_guide_kq_by_licence_number() -> None:
    raw = "KQ.AZNLETS20.AZ.TXT\nOLN/D11111111"
    expected = Query(Header(MKE.KQ, "AZNLETS20", ("AZ",)), (("OLN", "D11111111"),))
    assert text.parse(raw) == expected
    assert text.encode(expected) == raw


def test_guide_rq_without_liy_gives_the_guides_er_byte_for_byte() -> None:
    rejection = text.parse("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC")
    assert isinstance(rejection, Rejection)
    assert rejection.reason is ErReason.INVALID_FORMAT
    assert rejection.detail == ("REFER TO RQ MKE OPTIONS BELOW", "1. LIC, LIY, LIT")
    er = replace(text.error_message(rejection), output=STAMP)
    assert text.encode(er) == GUIDE_ER
    assert text.parse(GUIDE_ER) == er


def test_error_message_is_addressed_to_the_sender_and_echoes_the_control() -> None:
    rejection = text.parse("DQ.AZNLETS20.NY.CASE-42.TXT\nOLN/")
    assert isinstance(rejection, Rejection)
    er = text.error_message(rejection)
    assert er.header == Header(MKE.ER, SWITCH_ORI, ("AZNLETS20",), "CASE-42")
    assert er.output is None
    assert text.encode(er).startswith("ER.NL0000000.AZNLETS20.CASE-42.TXT\n.22. ")
    unknown = text.error_message(Rejection.of(ErReason.INVALID_HEADER, "garbage"))
    assert unknown.header.destinations == ()
    assert text.parse(text.encode(unknown)) == unknown


def test_error_message_quotes_as_the_parsers_do() -> None:
    """A rejection made elsewhere from the raw input still gives a valid ER."""
    raw = "DQ.AZNLETS20.NY.TXT\r\nOLN/D1\ud800" + "X" * 200
    er = text.error_message(Rejection.of(ErReason.NO_CREDENTIAL, raw))
    assert er.original == raw[:100].replace("\r\n", "\n").replace("\ud800", "?")
    assert checks.check_message(er) is None
    assert text.parse(text.encode(er)) == er


_NYDR = Header(MKE.DR, "NYOLN0000", ("AZNLETS20",), "REF1")
EVERY_KEY: list[tuple[Message, str]] = [
    (
        Query(
            Header(MKE.DQ, "AZNLETS20", ("NY", "NJ"), "CROSSFIRE1"),
            (("OLN", "A1234567"), ("IMQ", "Y"), ("RSN", "T"), ("ATN", "DET J O'NEIL")),
        ),
        "DQ.AZNLETS20.NY.NJ.CROSSFIRE1.TXT\nOLN/A1234567.IMQ/Y.RSN/T.ATN/DET J O'NEIL",
    ),
    (
        Query(
            Header(MKE.RQ, "AZNLETS20", ("NL",)), (("LIC", "ABC123"), ("LIY", "NX"), ("LIT", "PC"))
        ),
        "RQ.AZNLETS20.NL.TXT\nLIC/ABC123.LIY/NX.LIT/PC",
    ),
    (
        Query(Header(MKE.RQ, "AZNLETS20", ("CALIC0000",)), (("VIN", "1HGCM82633A004352"),)),
        "RQ.AZNLETS20.CALIC0000.TXT\nVIN/1HGCM82633A004352",
    ),
    (
        Query(
            Header(MKE.KQ, "AZNLETS20", ("AZ",)),
            (("NAM", "DE LA CRUZ,ANA MARIA JR"), ("DOB", "070485"), ("SEX", "F"), ("PUR", "C")),
        ),
        "KQ.AZNLETS20.AZ.TXT\nNAM/DE LA CRUZ,ANA MARIA JR.DOB/070485.SEX/F.PUR/C",
    ),
    (
        Response(
            _NYDR,
            (
                (
                    ("OLN", "A1"),
                    ("NAM", "SMITH,JOHN"),
                    ("PAD", "1 MAIN ST;ALBANY;NY"),
                    ("PAD", "2 ELM ST;TROY;NY"),
                ),
            ),
            ("MATCH ON OLN",),
        ),
        "DR.NYOLN0000.AZNLETS20.REF1.TXT\n"
        "OLN/A1.NAM/SMITH,JOHN.PAD/1 MAIN ST;ALBANY;NY.PAD/2 ELM ST;TROY;NY\nMATCH ON OLN",
    ),
    (
        Response(Header(MKE.RR, "CALIC0000", ("AZNLETS20",)), text=(NOT_ON_FILE,)),
        "RR.CALIC0000.AZNLETS20.TXT\nNOT ON FILE",
    ),
    (
        Response(
            Header(MKE.KR, "AZOLN0000", ("AZNLETS20",)),
            ((("OLN", "D1"), ("HIS", "20100101;DUI;DRIVING UNDER THE INFLUENCE;8")),),
            output=STAMP,
        ),
        "KR.AZOLN0000\n08:00 01/01/2010 01239\n08:00 01/01/2011 01233 AZNLETS20\nTXT\n"
        "OLN/D1.HIS/20100101;DUI;DRIVING UNDER THE INFLUENCE;8",
    ),
    (
        AdminMessage(Header(MKE.AM, "AZNLETS20", ("NYNYPD000",)), ("PLEASE CALL", "", "THANKS")),
        "AM.AZNLETS20.NYNYPD000.TXT\nPLEASE CALL\n\nTHANKS",
    ),
    (
        StatusMessage(
            Header(MKE.SM, SWITCH_ORI, ("AZNLETS20",), "REF1"),
            ("QUERIED: NY NJ", "HIT: NY", "NO ANSWER: NJ"),
            STAMP,
        ),
        "SM.NL0000000.REF1\n08:00 01/01/2010 01239\n08:00 01/01/2011 01233 AZNLETS20\nTXT\n"
        "QUERIED: NY NJ\nHIT: NY\nNO ANSWER: NJ",
    ),
    (
        ErrorMessage(
            Header(MKE.ER, SWITCH_ORI, ("AZNLETS20",)),
            ErReason.TXT_NOT_FOUND,
            (),
            "DQ.AZNLETS20.NY\nOLN/1",
        ),
        "ER.NL0000000.AZNLETS20.TXT\n.03. TXT NOT FOUND\nORIGINAL MESSAGE\nDQ.AZNLETS20.NY\nOLN/1",
    ),
]


@pytest.mark.parametrize(
    ("message", "raw"), EVERY_KEY, ids=[m.header.mke.value for m, _raw in EVERY_KEY]
)
def test_every_key_both_ways(message: Message, raw: str) -> None:
    assert text.encode(message) == raw
    assert text.parse(raw) == message


def test_every_key_is_covered() -> None:
    assert {message.header.mke for message, _raw in EVERY_KEY} == set(MKE)


def test_reply_form_of_every_reply_key() -> None:
    for message, _raw in EVERY_KEY:
        if isinstance(message, Query):
            continue
        header = replace(message.header, destinations=("AZNLETS20",))
        stamped = replace(message, header=header, output=STAMP)
        assert text.parse(text.encode(stamped)) == stamped
        assert text.encode(stamped).split("\n")[3] == "TXT"


def test_crlf_line_ends_are_read_as_lf() -> None:
    assert text.parse("KQ.AZNLETS20.AZ.TXT\r\nOLN/D1\r\n") == text.parse(
        "KQ.AZNLETS20.AZ.TXT\nOLN/D1"
    )
    assert text.parse(GUIDE_ER.replace("\n", "\r\n")) == text.parse(GUIDE_ER)


def test_a_run_of_carriage_returns_before_a_line_feed_is_one_line_end() -> None:
    raw = "AM.AZNLETS20.NY.TXT\r\r\nLINE ONE\r\r\r\nLINE TWO"
    assert text.parse(raw) == text.parse("AM.AZNLETS20.NY.TXT\nLINE ONE\nLINE TWO")
    refused = text.parse("DQ.AZNLETS20.NY.TXT\n\r\r\n")
    assert isinstance(refused, Rejection)
    assert refused.original == "DQ.AZNLETS20.NY.TXT\n\n"
    er = text.error_message(refused)
    assert text.parse(text.encode(er)) == er


def test_a_query_may_end_with_one_line_break() -> None:
    assert isinstance(text.parse("KQ.AZNLETS20.AZ.TXT\nOLN/D1\n"), Query)
    assert isinstance(text.parse("KQ.AZNLETS20.AZ.TXT\nOLN/D1\n\n"), Rejection)


def test_header_keys_are_upper_case_only() -> None:
    for raw in (
        "kq.AZNLETS20.AZ.TXT\nOLN/D1",
        "KQ.AZNLETS20.az.TXT\nOLN/D1",
        "KQ.AZNLETS20.AZ.txt\nOLN/D1",
        "KQ.AZNLETS20.AZ.TXT\noln/D1",
    ):
        assert isinstance(text.parse(raw), Rejection), raw


def test_body_may_follow_txt_on_the_same_line() -> None:
    same_line = text.parse("DQ.AZNLETS20.NY.TXTOLN/D1.IMQ/N")
    assert same_line == text.parse("DQ.AZNLETS20.NY.TXT\nOLN/D1.IMQ/N")


def test_fields_shaped_like_txt() -> None:
    """A control field may start with TXT, and a Texas ORI may too; only ``TXT`` ends a header."""
    query = text.parse("DQ.AZNLETS20.TXTPD0000.TXTA.TXT\nOLN/D1")
    assert isinstance(query, Query)
    assert query.header.destinations == ("TXTPD0000",)
    assert query.header.control == "TXTA"
    assert text.encode(query) == "DQ.AZNLETS20.TXTPD0000.TXTA.TXT\nOLN/D1"


def test_a_header_field_is_a_destination_by_its_shape() -> None:
    query = text.parse("DQ.AZNLETS20.NY.NJOLN0000.N1.TXT\nOLN/D1")
    assert isinstance(query, Query)
    assert query.header.destinations == ("NY", "NJOLN0000")
    assert query.header.control == "N1"


def test_fields_in_any_order_parse_to_canonical_order() -> None:
    query = text.parse("RQ.AZNLETS20.AZ.TXT\nLIT/PC.RSN/S.LIY/2024.LIC/ABC123")
    assert isinstance(query, Query)
    assert [tag for tag, _value in query.fields] == ["RSN", "LIC", "LIY", "LIT"]
    assert text.encode(query) == "RQ.AZNLETS20.AZ.TXT\nRSN/S.LIC/ABC123.LIY/2024.LIT/PC"


def test_record_lines_then_text_lines() -> None:
    raw = (
        "DR.NYOLN0000.AZNLETS20.TXT\nOLN/A1.NAM/SMITH,JOHN\nSCR/87.OLN/B2\n"
        "2 RECORDS FOUND\nOLN/C3 SEE ABOVE\nOLN/C3"
    )
    response = text.parse(raw)
    assert isinstance(response, Response)
    assert response.records == (
        (("OLN", "A1"), ("NAM", "SMITH,JOHN")),
        (("SCR", "87"), ("OLN", "B2")),
    )
    # Once a line is not a record, every later line is text, even one shaped like a record.
    assert response.text == ("2 RECORDS FOUND", "OLN/C3 SEE ABOVE", "OLN/C3")


def test_a_line_with_an_unknown_tag_is_text() -> None:
    response = text.parse("DR.NYOLN0000.AZNLETS20.TXT\nOLN/A1.XYZ/2")
    assert isinstance(response, Response)
    assert response.records == ()
    assert response.text == ("OLN/A1.XYZ/2",)


def test_record_fields_come_back_in_canonical_order() -> None:
    response = text.parse("DR.NYOLN0000.AZNLETS20.TXT\nPAD/B.NAM/SMITH,J.PAD/A.OLN/1")
    assert isinstance(response, Response)
    assert response.records == ((("OLN", "1"), ("NAM", "SMITH,J"), ("PAD", "B"), ("PAD", "A")),)


def test_a_photo_may_exceed_the_input_limit() -> None:
    photo = "iVBORw0KGgo/+=" * 1000
    response = text.parse(f"DR.NYOLN0000.AZNLETS20.TXT\nOLN/A1.IMG/{photo}")
    assert isinstance(response, Response)
    assert response.records[0][1] == ("IMG", photo)


def test_times_are_written_in_utc() -> None:
    eastern = timezone(timedelta(hours=-5))
    stamp = OutputHeader(
        datetime(2010, 1, 1, 3, 0, tzinfo=eastern),
        1239,
        datetime(2011, 1, 1, 3, 0, tzinfo=eastern),
        1233,
    )
    er = replace(
        text.error_message(text.parse("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC")),  # type: ignore[arg-type]
        output=stamp,
    )
    assert text.encode(er) == GUIDE_ER
    assert text.parse(GUIDE_ER) == er  # equal instants


def test_an_er_quote_may_hold_line_breaks_and_its_own_marker() -> None:
    er = ErrorMessage(
        Header(MKE.ER, SWITCH_ORI, ()),
        ErReason.INVALID_HEADER,
        ("A", "B"),
        "X\nORIGINAL MESSAGE\nY\n",
    )
    raw = text.encode(er)
    assert raw == (
        "ER.NL0000000.TXT\n.01. INVALID HEADER - A\nB\nORIGINAL MESSAGE\nX\nORIGINAL MESSAGE\nY\n"
    )
    assert text.parse(raw) == er


@pytest.mark.parametrize("reason", list(ErReason), ids=lambda reason: reason.code)
def test_every_reason_travels_in_an_er(reason: ErReason) -> None:
    er = replace(text.error_message(Rejection.of(reason, "X", ori="AZNLETS20")), output=STAMP)
    raw = text.encode(er)
    assert f"\nTXT\n{reason.code} {reason.text}\nORIGINAL MESSAGE\nX" in raw
    assert text.parse(raw) == er


def test_purpose_and_legal_process_tags_in_both_forms() -> None:
    from stateline.wire import jsonform

    raw = (
        "KQ.AZNLETS20.AZ.TXT\n"
        "OLN/D11111111.RSN/N.ATN/DET R ROE.PRP/CRIMINAL-INVESTIGATION.OCA/2026-0042"
        ".AFM/IMMIGRATION-ENFORCEMENT,BORDER-CUSTOMS.NDR/Y.LPK/JUDICIAL-WARRANT"
        ".LPN/1:26-MJ-00042.LPC/US DISTRICT COURT AZ.LPJ/ROE,RICHARD.LPD/20260105"
        ".LPS/ADDRESS,PHOTO.DOC/6F1C0A9E2B7D4C58A3E1F0B2"
    )
    query = text.parse(raw)
    assert isinstance(query, Query)
    assert text.encode(query) == raw
    assert query.get("LPS") == "ADDRESS,PHOTO"
    encoded = jsonform.encode_json(query)
    assert '"LPK":"JUDICIAL-WARRANT"' in encoded
    assert jsonform.parse_json(encoded) == query
    # Any order in, the canonical order out: the guide's tags, then Stateline's.
    shuffled = "KQ.AZNLETS20.AZ.TXT\nLPK/COURT-ORDER.PRP/TRAFFIC-ENFORCEMENT.OLN/D1"
    assert text.encode(text.parse(shuffled)) == (  # type: ignore[arg-type]
        "KQ.AZNLETS20.AZ.TXT\nOLN/D1.PRP/TRAFFIC-ENFORCEMENT.LPK/COURT-ORDER"
    )
