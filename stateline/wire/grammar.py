"""The Nlets-style format as data: keys, tags, field combinations and response data classes.

Each table cites the section of NLETS-FORMAT.md it comes from; where the guide is silent the
entry says "Stateline" and docs/wire.md explains the choice. Parsers, encoders, docs and tests
read these tables instead of copying them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

# The vocabularies live in their own module; DataClass is named here too, where the response
# tags map onto it, so that the many modules that read it from the grammar keep doing so.
from stateline.wire.vocabulary import DataClass as DataClass
from stateline.wire.vocabulary import LegalProcess, Mission, Purpose, wire_value


class MKE(StrEnum):
    """Message keys ("Message keys Stateline must know first")."""

    DQ = "DQ"  # driver licence query
    DR = "DR"  # driver licence response
    RQ = "RQ"  # registration query
    RR = "RR"  # registration response
    KQ = "KQ"  # driving history query
    KR = "KR"  # driving history response
    AM = "AM"  # administrative message
    ER = "ER"  # error, sent only by the switch
    SM = "SM"  # status message


QUERY_KEYS = frozenset({MKE.DQ, MKE.RQ, MKE.KQ})
RESPONSE_KEYS = frozenset({MKE.DR, MKE.RR, MKE.KR})
AGENCY_KEYS = QUERY_KEYS | {MKE.AM}
"""Keys an agency may send; the others come only from nodes or the switch."""

RESPONSE_TO: dict[MKE, MKE] = {MKE.DQ: MKE.DR, MKE.RQ: MKE.RR, MKE.KQ: MKE.KR}

SWITCH_ORI = "NL0000000"
"""The switch's own ORI, sender of every ER ("Message keys")."""

ALL_STATES = "NL"
"""The switch as a destination: every state ("A message", item 3)."""

MAX_DESTINATIONS = 5
"""DQ and RQ take up to five state codes ("A message", item 3)."""

SINGLE_DESTINATION_KEYS = frozenset({MKE.KQ})
"""KQ takes exactly one state code ("A message", item 3)."""

MAX_CONTROL = 10
"""The control field, a requester's reference (examples up to 10 characters)."""

MAX_MESSAGE = 4096
"""Stateline: longest input accepted; a longer one is refused (reason 44) before parsing."""

ORI_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{7}")
"""9 characters: a 2-letter state or region code, then 7 letters or digits ("A message", 2)."""

CONTROL_RE = re.compile(r"[A-Z0-9\-]{1,10}")

US_STATES = (  # noqa: SIM905 - two lines of codes read better than 51
    "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE "
    "NH NJ NM NV NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY"
).split()
"""The 50 states and the District of Columbia: the jurisdictions that run a state node."""

TERRITORIES = ("AS", "GU", "MP", "PR", "VI")
CANADA = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
"""Canadian provinces. ``NL`` as a destination means all states, never Newfoundland."""

REGION_CODES = frozenset(US_STATES) | frozenset(TERRITORIES) | frozenset(CANADA) | {"US"}
"""Valid first two characters of an ORI (``US`` for federal agencies, Stateline's choice)."""


# Stateline's vocabulary tags: what a query carries beyond the guide's tags (docs/wire.md,
# "Purpose, legal process and the person asking"). Values are the scenario vocabulary's, in
# capitals; ``unstated`` and ``none`` are what leaving the tag out says, so they are not values.
STATED_PURPOSES = tuple(wire_value(p) for p in Purpose if p is not Purpose.UNSTATED)
"""``PRP/`` values: every purpose of the scenario vocabulary but ``unstated``."""

PROCESS_KINDS = tuple(wire_value(k) for k in LegalProcess if k is not LegalProcess.NONE)
"""``LPK/`` values: every legal-process kind of the scenario vocabulary but ``none``."""

LIST_TAGS: dict[str, tuple[str, ...]] = {
    "AFM": tuple(wire_value(m) for m in Mission),
    "LPS": tuple(wire_value(c) for c in DataClass),
}
"""Tags whose value is a comma-separated list of names, each named once: the missions of the
agency the officer acts for, and the data classes the legal process names (Stateline)."""


def _list_limit(names: tuple[str, ...]) -> int:
    """Long enough for every name once, comma-separated."""
    return sum(len(name) for name in names) + len(names) - 1


PROCESS_DETAIL_TAGS = ("LPN", "LPC", "LPJ", "LPD", "LPS", "DOC")
"""The legal process's number, court, judge, date, data classes and attached document."""

NEEDS: dict[str, str] = {tag: "LPK" for tag in PROCESS_DETAIL_TAGS}
"""Tags that mean nothing alone: a legal process's details need its kind (Stateline)."""

