"""The Nlets-style text form, input and reply, read from any string and written canonically."""

# Input form: MKE.ORI.DEST[.DEST...][.CONTROL].TXT, a line break, the body. Reply form, written
# by the switch: MKE.ORI[.CONTROL], the received line, the sent line with the recipient ORI,
# TXT, the body. docs/wire.md states every choice the guide leaves open.

from __future__ import annotations

import re
from datetime import UTC, datetime

from stateline.wire import checks
from stateline.wire.checks import MKES, Fault
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import (
    CONTROL_RE,
    LONG_KEYS,
    MAX_MESSAGE,
    MAX_REPLY,
    MKE,
    ORI_RE,
    ORIGINAL_MESSAGE,
    QUERY_KEYS,
    RECORD_LINE_RE,
    REGION_CODE_RE,
    REGION_CODES,
    RESPONSE_KEYS,
    SWITCH_ORI,
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

_TIME = r"([0-9]{2}):([0-9]{2}) ([0-9]{2})/([0-9]{2})/([0-9]{4}) ([0-9]{5})"
_RECEIVED_RE = re.compile(_TIME)
_SENT_RE = re.compile(_TIME + r"(?: (.*))?")
_ER_FIRST_RE = re.compile(r"\.([0-9]{2})\. (.*)")
_LONG_PREFIXES = tuple(f"{key}." for key in LONG_KEYS)
# A well-formed input header in one match (the common case); anything else takes the slow
# path, which reads field by field to name the fault. Greedy destinations keep 2-letter and
# ORI-shaped fields out of the control group, as the slow path does.
_INPUT_HEAD_RE = re.compile(
    r"({keys})\.([A-Z]{{2}}[A-Z0-9]{{7}})((?:\.(?:[A-Z]{{2}}[A-Z0-9]{{7}}|[A-Z]{{2}}))*)"
    r"(?:\.(?!TXT\.)([A-Z0-9\-]{{1,10}}))?\.TXT(?:\n|$)".format(keys="|".join(MKES))
)
# A reply needs 4 header lines before its body.
_REPLY_LINES = 4

INTERNAL_ERROR = "PARSER FAULT"
"""The detail of the ER ``parse`` answers with if it ever hits a bug (the fuzz tests hunt it)."""


def parse(raw: str) -> Message | Rejection:
    """Parse one message in input or reply form; never raises.

    Line ends are read by ``checks.line_ends``. Query fields and record fields come back in
    canonical order. A refused input gives a ``Rejection`` with its ER reason.
    """
    try:
        return _parse(raw)
    except Exception:  # pragma: no cover - the fuzz tests assert this never happens
        # A parser bug must still answer with an ER, never take the switch down.
        original = checks.line_ends(raw[:202]) if isinstance(raw, str) else ""
        return checks.fault(ErReason.INVALID_FORMAT, INTERNAL_ERROR).reject(original)


def _parse(raw: str) -> Message | Rejection:
    # Refuse an oversize input before reading it; responses may carry a photo (MAX_REPLY).
    if len(raw) > MAX_MESSAGE and (len(raw) > MAX_REPLY or not raw.startswith(_LONG_PREFIXES)):
        mke = MKES.get(raw[:2]) if raw[2:3] == "." else None
        too_long = checks.size_fault(mke, len(raw)) or checks.fault(ErReason.MESSAGE_TOO_LONG)
        # Enough to quote 100 characters once CR LF is read as LF (fewer after a run of CRs).
        return too_long.reject(checks.line_ends(raw[:202]))
    text = checks.line_ends(raw)
    head = _INPUT_HEAD_RE.match(text)
    if head is not None:
        return _parse_input(head, text)
    return _parse_slow(text)


def _parse_input(head: re.Match[str], text: str) -> Message | Rejection:
    """The fast path: the header regex matched, so every field has the right shape."""
    key, ori, listed, control = head.groups()
    destinations = tuple(listed[1:].split(".")) if listed else ()
    header = Header(MKES[key], ori, destinations, control)
    # The region prefixes and the rules remain; a prefix fault is named by the full check.
    if ori[:2] in REGION_CODES and (
        REGION_CODES.issuperset(destinations) or all(d[:2] in REGION_CODES for d in destinations)
    ):
        problem = checks.header_rules_fault(header, reply=False)
    else:
        problem = checks.header_fault(header, reply=False)
    if problem is not None:
        if not checks.valid_ori(ori):
            # As the slow path: nothing after a bad sender is read, the control field neither.
            return problem.reject(text)
        return problem.reject(text, ori, control)
    return _body(header, None, text[head.end() :], text)


def _parse_slow(text: str) -> Message | Rejection:
    """Field by field: any input the fast path did not match, replies, and every fault."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    parts = first.split(".")
    mke = MKES.get(parts[0])
    if mke is None:
        return checks.fault(ErReason.INVALID_HEADER, "MESSAGE KEY NOT KNOWN").reject(text)
    if len(parts) < 2 or not checks.valid_ori(parts[1]):
        return checks.fault(ErReason.INVALID_HEADER, "SENDING ORI NOT VALID").reject(text)
    ori = parts[1]
    txt = _txt_index(parts)
    if txt is None:
        lines = text.split("\n", _REPLY_LINES)
        if len(lines) > 1 and _RECEIVED_RE.fullmatch(lines[1]):
            return _parse_reply(mke, ori, parts, lines, text)
        return checks.fault(ErReason.TXT_NOT_FOUND).reject(text, ori)
    destinations: list[str] = []
    control: str | None = None
    for position, part in enumerate(parts[2:txt], 3):
        if control is not None:
            detail = f"HEADER FIELD {position} AFTER THE CONTROL FIELD"
            return checks.fault(ErReason.INVALID_HEADER, detail).reject(text, ori)
        if (len(part) == 2 and REGION_CODE_RE.fullmatch(part)) or (
            len(part) == 9 and ORI_RE.fullmatch(part)
        ):
            destinations.append(part)
        elif CONTROL_RE.fullmatch(part):
            control = part
        else:
            detail = f"HEADER FIELD {position} NOT VALID"
            return checks.fault(ErReason.INVALID_HEADER, detail).reject(text, ori)
    header = Header(mke, ori, tuple(destinations), control)
    problem = checks.header_fault(header, reply=False)
    if problem is not None:
        return problem.reject(text, ori, control)
    # The body starts right after "TXT", past one line break if there is one.
    start = sum(len(part) + 1 for part in parts[:txt]) + len(TXT)
    if text.startswith("\n", start):
        start += 1
    return _body(header, None, text[start:], text)


def _txt_index(parts: list[str]) -> int | None:
    """Where ``TXT`` ends the header: a field ``TXT``, or ``TXT`` with the body run on.

    ``TXTX`` is a control field and ``TXTPD0000`` an ORI; ``TXTOLN/X`` is ``TXT`` then a body.
    """
    for index in range(2, len(parts)):
        part = parts[index]
        if part == TXT:
            return index
        if part.startswith(TXT) and not (
            CONTROL_RE.fullmatch(part) or (len(part) == 9 and ORI_RE.fullmatch(part))
        ):
            return index
    return None


def _parse_reply(
    mke: MKE, ori: str, parts: list[str], lines: list[str], text: str
) -> Message | Rejection:
    control = parts[2] if len(parts) == 3 else None
    if len(parts) > 3:
        return checks.fault(ErReason.INVALID_HEADER, "TOO MANY HEADER FIELDS").reject(text, ori)
    if control is not None and not checks.valid_control(control):
        return checks.fault(ErReason.INVALID_HEADER, "CONTROL FIELD NOT VALID").reject(text, ori)
    received_match = _RECEIVED_RE.fullmatch(lines[1])
    sent_match = _SENT_RE.fullmatch(lines[2]) if len(lines) > 2 else None
    received = _time(received_match)
    sent = _time(sent_match)
    if received_match is None or sent_match is None or received is None or sent is None:
        detail = "OUTPUT HEADER NOT VALID"
        return checks.fault(ErReason.INVALID_HEADER, detail).reject(text, ori, control)
    if len(lines) < _REPLY_LINES or lines[3] != TXT:
        return checks.fault(ErReason.TXT_NOT_FOUND).reject(text, ori, control)
    recipient = sent_match.group(7)
    header = Header(mke, ori, () if recipient is None else (recipient,), control)
    problem = checks.header_fault(header, reply=True)
    if problem is not None:
        return problem.reject(text, ori, control)
    output = OutputHeader(received, int(received_match.group(6)), sent, int(sent_match.group(6)))
    return _body(header, output, lines[4] if len(lines) > _REPLY_LINES else "", text)


def _time(match: re.Match[str] | None) -> datetime | None:
    if match is None:
        return None
    hour, minute, month, day, year = (int(match.group(n)) for n in range(1, 6))
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None


def _body(header: Header, output: OutputHeader | None, body: str, text: str) -> Message | Rejection:
    mke = header.mke
    result: Message | Fault
    if mke in QUERY_KEYS:
        result = _query(header, body)
    elif mke in RESPONSE_KEYS:
        result = _response(header, output, body)
    elif mke is MKE.ER:
        result = _error(header, output, body)
    else:
        lines = tuple(body.split("\n")) if body else ()
        result = checks.text_fault(lines) or (
            AdminMessage(header, lines, output)
            if mke is MKE.AM
            else StatusMessage(header, lines, output)
        )
    if isinstance(result, Fault):
        return result.reject(text, header.ori, header.control)
    return result


def _query(header: Header, body: str) -> Query | Fault:
    # Agencies' systems often end a message with a line break; a query body is one line.
    if body.endswith("\n"):
        body = body[:-1]
    if not body:
        return checks.fault(ErReason.FIELDS_MISSING)
    if "\n" in body:
        return checks.fault(ErReason.INVALID_FORMAT, "QUERY FIELDS GO ON ONE LINE")
    pairs: list[tuple[str, str]] = []
    for position, part in enumerate(body.split("."), 1):
        tag, slash, value = part.partition("/")
        if not slash:
            return checks.fault(ErReason.INVALID_FORMAT, f"FIELD {position} NOT TAG/VALUE")
        pairs.append((tag, value))
    fields = checks.query_fields(header.mke, pairs)
    return fields if isinstance(fields, Fault) else Query(header, fields)


def _response(header: Header, output: OutputHeader | None, body: str) -> Response | Fault:
    lines = body.split("\n") if body else []
    records: list[Fields] = []
    for line in lines:
        if RECORD_LINE_RE.fullmatch(line) is None:
            break
        record = checks.record_fields([_pair(part) for part in line.split(".")])
        if isinstance(record, Fault):
            return record
        records.append(record)
    text = tuple(lines[len(records) :])
    problem = checks.notes_fault(records, text)
    return problem or Response(header, tuple(records), text, output)


def _pair(part: str) -> tuple[str, str]:
    tag, _, value = part.partition("/")
    return tag, value


def _error(header: Header, output: OutputHeader | None, body: str) -> ErrorMessage | Fault:
    lines = body.split("\n")
    # The quote runs from the first ORIGINAL MESSAGE line to the end, line breaks and all.
    end = lines.index(ORIGINAL_MESSAGE, 1) if ORIGINAL_MESSAGE in lines[1:] else -1
    if end < 0:
        return checks.fault(ErReason.INVALID_FORMAT, f"{ORIGINAL_MESSAGE} NOT FOUND")
    match = _ER_FIRST_RE.fullmatch(lines[0])
    reason = _reason(match.group(1)) if match else None
    if match is None or reason is None:
        return checks.fault(ErReason.INVALID_FORMAT, "ER REASON NOT VALID")
    rest = match.group(2)
    if rest == reason.text:
        detail = tuple(lines[1:end])
    elif rest.startswith(f"{reason.text} - "):
        detail = (rest[len(reason.text) + 3 :], *lines[1:end])
    else:
        return checks.fault(ErReason.INVALID_FORMAT, "ER REASON NOT VALID")
    original = "\n".join(lines[end + 1 :])
    problem = checks.error_fault(detail, original)
    return problem or ErrorMessage(header, reason, detail, original, output)


def _reason(number: str) -> ErReason | None:
    try:
        return ErReason.from_number(int(number))
    except ValueError:
        return None


# Encoding -----------------------------------------------------------------------------------


def encode(message: Message) -> str:
    """The canonical text of a message: input form, or reply form when it has an output header.

    The message is assumed valid (``checks.check_message``); encoding never checks it.
    """
    header = message.header
    output = None if isinstance(message, Query) else message.output
    key = [header.mke.value, header.ori]
    if output is None:
        key.extend(header.destinations)
        if header.control is not None:
            key.append(header.control)
        key.append(TXT)
        head = ".".join(key)
    else:
        if header.control is not None:
            key.append(header.control)
        recipient = f" {header.destinations[0]}" if header.destinations else ""
        head = "\n".join(
            (
                ".".join(key),
                f"{_stamp(output.received)} {output.input_seq:05d}",
                f"{_stamp(output.sent)} {output.output_seq:05d}{recipient}",
                TXT,
            )
        )
    return f"{head}\n{_encode_body(checks.canonical(message))}"


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    # Fields, not strftime: a reply carries two stamps, and strftime costs nearly twice as much.
    return (
        f"{moment.hour:02d}:{moment.minute:02d} "
        f"{moment.month:02d}/{moment.day:02d}/{moment.year:04d}"
    )


def _fields(fields: Fields) -> str:
    return ".".join(f"{tag}/{value}" for tag, value in fields)


def _encode_body(message: Message) -> str:
    if isinstance(message, Query):
        return _fields(message.fields)
    if isinstance(message, Response):
        return "\n".join((*(_fields(r) for r in message.records), *message.text))
    if isinstance(message, ErrorMessage):
        reason = message.reason
        first = f"{reason.code} {reason.text}"
        if message.detail:
            first = f"{first} - {message.detail[0]}"
        return "\n".join((first, *message.detail[1:], ORIGINAL_MESSAGE, message.original))
    return "\n".join(message.text)


def error_message(rejection: Rejection) -> ErrorMessage:
    """The ER the switch sends for a rejection, before it stamps the output header.

    The quote is re-read as the parsers quote (``\r\n`` as ``\n``), so that an ER built from a
    ``Rejection.of(reason, raw)`` made elsewhere is as valid as one from ``parse``.
    """
    destinations = (rejection.ori,) if rejection.ori else ()
    header = Header(MKE.ER, SWITCH_ORI, destinations, rejection.control)
    original = checks.quote(checks.line_ends(rejection.original))
    return ErrorMessage(header, rejection.reason, rejection.detail, original)
