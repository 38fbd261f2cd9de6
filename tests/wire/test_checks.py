"""Every ER reason the wire gives, with a case each, and the same fault refused alike in JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stateline.wire import checks, jsonform, text
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import (
    MAX_MESSAGE,
    MAX_REPLY,
    MKE,
    ORI_RE,
    REGION_CODE_RE,
    SWITCH_ORI,
)
from stateline.wire.messages import (
    AdminMessage,
    ErrorMessage,
    Header,
    OutputHeader,
    Query,
    Response,
)

R = ErReason
HEAD = "DQ.AZNLETS20.NY.TXT\n"

# (input, reason, detail); the sender's ORI is AZNLETS20 unless the header is refused first.
CASES: list[tuple[str, ErReason, tuple[str, ...]]] = [
    # .01. invalid header
    ("", R.INVALID_HEADER, ("MESSAGE KEY NOT KNOWN",)),
    ("dq.AZNLETS20.NY.TXT\nOLN/D1", R.INVALID_HEADER, ("MESSAGE KEY NOT KNOWN",)),
    ("XQ.AZNLETS20.NY.TXT\nOLN/D1", R.INVALID_HEADER, ("MESSAGE KEY NOT KNOWN",)),
    ("DQ.AZNLETS2.NY.TXT\nOLN/D1", R.INVALID_HEADER, ("SENDING ORI NOT VALID",)),
    ("DQ.aznlets20.NY.TXT\nOLN/D1", R.INVALID_HEADER, ("SENDING ORI NOT VALID",)),
    ("DQ.ZZNLETS20.NY.TXT\nOLN/D1", R.INVALID_HEADER, ("SENDING ORI NOT VALID",)),
    ("DQ.AZNLETS20.TXT\nOLN/D1", R.INVALID_HEADER, ("NO DESTINATION",)),
    (
        "DQ.AZNLETS20.NY.REF1.REF2.TXT\nOLN/D1",
        R.INVALID_HEADER,
        ("HEADER FIELD 5 AFTER THE CONTROL FIELD",),
    ),
    (
        "DQ.AZNLETS20.REF1.NY.TXT\nOLN/D1",
        R.INVALID_HEADER,
        ("HEADER FIELD 4 AFTER THE CONTROL FIELD",),
    ),
    ("DQ.AZNLETS20.ny.TXT\nOLN/D1", R.INVALID_HEADER, ("HEADER FIELD 3 NOT VALID",)),
    ("DQ.AZNLETS20.NY..TXT\nOLN/D1", R.INVALID_HEADER, ("HEADER FIELD 4 NOT VALID",)),
    (
        "DQ.AZNLETS20.NY.CONTROL-TOO-LONG.TXT\nOLN/D1",
        R.INVALID_HEADER,
        ("HEADER FIELD 4 NOT VALID",),
    ),
    (
        "DR.NYOLN0000\n08:00 01/01/2010 01239\n08:00 13/01/2011 01233 AZNLETS20\nTXT\nX",
        R.INVALID_HEADER,
        ("OUTPUT HEADER NOT VALID",),
    ),
    (
        "DR.NYOLN0000\n08:00 01/01/2010 01239\n08:00 01/01/2011 01233 NY\nTXT\nX",
        R.INVALID_HEADER,
        ("RECIPIENT ORI NOT VALID",),
    ),
    (
        "DQ.AZNLETS20\n08:00 01/01/2010 01239\n08:00 01/01/2011 01233 NYOLN0000\nTXT\nOLN/D1",
        R.INVALID_HEADER,
        ("A QUERY HAS NO OUTPUT HEADER",),
    ),
    # .02. message type not allowed to destination
    ("KQ.AZNLETS20.AZ.NY.TXT\nOLN/D1", R.NOT_ALLOWED_TO_DESTINATION, ("KQ GOES TO ONE STATE",)),
    ("KQ.AZNLETS20.NL.TXT\nOLN/D1", R.NOT_ALLOWED_TO_DESTINATION, ("KQ GOES TO ONE STATE",)),
    (
        "ER.AZNLETS20.NY.TXT\n.01. INVALID HEADER\nORIGINAL MESSAGE\n",
        R.NOT_ALLOWED_TO_DESTINATION,
        ("ER IS SENT ONLY BY THE SWITCH",),
    ),
    # .03. TXT not found
    ("DQ.AZNLETS20.NY\nOLN/D1", R.TXT_NOT_FOUND, ()),
    ("DQ.AZNLETS20.NY.OLN/D1", R.TXT_NOT_FOUND, ()),
    ("DR.NYOLN0000\n8:00 01/01/2010 01239\n", R.TXT_NOT_FOUND, ()),
    (
        "DR.NYOLN0000\n08:00 01/01/2010 01239\n08:00 01/01/2011 01233 AZNLETS20\nTEXT\nX",
        R.TXT_NOT_FOUND,
        (),
    ),
    # .05. DOB invalid or missing
    (HEAD + "NAM/SMITH,JOHN.DOB/19501345.SEX/M", R.DOB_INVALID, ("DOB/ NOT VALID",)),
    (HEAD + "NAM/SMITH,JOHN.DOB/19000229.SEX/M", R.DOB_INVALID, ("DOB/ NOT VALID",)),
    (HEAD + "NAM/SMITH,JOHN.DOB/023001.SEX/M", R.DOB_INVALID, ("DOB/ NOT VALID",)),
    (HEAD + "NAM/SMITH,JOHN.DOB/1950-01-01.SEX/M", R.DOB_INVALID, ("DOB/ LONGER THAN 8",)),
    (HEAD + "NAM/SMITH,JOHN.DOB/.SEX/M", R.DOB_INVALID, ("DOB/ NOT VALID",)),
    (HEAD + "NAM/SMITH,JOHN.SEX/M", R.DOB_INVALID, ("NAM/ NEEDS DOB/",)),
    # .10. year field invalid
    ("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIY/20X4.LIT/PC", R.YEAR_INVALID, ("LIY/ NOT VALID",)),
    ("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIY/202.LIT/PC", R.YEAR_INVALID, ("LIY/ NOT VALID",)),
    ("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIY/20245.LIT/PC", R.YEAR_INVALID, ("LIY/ LONGER THAN 4",)),
    # .14. fields missing
    ("DQ.AZNLETS20.NY.TXT", R.FIELDS_MISSING, ()),
    (HEAD, R.FIELDS_MISSING, ()),
    ("AM.AZNLETS20.NY.TXT\n", R.FIELDS_MISSING, ()),
    ("DR.NYOLN0000.AZNLETS20.TXT", R.FIELDS_MISSING, ()),
    # .16. ATN invalid
    (HEAD + "OLN/D1.ATN/J_SMITH", R.ATN_INVALID, ("ATN/ NOT VALID",)),
    (HEAD + "OLN/D1.ATN/j smith", R.ATN_INVALID, ("ATN/ NOT VALID",)),
    (HEAD + "OLN/D1.ATN/" + "A" * 31, R.ATN_INVALID, ("ATN/ LONGER THAN 30",)),
    # .19. invalid destination
    ("DQ.AZNLETS20.ZZ.TXT\nOLN/D1", R.INVALID_DESTINATION, ("DESTINATION 1 NOT KNOWN",)),
    ("DQ.AZNLETS20.NY.ZZOLN0000.TXT\nOLN/D1", R.INVALID_DESTINATION, ("DESTINATION 2 NOT KNOWN",)),
    (
        "DQ.AZNLETS20.NY.NJ.CT.PA.VT.MA.TXT\nOLN/D1",
        R.INVALID_DESTINATION,
        ("MORE THAN 5 DESTINATIONS",),
    ),
    ("DQ.AZNLETS20.NL.NY.TXT\nOLN/D1", R.INVALID_DESTINATION, ("NL WITH OTHER DESTINATIONS",)),
    ("DQ.AZNLETS20.NY.NY.TXT\nOLN/D1", R.INVALID_DESTINATION, ("DESTINATION REPEATED",)),
    # .22. invalid message format
    (
        "RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC",
        R.INVALID_FORMAT,
        ("REFER TO RQ MKE OPTIONS BELOW", "1. LIC, LIY, LIT"),
    ),
    (
        HEAD + "OLN/D1.NAM/SMITH,JOHN.DOB/19500101.SEX/M",
        R.INVALID_FORMAT,
        ("REFER TO DQ MKE OPTIONS BELOW", "1. OLN", "2. NAM, DOB, SEX"),
    ),
    (
        HEAD + "NAM/SMITH,JOHN.DOB/19500101",
        R.INVALID_FORMAT,
        ("REFER TO DQ MKE OPTIONS BELOW", "1. NAM, DOB, SEX"),
    ),
    (
        HEAD + "IMQ/Y",
        R.INVALID_FORMAT,
        ("REFER TO DQ MKE OPTIONS BELOW", "1. OLN", "2. NAM, DOB, SEX"),
    ),
    (
        "RQ.AZNLETS20.AZ.TXT\nVIN/1HGCM82633A004352.LIC/ABC",
        R.INVALID_FORMAT,
        ("REFER TO RQ MKE OPTIONS BELOW", "1. LIC, LIY, LIT", "2. VIN"),
    ),
    (HEAD + "OLN/D1.XYZ/1", R.INVALID_FORMAT, ("XYZ/ NOT KNOWN",)),
    (HEAD + "OLN/D1.xyz/1", R.INVALID_FORMAT, ("FIELD 2 NOT KNOWN",)),
    (HEAD + "OLN/D1.OLN/D2", R.INVALID_FORMAT, ("OLN/ GIVEN TWICE",)),
    (HEAD + "OLN/D1.LIC/ABC", R.INVALID_FORMAT, ("DQ DOES NOT TAKE LIC/",)),
    ("KQ.AZNLETS20.AZ.TXT\nOLN/D1.IMQ/Y", R.INVALID_FORMAT, ("KQ DOES NOT TAKE IMQ/",)),
    (HEAD + "NAM/SMITH,JOHN.DOB/19500101.SEX/Z", R.INVALID_FORMAT, ("SEX/ NOT VALID",)),
    (HEAD + "OLN/D1.IMQ/X", R.INVALID_FORMAT, ("IMQ/ NOT VALID",)),
    (HEAD + "OLN/D1.RSN/Q", R.INVALID_FORMAT, ("RSN/ NOT VALID",)),
    (HEAD + "OLN/D1.PUR/X", R.INVALID_FORMAT, ("PUR/ NOT VALID",)),
    # Purpose, legal process and the person asking (Stateline's vocabulary tags).
    (HEAD + "OLN/D1.PRP/CURIOSITY", R.INVALID_FORMAT, ("PRP/ NOT VALID",)),
    (HEAD + "OLN/D1.PRP/criminal-investigation", R.INVALID_FORMAT, ("PRP/ NOT VALID",)),
    (HEAD + "OLN/D1.PRP/UNSTATED", R.INVALID_FORMAT, ("PRP/ NOT VALID",)),
    (HEAD + "OLN/D1.LPK/NONE", R.INVALID_FORMAT, ("LPK/ NOT VALID",)),
    (HEAD + "OLN/D1.LPK/SEARCH-WARRANT", R.INVALID_FORMAT, ("LPK/ NOT VALID",)),
    (
        HEAD + "OLN/D1.LPK/COURT-ORDER.LPS/ADDRESS,PHOTO,ADDRESS",
        R.INVALID_FORMAT,
        ("LPS/ NOT VALID",),
    ),
    (HEAD + "OLN/D1.LPK/COURT-ORDER.LPS/ADDRESS,", R.INVALID_FORMAT, ("LPS/ NOT VALID",)),
    (HEAD + "OLN/D1.LPK/COURT-ORDER.LPS/HOME", R.INVALID_FORMAT, ("LPS/ NOT VALID",)),
    (HEAD + "OLN/D1.LPK/COURT-ORDER.LPD/20260229", R.INVALID_FORMAT, ("LPD/ NOT VALID",)),
    (HEAD + "OLN/D1.LPK/COURT-ORDER.LPD/260101", R.INVALID_FORMAT, ("LPD/ NOT VALID",)),
    (HEAD + "OLN/D1.LPK/COURT-ORDER.LPJ/" + "A" * 31, R.INVALID_FORMAT, ("LPJ/ LONGER THAN 30",)),
    (HEAD + "OLN/D1.LPK/COURT-ORDER.DOC/doc-1", R.INVALID_FORMAT, ("DOC/ NOT VALID",)),
    (HEAD + "OLN/D1.AFM/ICE", R.INVALID_FORMAT, ("AFM/ NOT VALID",)),
    (HEAD + "OLN/D1.NDR/X", R.INVALID_FORMAT, ("NDR/ NOT VALID",)),
    (HEAD + "OLN/D1.OCA/CASE 12", R.INVALID_FORMAT, ("OCA/ NOT VALID",)),
    (HEAD + "OLN/D1.LPS/ADDRESS", R.INVALID_FORMAT, ("LPS/ NEEDS LPK/",)),
    (HEAD + "OLN/D1.DOC/A1B2C3", R.INVALID_FORMAT, ("DOC/ NEEDS LPK/",)),
    (
        HEAD + "LPN/1:26-MJ-00042",
        R.INVALID_FORMAT,
        ("REFER TO DQ MKE OPTIONS BELOW", "1. OLN", "2. NAM, DOB, SEX"),
    ),
    ("RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIY/2024.LIT/ZZ", R.INVALID_FORMAT, ("LIT/ NOT VALID",)),
    ("RQ.AZNLETS20.AZ.TXT\nVIN/1HGCM82633A00435", R.INVALID_FORMAT, ("VIN/ NOT VALID",)),
    ("RQ.AZNLETS20.AZ.TXT\nVIN/1HGCM82633I004352", R.INVALID_FORMAT, ("VIN/ NOT VALID",)),
    (HEAD + "NAM/SMITH JOHN.DOB/19500101.SEX/M", R.INVALID_FORMAT, ("NAM/ NOT VALID",)),
    (HEAD + "NAM/SMITH,JOHN,JR.DOB/19500101.SEX/M", R.INVALID_FORMAT, ("NAM/ NOT VALID",)),
    (
        HEAD + "NAM/" + "A" * 26 + ",JOHN.DOB/19500101.SEX/M",
        R.INVALID_FORMAT,
        ("NAM/ LONGER THAN 30",),
    ),
    (HEAD + "OLN/" + "1" * 21, R.INVALID_FORMAT, ("OLN/ LONGER THAN 20",)),
    (HEAD + "OLN/d1", R.INVALID_FORMAT, ("OLN/ NOT VALID",)),
    (HEAD + "OLN/D1.", R.INVALID_FORMAT, ("FIELD 2 NOT TAG/VALUE",)),
    (HEAD + "OLN/D1\nSEX/M", R.INVALID_FORMAT, ("QUERY FIELDS GO ON ONE LINE",)),
    ("DQ.AZNLETS20.NY.TXT.OLN/D1", R.INVALID_FORMAT, ("FIELD 1 NOT TAG/VALUE",)),
    ("AM.AZNLETS20.NY.TXT\nBELL\x07", R.INVALID_FORMAT, ("CONTROL CHARACTER IN TEXT",)),
    (
        "DR.NYOLN0000.AZNLETS20.TXT\nOLN/D1.OLN/D2",
        R.INVALID_FORMAT,
        ("OLN/ GIVEN TWICE IN A RECORD",),
    ),
    (
        "ER.NL0000000.AZNLETS20.TXT\n.99. NO SUCH REASON\nORIGINAL MESSAGE\n",
        R.INVALID_FORMAT,
        ("ER REASON NOT VALID",),
    ),
    (
        "ER.NL0000000.AZNLETS20.TXT\n.22. INVALID MESSAGE FORMAT",
        R.INVALID_FORMAT,
        ("ORIGINAL MESSAGE NOT FOUND",),
    ),
    # 44: Stateline's own, too long
    (
        HEAD + "ATN/" + "A" * MAX_MESSAGE,
        R.MESSAGE_TOO_LONG,
        ("LONGEST ACCEPTED IS 4096 CHARACTERS",),
    ),
    (
        "AM.AZNLETS20.NY.TXT\n" + "A" * MAX_MESSAGE,
        R.MESSAGE_TOO_LONG,
        ("LONGEST ACCEPTED IS 4096 CHARACTERS",),
    ),
    (
        "DR.NYOLN0000.AZNLETS20.TXT\nIMG/" + "A" * MAX_REPLY,
        R.MESSAGE_TOO_LONG,
        (f"LONGEST ACCEPTED IS {MAX_REPLY} CHARACTERS",),
    ),
]


@pytest.mark.parametrize(("raw", "reason", "detail"), CASES, ids=lambda v: repr(v)[:40])
def test_each_fault_gives_its_er(raw: str, reason: ErReason, detail: tuple[str, ...]) -> None:
    result = text.parse(raw)
    assert isinstance(result, Rejection), result
    assert (result.reason, result.detail) == (reason, detail)
    assert result.original == checks.line_ends(raw)[:100]


def test_every_reason_the_wire_gives_has_a_case() -> None:
    given = {reason for _raw, reason, _detail in CASES}
    # 40 to 43 and 45 are the switch's (credentials, the directory, attached documents).
    theirs = {R.NO_CREDENTIAL, R.CREDENTIAL_MISMATCH, R.AGENCY_SUSPENDED, R.UNKNOWN_SENDER}
    theirs.add(R.DOCUMENT_NOT_FOUND)
    assert given == set(ErReason) - theirs


def test_the_rejection_names_the_sender_once_the_header_is_read() -> None:
    assert text.parse("DQ.AZNLETS2.NY.TXT\nOLN/D1").ori is None  # type: ignore[union-attr]
    refused = text.parse("DQ.AZNLETS20.NY.REF-7.TXT\nOLN/")
    assert isinstance(refused, Rejection)
    assert (refused.ori, refused.control) == ("AZNLETS20", "REF-7")
    assert text.parse("DQ.AZNLETS20.ZZ.TXT\nOLN/D1").ori == "AZNLETS20"  # type: ignore[union-attr]
    # A sender from no known region: nothing after it is read, the control field neither.
    unknown = text.parse("DQ.BA0000000.NL.0.TXT\nOLN/0")
    assert isinstance(unknown, Rejection)
    assert (unknown.reason, unknown.ori, unknown.control) == (R.INVALID_HEADER, None, None)


def _json_counterpart(raw: str) -> dict[str, object] | None:
    """The same query in JSON, when the fault is not one of the text layout itself."""
    head, _, body = raw.partition("\n")
    parts = head.split(".")
    if len(parts) != 4 or parts[0] not in ("DQ", "RQ", "KQ") or parts[3] != "TXT":
        return None
    if not (REGION_CODE_RE.fullmatch(parts[2]) or ORI_RE.fullmatch(parts[2])):
        return None  # text reads a malformed field as a header fault, JSON as a destination
    if "\n" in body or body.endswith(".") or len(raw) > MAX_MESSAGE:
        return None
    pairs = [part.partition("/") for part in body.split(".")] if body else []
    fields = {tag: value for tag, slash, value in pairs if slash}
    if len(fields) != len(pairs):
        return None  # a repeated tag: test_jsonform has the JSON duplicate-key case
    return {"mke": parts[0], "ori": parts[1], "destinations": [parts[2]], "fields": fields}


JSON_CASES = [(_json_counterpart(raw), reason, detail) for raw, reason, detail in CASES]


@pytest.mark.parametrize(
    ("document", "reason", "detail"), [case for case in JSON_CASES if case[0] is not None]
)
def test_json_refuses_the_same_query_fault_alike(
    document: dict[str, object], reason: ErReason, detail: tuple[str, ...]
) -> None:
    result = jsonform.from_dict(document)
    assert isinstance(result, Rejection)
    assert (result.reason, result.detail) == (reason, detail)
    assert result.ori == (document["ori"] if checks.valid_ori(str(document["ori"])) else None)


def test_dates_in_both_forms() -> None:
    for good in ("19500101", "20000229", "022900", "123199", "010100"):
        assert checks.real_date(good), good
    for bad in ("19000229", "00000101", "19501301", "19500132", "130101", "000101", "023100"):
        assert not checks.real_date(bad), bad


def test_agency_input() -> None:
    """The switch takes DQ, RQ, KQ and AM from agencies, in input form only (.02., .01.)."""
    response = text.parse("DR.NYOLN0000.AZNLETS20.TXT\nNOT ON FILE")
    assert isinstance(response, Response)
    refusal = checks.agency_input_fault(response)
    assert refusal is not None
    assert refusal.reason is R.NOT_ALLOWED_TO_DESTINATION
    query = text.parse("DQ.AZNLETS20.NY.TXT\nOLN/D1")
    assert isinstance(query, Query)
    assert checks.agency_input_fault(query) is None
    stamp = datetime(2010, 1, 1, 8, 0, tzinfo=UTC)
    replied = AdminMessage(
        Header(MKE.AM, "AZNLETS20", ("NYOLN0000",)), ("HI",), OutputHeader(stamp, 1, stamp, 2)
    )
    assert checks.agency_input_fault(replied) == checks.fault(
        R.INVALID_HEADER, "AN AGENCY SENDS NO OUTPUT HEADER"
    )


def test_models_built_in_code() -> None:
    header = Header(MKE.DQ, "AZNLETS20", ("NY",))
    assert checks.check_message(Query(header, (("OLN", "D1"),))) is None
    assert checks.check_message(Query(header, ())) == checks.fault(R.FIELDS_MISSING)
    wrong_key = Response(header, text=("NOT ON FILE",))
    assert checks.check_message(wrong_key) == checks.fault(
        R.INVALID_HEADER, "MESSAGE KEY DOES NOT MATCH BODY"
    )
    stamp = datetime(2010, 1, 1, 8, 0, 30, tzinfo=UTC)
    reply = Response(
        Header(MKE.DR, "NYOLN0000", ("AZNLETS20",)),
        text=("NOT ON FILE",),
        output=OutputHeader(stamp, 1, stamp, 100_000),
    )
    assert checks.check_message(reply) == checks.fault(
        R.INVALID_HEADER, "SEQUENCE NUMBER NOT VALID"
    )
    reply = Response(reply.header, text=reply.text, output=OutputHeader(stamp, 1, stamp, 2))
    assert checks.check_message(reply) == checks.fault(R.INVALID_HEADER, "TIME NOT IN UTC MINUTES")
    bad_control = Query(Header(MKE.DQ, "AZNLETS20", ("NY",), "NJ"), (("OLN", "D1"),))
    assert checks.check_message(bad_control) == checks.fault(
        R.INVALID_HEADER, "CONTROL FIELD NOT VALID"
    )
    er = ErrorMessage(Header(MKE.ER, SWITCH_ORI, ()), R.INVALID_HEADER, ("ORIGINAL MESSAGE",), "")
    assert checks.check_message(er) == checks.fault(R.INVALID_FORMAT, "ORIGINAL MESSAGE IN DETAIL")
    er = ErrorMessage(er.header, R.INVALID_HEADER, (), "X" * 101)
    assert checks.check_message(er) == checks.fault(R.INVALID_FORMAT, "ORIGINAL MESSAGE NOT VALID")
    notes = Response(Header(MKE.DR, "NYOLN0000", ("AZNLETS20",)), text=("OLN/D1",))
    assert checks.check_message(notes) == checks.fault(
        R.INVALID_FORMAT, "FIRST TEXT LINE READS AS A RECORD"
    )


def test_options_list_the_combinations_sharing_a_field() -> None:
    assert checks.options(MKE.RQ, {"LIC", "LIT"}) == (
        "REFER TO RQ MKE OPTIONS BELOW",
        "1. LIC, LIY, LIT",
    )
    assert checks.options(MKE.RQ) == ("REFER TO RQ MKE OPTIONS BELOW", "1. LIC, LIY, LIT", "2. VIN")


def test_quote_keeps_an_er_sendable() -> None:
    assert checks.quote("A" * 150) == "A" * 100
    assert checks.quote("X\ud800Y") == "X?Y"
    assert checks.quote("CAFÉ") == "CAFÉ"
