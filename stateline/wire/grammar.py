"""The Nlets-style format as data: keys, tags, field combinations and response data classes.

Each table cites the section of NLETS-FORMAT.md it comes from; where the guide is silent the
entry says "Stateline" and docs/wire.md explains the choice. Parsers, encoders, docs and tests
read these tables instead of copying them.
"""

from __future__ import annotations

import re
from enum import StrEnum


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


class DataClass(StrEnum):
    """The kinds of data an answer can carry; a policy releases or withholds each one.

    The names are the policy scenario vocabulary's (scenarios/FORMAT.md): identity covers the
    name, date of birth, sex, licence number and licence status. The last four classes have no
    response tags yet: no node releases them, but a policy can be asked about them.
    """

    IDENTITY = "identity"
    ADDRESS = "address"
    PHYSICAL = "physical-description"
    PHOTO = "photo"
    VEHICLES = "vehicles"
    HISTORY = "driving-history"
    SSN = "ssn"
    CREDENTIAL_TYPE = "credential-type"
    SOURCE_DOCUMENTS = "source-documents"
    IMMIGRATION_STATUS = "immigration-status"
    CONTACT = "contact"
    EMPLOYMENT = "employment"


# Query tags ("Tags for DMV queries"): tag -> longest value.
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
}
QUERY_TAG_ORDER = tuple(QUERY_TAGS)
"""Canonical order of query fields; the text encoder writes them in this order."""

SEX_CODES = frozenset({"M", "F", "X", "U"})
YES_NO = frozenset({"Y", "N"})
RSN_CODES = frozenset({"N", "F", "V", "T", "S", "H", "I"})
PUR_CODES = frozenset({"C"})
"""Purpose codes the guide names; KQ uses ``C`` (criminal justice)."""

PLATE_TYPES = frozenset({"PC", "TK", "MC", "TL", "CO", "AP", "MH", "RV", "BU", "TX", "GV", "DL"})
"""NCIC plate types Stateline accepts (passenger, truck, motorcycle, trailer, ...)."""

OPTIONAL_TAGS: dict[MKE, frozenset[str]] = {
    MKE.DQ: frozenset({"IMQ", "RSN", "PUR", "ATN"}),
    MKE.RQ: frozenset({"RSN", "PUR", "ATN"}),
    MKE.KQ: frozenset({"RSN", "PUR", "ATN"}),
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


def _one_of(codes: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(sorted(codes)))


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