# Query tags ("Tags for DMV queries"): tag -> longest value. The guide's tags come first, then
# Stateline's vocabulary tags.
QUERY_TAGS: dict[str, int] = {
    "OLN": 20,
    "NAM": 30,
    "DOB": 8,
    "SEX": 1,
    "IMQ": 1,
    "RSN": 1,
    "PUR": 1,
    "ATN": 30,
    "LIC": 10,
    "LIY": 4,
    "LIT": 2,
    "VIN": 17,
    "PRP": max(len(p) for p in STATED_PURPOSES),  # purpose
    "OCA": 20,  # the requester's case number (NCIC's originating agency case number)
    "AFM": _list_limit(LIST_TAGS["AFM"]),  # acting for: missions of the agency served
    "NDR": 1,  # notice delay requested: Y / N
    "LPK": max(len(k) for k in PROCESS_KINDS),  # legal process: kind
    "LPN": 30,  # number
    "LPC": 60,  # issuing court
    "LPJ": 30,  # judge
    "LPD": 8,  # date issued, ccyymmdd
    "LPS": _list_limit(LIST_TAGS["LPS"]),  # the data classes it names (scope)
    "DOC": 32,  # the document id the API gave when the agency attached it
}
QUERY_TAG_ORDER = tuple(QUERY_TAGS)
"""Canonical order of query fields; the text encoder writes them in this order."""

SEX_CODES = frozenset({"M", "F", "X", "U"})
YES_NO = frozenset({"Y", "N"})
RSN_CODES = frozenset({"N", "F", "V", "T", "S", "H", "I"})
PUR_CODES = frozenset({"C"})
"""Purpose codes the guide names; KQ uses ``C`` (criminal justice)."""

LEGACY_PURPOSES: dict[tuple[str, str], Purpose] = {
    ("RSN", "N"): Purpose.CRIMINAL_INVESTIGATION,  # narcotics
    ("RSN", "F"): Purpose.CRIMINAL_INVESTIGATION,  # fraud
    ("RSN", "V"): Purpose.CRIMINAL_INVESTIGATION,  # violent crime
    ("RSN", "S"): Purpose.CRIMINAL_INVESTIGATION,  # theft
    ("RSN", "T"): Purpose.TRAFFIC_ENFORCEMENT,  # traffic
    ("PUR", "C"): Purpose.CRIMINAL_INVESTIGATION,  # criminal justice
}
"""The purpose a legacy code gives a query without ``PRP/`` (RSN/ read before PUR/). RSN/H
(humanitarian) and RSN/I (meaning not public) give none: the purpose stays unstated."""

PLATE_TYPES = frozenset({"PC", "TK", "MC", "TL", "CO", "AP", "MH", "RV", "BU", "TX", "GV", "DL"})
"""NCIC plate types Stateline accepts (passenger, truck, motorcycle, trailer, ...)."""

_CONTEXT_TAGS = frozenset({"RSN", "PUR", "ATN", *QUERY_TAG_ORDER[QUERY_TAG_ORDER.index("PRP") :]})

OPTIONAL_TAGS: dict[MKE, frozenset[str]] = {
    MKE.DQ: frozenset({"IMQ"}) | _CONTEXT_TAGS,
    MKE.RQ: _CONTEXT_TAGS,
    MKE.KQ: _CONTEXT_TAGS,
}

COMBINATIONS: dict[MKE, tuple[tuple[str, ...], ...]] = {
    MKE.DQ: (("OLN",), ("NAM", "DOB", "SEX")),
    MKE.RQ: (("LIC", "LIY", "LIT"), ("VIN",)),
    MKE.KQ: (("OLN",), ("NAM", "DOB", "SEX")),
}
"""Valid identifying field combinations ("Valid combinations")."""


# Response tags (Stateline; the guide does not publish DR/RR/KR bodies): tag -> data class.
# ``None`` marks tags about the answer itself (match score), kept whatever is released.
RESPONSE_TAGS: dict[str, DataClass | None] = {
    "SCR": None,  # match score 0-100 for name searches
    "OLN": DataClass.IDENTITY,
    "NAM": DataClass.IDENTITY,
    "DOB": DataClass.IDENTITY,
    "SEX": DataClass.IDENTITY,
    "OLS": DataClass.IDENTITY,  # issuing state
    "OLC": DataClass.IDENTITY,  # class (A, B, C, M, D)
    "OLT": DataClass.IDENTITY,  # status: VALID, SUSPENDED, REVOKED, EXPIRED
    "OLI": DataClass.IDENTITY,  # issued ccyymmdd
    "OLE": DataClass.IDENTITY,  # expires ccyymmdd
    "CRT": DataClass.CREDENTIAL_TYPE,  # REAL-ID, STANDARD, DPC (driver privilege card)
    "ADR": DataClass.ADDRESS,  # street
    "CTY": DataClass.ADDRESS,
    "STA": DataClass.ADDRESS,
    "ZIP": DataClass.ADDRESS,
    "PAD": DataClass.ADDRESS,  # prior address: STREET;CITY;ST;ZIP;FROM;TO (repeatable)
    "HGT": DataClass.PHYSICAL,  # feet and inches: 510
    "WGT": DataClass.PHYSICAL,  # pounds
    "EYE": DataClass.PHYSICAL,
    "HAI": DataClass.PHYSICAL,
    "IMG": DataClass.PHOTO,  # base64 PNG
    "SOC": DataClass.SSN,
    "LIC": DataClass.VEHICLES,
    "LIY": DataClass.VEHICLES,
    "LIT": DataClass.VEHICLES,
    "VIN": DataClass.VEHICLES,
    "VYR": DataClass.VEHICLES,
    "VMA": DataClass.VEHICLES,
    "VMO": DataClass.VEHICLES,
    "VCO": DataClass.VEHICLES,
    "HIS": DataClass.HISTORY,  # ccyymmdd;KIND;DESCRIPTION;POINTS (repeatable)
}
RESPONSE_TAG_ORDER = tuple(RESPONSE_TAGS)
REPEATABLE_RESPONSE_TAGS = frozenset({"PAD", "HIS"})

