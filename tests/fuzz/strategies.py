"""Hypothesis strategies for valid messages of every key, in canonical form, and the fuzz budget."""

# STATELINE_FUZZ_EXAMPLES sets how many examples each property tries (scripts/fuzz-wire.sh sets
# it high for a long run); the default keeps the wire tests well under a minute.

from __future__ import annotations

import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from stateline.wire import checks
from stateline.wire.errors import ORIGINAL_LIMIT, ErReason
from stateline.wire.grammar import (
    ALL_STATES,
    COMBINATIONS,
    LIST_TAGS,
    MAX_DESTINATIONS,
    MAX_SEQUENCE,
    MKE,
    NEEDS,
    OPTIONAL_TAGS,
    QUERY_TAG_ORDER,
    QUERY_VALUE_RE,
    RECORD_LINE_RE,
    REGION_CODES,
    REPEATABLE_RESPONSE_TAGS,
    RESPONSE_KEYS,
    RESPONSE_TAG_ORDER,
    SWITCH_ORI,
)
from stateline.wire.messages import (
    AdminMessage,
    ErrorMessage,
    Fields,
    Header,
    Message,
    OutputHeader,
    Query,
    Response,
    StatusMessage,
)

EXAMPLES = int(os.environ.get("STATELINE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""Settings for every property in tests/fuzz."""

_REGIONS = sorted(REGION_CODES - {ALL_STATES})

oris = st.builds(
    lambda region, rest: region + rest,
    st.sampled_from(sorted(REGION_CODES)),
    st.from_regex(r"[A-Z0-9]{7}", fullmatch=True),
)
controls = st.none() | st.from_regex(r"[A-Z0-9\-]{1,10}", fullmatch=True).filter(
    checks.valid_control
)
_destination = st.sampled_from(_REGIONS) | oris
destinations = st.just((ALL_STATES,)) | st.lists(
    _destination, min_size=1, max_size=MAX_DESTINATIONS, unique=True
).map(tuple)

# Free text as the checks allow it: no control characters, no surrogates.
_letter = st.characters(exclude_categories=["Cc", "Cs"])
lines = st.text(_letter, max_size=40)
_values = st.text(
    st.characters(exclude_categories=["Cc", "Cs"], exclude_characters="."),
    min_size=1,
    max_size=30,
)

minutes = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)
).map(lambda moment: moment.replace(second=0, microsecond=0, tzinfo=UTC))
outputs = st.builds(
    OutputHeader,
    minutes,
    st.integers(0, MAX_SEQUENCE),
    minutes,
    st.integers(0, MAX_SEQUENCE),
)


@st.composite
def _dob(draw: st.DrawFn) -> str:
    day = draw(st.dates(min_value=datetime(1900, 1, 1).date()))
    if draw(st.booleans()):
        return f"{day:%m%d}{day.year % 100:02d}"
    return f"{day.year:04d}{day:%m%d}"


_NAM = r"[A-Z]{1,9}(?:[ '\-][A-Z]{1,6})?,[A-Z]{1,9}(?:[ '\-][A-Z]{1,4}){0,2}"


@st.composite
def _issued(draw: st.DrawFn) -> str:
    day = draw(st.dates())
    return f"{day.year:04d}{day:%m%d}"


def _value(tag: str) -> st.SearchStrategy[str]:
    if tag == "DOB":
        return _dob()
    if tag == "LPD":
        return _issued()
    if tag in LIST_TAGS:
        names = st.lists(st.sampled_from(LIST_TAGS[tag]), min_size=1, unique=True)
        return names.map(",".join)
    if tag == "NAM":
        return st.from_regex(_NAM, fullmatch=True).filter(lambda name: len(name) <= 30)
    # The other patterns bound their own length.
    return st.from_regex(QUERY_VALUE_RE[tag], fullmatch=True)


@st.composite
def queries(draw: st.DrawFn) -> Query:
    mke = draw(st.sampled_from([MKE.DQ, MKE.RQ, MKE.KQ]))
    tags = set(draw(st.sampled_from(COMBINATIONS[mke])))
    tags |= draw(st.sets(st.sampled_from(sorted(OPTIONAL_TAGS[mke]))))
    tags |= {NEEDS[tag] for tag in tags if tag in NEEDS}  # a process's details need its kind
    fields = tuple((tag, draw(_value(tag))) for tag in QUERY_TAG_ORDER if tag in tags)
    if mke is MKE.KQ:
        where: tuple[str, ...] = (draw(_destination),)
    else:
        where = draw(destinations)
    return Query(Header(mke, draw(oris), where, draw(controls)), fields)


@st.composite
def records(draw: st.DrawFn) -> Fields:
    tags = draw(st.lists(st.sampled_from(RESPONSE_TAG_ORDER), min_size=1, max_size=6))
    pairs: list[tuple[str, str]] = []
    for tag in RESPONSE_TAG_ORDER:
        count = tags.count(tag)
        if count and tag not in REPEATABLE_RESPONSE_TAGS:
            count = 1
        pairs.extend((tag, draw(_values)) for _ in range(count))
    return tuple(pairs)


def _reply_header(draw: st.DrawFn, mke: MKE, ori: str) -> tuple[Header, OutputHeader | None]:
    output = draw(st.none() | outputs)
    where = draw(destinations) if output is None else draw(st.tuples(oris))
    return Header(mke, ori, where, draw(controls)), output


@st.composite
def responses(draw: st.DrawFn) -> Response:
    header, output = _reply_header(draw, draw(st.sampled_from(sorted(RESPONSE_KEYS))), draw(oris))
    found = tuple(draw(st.lists(records(), max_size=3)))
    text = draw(st.lists(lines, max_size=3))
    if text and RECORD_LINE_RE.fullmatch(text[0]):
        text[0] = "NOT ON FILE"
    if not found and (not text or text == [""]):
        text = ["NOT ON FILE"]
    return Response(header, found, tuple(text), output)


@st.composite
def texts(draw: st.DrawFn) -> AdminMessage | StatusMessage:
    mke = draw(st.sampled_from([MKE.AM, MKE.SM]))
    header, output = _reply_header(draw, mke, draw(oris))
    text = tuple(draw(st.lists(lines, min_size=1, max_size=4)))
    if text == ("",):
        text = ("OUT OF SERVICE",)
    kind = AdminMessage if mke is MKE.AM else StatusMessage
    return kind(header, text, output)


@st.composite
def errors(draw: st.DrawFn) -> ErrorMessage:
    output = draw(st.none() | outputs)
    recipient = draw(st.none() | oris)
    header = Header(MKE.ER, SWITCH_ORI, () if recipient is None else (recipient,), draw(controls))
    detail = tuple(
        draw(st.lists(lines.filter(lambda line: line != "ORIGINAL MESSAGE"), max_size=3))
    )
    original = draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=ORIGINAL_LIMIT))
    original = checks.quote(checks.line_ends(original))
    return ErrorMessage(header, draw(st.sampled_from(list(ErReason))), detail, original, output)


messages: st.SearchStrategy[Message] = st.one_of(queries(), responses(), texts(), errors())
"""Any valid message, in canonical form."""
