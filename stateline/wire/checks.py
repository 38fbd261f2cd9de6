"""The semantic checks both encodings share, so text and JSON refuse the same fault alike."""

# Each check returns None or a Fault (an ER reason and its detail lines); the parsers turn a
# fault into a Rejection by adding the quoted input and the sender. The order of the checks is
# part of the contract (docs/wire.md, "Which fault is reported").

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from stateline.wire.errors import ORIGINAL_LIMIT, ErReason, Rejection
from stateline.wire.grammar import (
    AGENCY_KEYS,
    ALL_STATES,
    COMBINATIONS,
    CONTROL_RE,
    LIST_TAGS,
    LONG_KEYS,
    MAX_DESTINATIONS,
    MAX_MESSAGE,
    MAX_REPLY,
    MAX_SEQUENCE,
    MKE,
    NEEDS,
    OPTIONAL_TAGS,
    ORI_RE,
    ORIGINAL_MESSAGE,
    QUERY_KEYS,
    QUERY_TAG_ORDER,
    QUERY_TAGS,
    QUERY_VALUE_RE,
    RECORD_LINE_RE,
    REGION_CODE_RE,
    REGION_CODES,
    REPEATABLE_RESPONSE_TAGS,
    RESPONSE_KEYS,
    RESPONSE_TAG_ORDER,
    RESPONSE_TAGS,
    RESPONSE_VALUE,
    SINGLE_DESTINATION_KEYS,
    SWITCH_ORI,
    TEXT_LINE_RE,
    TXT,
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

MKES: dict[str, MKE] = {key.value: key for key in MKE}
"""Message keys by their text, case-sensitive: ``dq`` is not a key."""

_QUERY_INDEX = {tag: index for index, tag in enumerate(QUERY_TAG_ORDER)}
_RESPONSE_INDEX = {tag: index for index, tag in enumerate(RESPONSE_TAG_ORDER)}
_IDENTIFYING = {mke: frozenset(t for c in COMBINATIONS[mke] for t in c) for mke in QUERY_KEYS}
_TAKES = {mke: _IDENTIFYING[mke] | OPTIONAL_TAGS[mke] for mke in QUERY_KEYS}
_COMBINATION_SETS = {mke: frozenset(frozenset(c) for c in COMBINATIONS[mke]) for mke in QUERY_KEYS}
_TAG_RE = re.compile(r"[A-Z]{3}")
_RESPONSE_VALUE_RE = re.compile(RESPONSE_VALUE)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Tags whose bad values have their own ER number; every other bad value is .22.
_VALUE_REASONS = {
    "DOB": ErReason.DOB_INVALID,
    "LIY": ErReason.YEAR_INVALID,
    "ATN": ErReason.ATN_INVALID,
}


@dataclass(frozen=True, slots=True)
class Fault:
    """What is wrong with a message: the ER reason and the detail lines of its body."""

    reason: ErReason
    detail: tuple[str, ...] = ()

    def reject(
        self, original: str, ori: str | None = None, control: str | None = None
    ) -> Rejection:
        """The rejection of the input ``original``, quoted as an ER quotes it."""
        return Rejection(self.reason, quote(original), self.detail, ori, control)


def fault(reason: ErReason, *detail: str) -> Fault:
    return Fault(reason, detail)


def line_ends(raw: str) -> str:
    """Every line end as ``\\n``: ``\\r\\n``, and any run of ``\\r`` before ``\\n``.

    A run, not a pair: replacing pairs once would turn ``\\r\\r\\n`` into ``\\r\\n``, and the
    result would change again when read a second time (an ER quoting it would not round-trip).
    """
    if "\r\n" not in raw:
        return raw
    # Linear on any input; a regex such as \r+\n rescans a long run of CRs from every start.
    lines = raw.split("\n")
    last = lines.pop()
    return "\n".join([*(line.rstrip("\r") for line in lines), last])


def quote(original: str) -> str:
    """The first 100 characters of an input, as an ER carries them.

    Line ends are already ``\\n`` (the parsers apply ``line_ends`` first). A lone surrogate,
    which no UTF-8 stream can carry, becomes ``?`` so that the ER can always be sent.
    """
    text = original[:ORIGINAL_LIMIT]
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


# Header -------------------------------------------------------------------------------------


def valid_ori(ori: str) -> bool:
    """A 9-character ORI whose first two letters are a state or region code."""
    return ORI_RE.fullmatch(ori) is not None and ori[:2] in REGION_CODES


def valid_control(control: str) -> bool:
    """A control field the text header cannot mistake for a destination or for ``TXT``."""
    return (
        CONTROL_RE.fullmatch(control) is not None
        and REGION_CODE_RE.fullmatch(control) is None
        and ORI_RE.fullmatch(control) is None
        and control != TXT
    )


def size_fault(mke: MKE | None, length: int) -> Fault | None:
    """Reason 44 when a message of key ``mke`` (``None``: not known yet) is too long."""
    limit = MAX_REPLY if mke in LONG_KEYS else MAX_MESSAGE
    if length > limit:
        return fault(ErReason.MESSAGE_TOO_LONG, f"LONGEST ACCEPTED IS {limit} CHARACTERS")
    return None


def header_fault(header: Header, *, reply: bool) -> Fault | None:
    """Check a header; ``reply`` when it comes with an output header (one recipient ORI)."""
    return header_shape_fault(header, reply=reply) or header_rules_fault(header, reply=reply)


def header_shape_fault(header: Header, *, reply: bool) -> Fault | None:
    """Each header field on its own: sender ORI, control field, every destination."""
    if not valid_ori(header.ori):
        return fault(ErReason.INVALID_HEADER, "SENDING ORI NOT VALID")
    if header.control is not None and not valid_control(header.control):
        return fault(ErReason.INVALID_HEADER, "CONTROL FIELD NOT VALID")
    for position, destination in enumerate(header.destinations, 1):
        if reply:
            if not valid_ori(destination):
                return fault(ErReason.INVALID_HEADER, "RECIPIENT ORI NOT VALID")
        elif not (destination in REGION_CODES if len(destination) == 2 else valid_ori(destination)):
            return fault(ErReason.INVALID_DESTINATION, f"DESTINATION {position} NOT KNOWN")
    return None


def header_rules_fault(header: Header, *, reply: bool) -> Fault | None:
    """The header as a whole: who sends an ER, how many destinations, KQ to one state."""
    mke = header.mke
    destinations = header.destinations
    if mke is MKE.ER and header.ori != SWITCH_ORI:
        return fault(ErReason.NOT_ALLOWED_TO_DESTINATION, "ER IS SENT ONLY BY THE SWITCH")
    if not destinations:
        # An ER to a sender the switch could not read has nobody to name.
        return None if mke is MKE.ER else fault(ErReason.INVALID_HEADER, "NO DESTINATION")
    if reply:
        if mke in QUERY_KEYS:
            return fault(ErReason.INVALID_HEADER, "A QUERY HAS NO OUTPUT HEADER")
        if len(destinations) > 1:
            return fault(ErReason.INVALID_HEADER, "ONE RECIPIENT PER REPLY")
        return None
    if len(destinations) > MAX_DESTINATIONS:
        detail = f"MORE THAN {MAX_DESTINATIONS} DESTINATIONS"
        return fault(ErReason.INVALID_DESTINATION, detail)
    if ALL_STATES in destinations and len(destinations) > 1:
        return fault(ErReason.INVALID_DESTINATION, f"{ALL_STATES} WITH OTHER DESTINATIONS")
    if len(set(destinations)) != len(destinations):
        return fault(ErReason.INVALID_DESTINATION, "DESTINATION REPEATED")
    if mke in SINGLE_DESTINATION_KEYS and (len(destinations) > 1 or destinations[0] == ALL_STATES):
        return fault(ErReason.NOT_ALLOWED_TO_DESTINATION, f"{mke} GOES TO ONE STATE")
    return None


def output_fault(output: OutputHeader) -> Fault | None:
    """An output header the text form can carry exactly: UTC minutes, 5-digit sequences."""
    for seq in (output.input_seq, output.output_seq):
        if type(seq) is not int or not 0 <= seq <= MAX_SEQUENCE:
            return fault(ErReason.INVALID_HEADER, "SEQUENCE NUMBER NOT VALID")
    for moment in (output.received, output.sent):
        if moment.utcoffset() != timedelta(0) or moment.second or moment.microsecond:
            return fault(ErReason.INVALID_HEADER, "TIME NOT IN UTC MINUTES")
    return None


# Query fields -------------------------------------------------------------------------------


def real_date(value: str) -> bool:
    """Whether ``ccyymmdd`` or ``mmddyy`` digits name a day on the calendar.

    A 6-digit date is read in whichever century makes it real, so ``022900`` (2000) passes.
    """
    if len(value) == 8:
        year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    else:
        month, day, year = int(value[:2]), int(value[2:4]), 2000 + int(value[4:])
    if year == 0 or not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= _DAYS[month - 1] + (month == 2 and leap)


def _once_each(value: str) -> bool:
    """A list value (``ADDRESS,PHOTO``) names each item once."""
    items = value.split(",")
    return len(set(items)) == len(items)


# What a value must pass beyond its pattern: a real date, a list without repeats.
_EXTRA_RULES: dict[str, Callable[[str], bool]] = {
    "DOB": real_date,
    "LPD": real_date,
    **{tag: _once_each for tag in LIST_TAGS},
}
_VALUE_RULES = {
    tag: (QUERY_TAGS[tag], QUERY_VALUE_RE[tag].fullmatch, _EXTRA_RULES.get(tag))
    for tag in QUERY_TAGS
}


def _query_key(pair: tuple[str, str]) -> int:
    return _QUERY_INDEX[pair[0]]


def _value_fault(tag: str, value: str) -> Fault | None:
    limit, matches, extra = _VALUE_RULES[tag]
    if len(value) <= limit and matches(value) and (extra is None or extra(value)):
        return None
    reason = _VALUE_REASONS.get(tag, ErReason.INVALID_FORMAT)
    if len(value) > limit:
        return fault(reason, f"{tag}/ LONGER THAN {limit}")
    return fault(reason, f"{tag}/ NOT VALID")


def options(mke: MKE, given: Iterable[str] = ()) -> tuple[str, ...]:
    """The ``.22.`` detail: the valid combinations sharing a field with ``given``, or all."""
    supplied = frozenset(given)
    combos = [c for c in COMBINATIONS[mke] if supplied.intersection(c)] or COMBINATIONS[mke]
    listed = (f"{n}. {', '.join(combo)}" for n, combo in enumerate(combos, 1))
    return (f"REFER TO {mke} MKE OPTIONS BELOW", *listed)


def query_fields(mke: MKE, pairs: Sequence[tuple[str, str]]) -> Fields | Fault:
    """Check a query's ``(tag, value)`` pairs; return them in canonical order, or the fault.

    The order: fields missing (.14.); per field as given, an unknown tag, one the key does not
    take, a repeated tag (.22.); per tag in canonical order, its value (.05. DOB, .10. LIY,
    .16. ATN, else .22.); NAM without DOB (.05.); the identifying combination (.22.); finally
    a legal process's detail without its kind (.22.).
    """
    if not pairs:
        return fault(ErReason.FIELDS_MISSING)
    takes = _TAKES[mke]
    seen: dict[str, str] = {}
    previous = -1
    in_order = True
    for tag, value in pairs:
        if tag not in takes or tag in seen:
            return _tag_fault(mke, pairs)
        seen[tag] = value
        index = _QUERY_INDEX[tag]
        in_order = in_order and index > previous
        previous = index
    # Canonical input is already in order, and then needs no sort.
    ordered = tuple(pairs) if in_order else tuple(sorted(pairs, key=_query_key))
    for tag, value in ordered:
        limit, matches, extra = _VALUE_RULES[tag]
        # The common case costs one regex per field; _value_fault names the problem.
        if len(value) > limit or not matches(value) or (extra is not None and not extra(value)):
            return _value_fault(tag, value) or fault(ErReason.INVALID_FORMAT)
    if "NAM" in seen and "DOB" not in seen:
        return fault(ErReason.DOB_INVALID, "NAM/ NEEDS DOB/")
    identifying = _IDENTIFYING[mke].intersection(seen)
    if identifying not in _COMBINATION_SETS[mke]:
        return Fault(ErReason.INVALID_FORMAT, options(mke, identifying))
    for tag, _value in ordered:
        needed = NEEDS.get(tag)
        if needed is not None and needed not in seen:
            return fault(ErReason.INVALID_FORMAT, f"{tag}/ NEEDS {needed}/")
    return ordered


def _tag_fault(mke: MKE, pairs: Sequence[tuple[str, str]]) -> Fault:
    """The first unknown, untaken or repeated tag of a query (the caller knows there is one)."""
    takes = _TAKES[mke]
    seen: set[str] = set()
    for position, (tag, _value) in enumerate(pairs, 1):
        if tag not in takes:
            if tag in QUERY_TAGS:
                return fault(ErReason.INVALID_FORMAT, f"{mke} DOES NOT TAKE {tag}/")
            named = f"{tag}/" if _TAG_RE.fullmatch(tag) else f"FIELD {position}"
            return fault(ErReason.INVALID_FORMAT, f"{named} NOT KNOWN")
        if tag in seen:
            return fault(ErReason.INVALID_FORMAT, f"{tag}/ GIVEN TWICE")
        seen.add(tag)
    return fault(ErReason.INVALID_FORMAT)


# Response bodies ----------------------------------------------------------------------------


def record_fields(pairs: Sequence[tuple[str, str]]) -> Fields | Fault:
    """Check one response record; return it in canonical order (repeats keep their order)."""
    if not pairs:
        return fault(ErReason.INVALID_FORMAT, "EMPTY RECORD")
    seen: set[str] = set()
    for tag, value in pairs:
        if tag not in RESPONSE_TAGS:
            named = f"{tag}/" if _TAG_RE.fullmatch(tag) else "A FIELD"
            return fault(ErReason.INVALID_FORMAT, f"{named} NOT KNOWN IN A RECORD")
        if tag in seen and tag not in REPEATABLE_RESPONSE_TAGS:
            return fault(ErReason.INVALID_FORMAT, f"{tag}/ GIVEN TWICE IN A RECORD")
        seen.add(tag)
        if _RESPONSE_VALUE_RE.fullmatch(value) is None:
            return fault(ErReason.INVALID_FORMAT, f"{tag}/ NOT VALID IN A RECORD")
    # sorted() is stable, so PAD and HIS lines keep the order the node gave them.
    return tuple(sorted(pairs, key=lambda item: _RESPONSE_INDEX[item[0]]))


def lines_fault(lines: Sequence[str]) -> Fault | None:
    """Free-text lines: no control characters (so no line breaks inside a line)."""
    for line in lines:
        if TEXT_LINE_RE.fullmatch(line) is None:
            return fault(ErReason.INVALID_FORMAT, "CONTROL CHARACTER IN TEXT")
    return None


def _empty(text: Sequence[str]) -> bool:
    # () and ("",) are the same empty body on the wire.
    return not text or (len(text) == 1 and not text[0])


def response_fault(records: Sequence[Fields], text: Sequence[str]) -> Fault | None:
    """A response body: each record, then the notes (``notes_fault``)."""
    for record in records:
        checked = record_fields(record)
        if isinstance(checked, Fault):
            return checked
    return notes_fault(records, text)


def notes_fault(records: Sequence[Fields], text: Sequence[str]) -> Fault | None:
    """A response's notes, its records already checked: not both empty, never read as a record."""
    if not records and _empty(text):
        return fault(ErReason.FIELDS_MISSING)
    if text and RECORD_LINE_RE.fullmatch(text[0]) is not None:
        return fault(ErReason.INVALID_FORMAT, "FIRST TEXT LINE READS AS A RECORD")
    return lines_fault(text)


def text_fault(text: Sequence[str]) -> Fault | None:
    """An AM or SM body: at least one character of text."""
    if _empty(text):
        return fault(ErReason.FIELDS_MISSING)
    return lines_fault(text)


def error_fault(detail: Sequence[str], original: str) -> Fault | None:
    """An ER body: detail lines the text form can carry, and a quote of at most 100 chars."""
    problem = lines_fault(detail)
    if problem is not None:
        return problem
    if quote(original) != original:
        return fault(ErReason.INVALID_FORMAT, f"{ORIGINAL_MESSAGE} NOT VALID")
    if ORIGINAL_MESSAGE in detail:
        return fault(ErReason.INVALID_FORMAT, f"{ORIGINAL_MESSAGE} IN DETAIL")
    if len(original) > ORIGINAL_LIMIT or line_ends(original) != original:
        return fault(ErReason.INVALID_FORMAT, f"{ORIGINAL_MESSAGE} NOT VALID")
    return None


# Whole messages -----------------------------------------------------------------------------

_KEYS_OF: dict[type, frozenset[MKE]] = {
    Query: QUERY_KEYS,
    Response: RESPONSE_KEYS,
    AdminMessage: frozenset({MKE.AM}),
    StatusMessage: frozenset({MKE.SM}),
    ErrorMessage: frozenset({MKE.ER}),
}


def check_message(message: Message) -> Fault | None:
    """Everything the parsers check, applied to a model built in code.

    A message passing this check encodes to text and JSON that parse back to
    ``canonical(message)``. The size limit is left to the encodings (``size_fault``).
    """
    header = message.header
    if header.mke not in _KEYS_OF[type(message)]:
        return fault(ErReason.INVALID_HEADER, "MESSAGE KEY DOES NOT MATCH BODY")
    output = None if isinstance(message, Query) else message.output
    problem = header_fault(header, reply=output is not None)
    if problem is None and output is not None:
        problem = output_fault(output)
    if problem is not None:
        return problem
    if isinstance(message, Query):
        checked = query_fields(header.mke, message.fields)
        return checked if isinstance(checked, Fault) else None
    if isinstance(message, Response):
        return response_fault(message.records, message.text)
    if isinstance(message, ErrorMessage):
        return error_fault(message.detail, message.original)
    return text_fault(message.text)


def agency_input_fault(message: Message) -> Fault | None:
    """What an agency may send the switch: DQ, RQ, KQ or AM, in input form (.02., .01.)."""
    if message.header.mke not in AGENCY_KEYS:
        return fault(
            ErReason.NOT_ALLOWED_TO_DESTINATION, f"AN AGENCY DOES NOT SEND {message.header.mke}"
        )
    if not isinstance(message, Query) and message.output is not None:
        return fault(ErReason.INVALID_HEADER, "AN AGENCY SENDS NO OUTPUT HEADER")
    return None


def canonical(message: Message) -> Message:
    """The same message with query fields and record fields in canonical order."""
    if isinstance(message, Query):
        # Unknown tags (an invalid model) sort last instead of raising.
        fields = sorted(message.fields, key=lambda item: _QUERY_INDEX.get(item[0], 99))
        return replace(message, fields=tuple(fields))
    if isinstance(message, Response):
        records = tuple(
            tuple(sorted(r, key=lambda item: _RESPONSE_INDEX.get(item[0], 99)))
            for r in message.records
        )
        return replace(message, records=records)
    return message