NOT_ON_FILE = "NOT ON FILE"
FILE_NOT_AVAILABLE = "FILE NOT AVAILABLE"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY UNAVAILABLE"
"""Negative answers ("Replies")."""


# Additions for the parsers and checks (stateline.wire.text, .jsonform, .checks).

MAX_REPLY = 1_048_576
"""Stateline: longest DR, RR or KR accepted, since a record may carry a photo (``IMG/``).

Every other key keeps MAX_MESSAGE. Both limits count characters as received.
"""

LONG_KEYS = frozenset(RESPONSE_KEYS)
"""Keys that may exceed MAX_MESSAGE (up to MAX_REPLY)."""

MAX_SEQUENCE = 99_999
"""Sequence numbers in an output header are 5 digits (Stateline, after the guide's example)."""

TXT = "TXT"
"""The header's last field, before the data ("A message", item 5)."""

ORIGINAL_MESSAGE = "ORIGINAL MESSAGE"
"""The ER body line that precedes the quoted input ("Examples from the public guide")."""

REGION_CODE_RE = re.compile(r"[A-Z]{2}")
"""A 2-letter header field: a state or region code, or ``NL`` (Stateline, "A message", 3)."""


def _one_of(codes: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(code) for code in sorted(codes)))


def _list_of(names: Iterable[str]) -> re.Pattern[str]:
    name = "(?:{})".format("|".join(re.escape(n) for n in sorted(names)))
    return re.compile(f"{name}(?:,{name})*")


QUERY_VALUE_RE: dict[str, re.Pattern[str]] = {
    "OLN": re.compile(r"[A-Z0-9]{1,20}"),
    # LAST,FIRST[ MIDDLE][ SUFFIX]: words of capitals joined by a space, hyphen or apostrophe.
    "NAM": re.compile(r"[A-Z]+(?:[ '\-][A-Z]+)*,[A-Z]+(?:[ '\-][A-Z]+)*"),
    "DOB": re.compile(r"[0-9]{8}|[0-9]{6}"),  # ccyymmdd or mmddyy; checks tests the calendar
    "SEX": _one_of(SEX_CODES),
    "IMQ": _one_of(YES_NO),
    "RSN": _one_of(RSN_CODES),
    "PUR": _one_of(PUR_CODES),
    "ATN": re.compile(r"[A-Z0-9 ,'\-]{1,30}"),
    "LIC": re.compile(r"[A-Z0-9]{1,10}"),
    "LIY": re.compile(r"[0-9]{4}|[0-9]{2}|NX"),
    "LIT": _one_of(PLATE_TYPES),
    "VIN": re.compile(r"[A-HJ-NPR-Z0-9]{17}"),  # 17 characters, never I, O or Q
    "PRP": _one_of(STATED_PURPOSES),
    "OCA": re.compile(r"[A-Z0-9\-]{1,20}"),
    "AFM": _list_of(LIST_TAGS["AFM"]),  # checks: each mission once
    "NDR": _one_of(YES_NO),
    "LPK": _one_of(PROCESS_KINDS),
    "LPN": re.compile(r"[A-Z0-9][A-Z0-9 :/\-]{0,29}"),  # docket numbers: 1:26-MJ-00042
    "LPC": re.compile(r"[A-Z0-9][A-Z0-9 ,'&\-]{0,59}"),
    "LPJ": re.compile(r"[A-Z][A-Z ,'\-]{0,29}"),
    "LPD": re.compile(r"[0-9]{8}"),  # ccyymmdd only; checks tests the calendar
    "LPS": _list_of(LIST_TAGS["LPS"]),  # checks: each data class once
    "DOC": re.compile(r"[A-Z0-9]{1,32}"),
}
"""What each query tag's value must match in full (Stateline, from "Tags for DMV queries")."""

TEXT_LINE_RE = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]*")
"""A free-text line (AM, SM, response notes, ER detail): no control characters (Stateline)."""

RESPONSE_VALUE = r"[^.\x00-\x1f\x7f\ud800-\udfff]+"
"""A response field's value: free text without periods or control characters (Stateline)."""

RECORD_LINE_RE = re.compile(
    "(?:{tags})/{value}(?:\\.(?:{tags})/{value})*".format(
        tags="|".join(RESPONSE_TAG_ORDER), value=RESPONSE_VALUE
    )
)
"""A response body line that is a record: every period-separated part is ``KNOWNTAG/value``."""
