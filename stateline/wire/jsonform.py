"""The JSON form of a message, read and written with the same model and checks as the text form."""

# A query reads {"mke": "DQ", "ori": ..., "destinations": [...], "control": null, "fields":
# {"OLN": ...}}; replies add "output" and their body keys. docs/wire.md shows every shape, and
# json_schema() (published as docs/message.schema.json) describes it.

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stateline.wire import checks, text
from stateline.wire.checks import MKES, Fault
from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import (
    MAX_MESSAGE,
    MAX_REPLY,
    MKE,
    QUERY_KEYS,
    REPEATABLE_RESPONSE_TAGS,
    RESPONSE_KEYS,
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
from stateline.wire.schema import json_schema

__all__ = ["MAX_JSON", "encode_json", "from_dict", "json_schema", "parse_json", "to_dict"]

MAX_JSON = 2 * MAX_REPLY
"""Longest JSON input read at all (Stateline); the text-form limits then apply to the message."""

_HEADER_KEYS = ("mke", "ori", "destinations", "control")
_BODY_KEYS: dict[MKE, tuple[str, ...]] = {
    **{key: ("fields",) for key in QUERY_KEYS},
    **{key: ("output", "records", "text") for key in RESPONSE_KEYS},
    MKE.AM: ("output", "text"),
    MKE.SM: ("output", "text"),
    MKE.ER: ("output", "reason", "detail", "original"),
}
_ALLOWED = {key: frozenset(_HEADER_KEYS + body) for key, body in _BODY_KEYS.items()}
_OUTPUT_KEYS = ("received", "input_seq", "sent", "output_seq")
_TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})")


class _Repeated(dict[str, Any]):
    """A JSON object that named a key twice; the checks refuse it where it stands.

    It keeps every pair, so a query field given twice is refused as the text form refuses it.
    """

    pairs: list[tuple[str, Any]]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    repeated = _Repeated(result)
    repeated.pairs = pairs
    return repeated


# Built once: json.loads with a hook would build a decoder on every call.
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_hook)


# Encoding -----------------------------------------------------------------------------------


def to_dict(message: Message) -> dict[str, Any]:
    """The JSON form as plain data, keys in canonical order (the message is assumed valid)."""
    message = checks.canonical(message)
    header = message.header
    data: dict[str, Any] = {
        "mke": header.mke.value,
        "ori": header.ori,
        "destinations": list(header.destinations),
        "control": header.control,
    }
    if isinstance(message, Query):
        data["fields"] = dict(message.fields)
        return data
    output = message.output
    data["output"] = None if output is None else _output_dict(output)
    if isinstance(message, Response):
        data["records"] = [_record_dict(record) for record in message.records]
        data["text"] = list(message.text)
    elif isinstance(message, ErrorMessage):
        data["reason"] = message.reason.number
        data["detail"] = list(message.detail)
        data["original"] = message.original
    else:
        data["text"] = list(message.text)
    return data


def _output_dict(output: OutputHeader) -> dict[str, Any]:
    return {
        "received": _stamp(output.received),
        "input_seq": output.input_seq,
        "sent": _stamp(output.sent),
        "output_seq": output.output_seq,
    }


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M}"


def _record_dict(record: Fields) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for tag, value in record:
        if tag in REPEATABLE_RESPONSE_TAGS:
            data.setdefault(tag, []).append(value)
        else:
            data[tag] = value
    return data


def encode_json(message: Message) -> str:
    """Canonical JSON: compact, keys in a fixed order, non-ASCII characters as they are."""
    return json.dumps(to_dict(message), ensure_ascii=False, separators=(",", ":"))


# Parsing ------------------------------------------------------------------------------------


def parse_json(raw: str | bytes) -> Message | Rejection:
    """Parse the JSON form; never raises. Bytes must be UTF-8."""
    if not isinstance(raw, str | bytes):
        return checks.fault(ErReason.INVALID_HEADER, "NOT A JSON MESSAGE").reject("")
    try:
        if len(raw) > MAX_JSON:
            too_long = checks.fault(ErReason.MESSAGE_TOO_LONG, f"LONGEST JSON IS {MAX_JSON}")
            return too_long.reject(_quote_raw(raw))
        source = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = _DECODER.decode(source)
    except (ValueError, RecursionError):
        # Not UTF-8, not JSON, or nested too deep: nothing of the header can be read.
        return checks.fault(ErReason.INVALID_HEADER, "NOT A JSON MESSAGE").reject(_quote_raw(raw))
    return _from_dict(data, lambda: source, len(source))


def _quote_raw(raw: str | bytes) -> str:
    # 808 bytes hold at least 202 characters of UTF-8 (at most 4 bytes each).
    head = raw[:808].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:202]
    return checks.line_ends(head)


def from_dict(data: object) -> Message | Rejection:
    """Build a message from JSON data (as ``json.loads`` returns it); never raises."""
    return _from_dict(data, lambda: _dump(data), None)


def _dump(data: object) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return f"<{type(data).__name__}>"


def _from_dict(data: object, original: Callable[[], str], size: int | None) -> Message | Rejection:
    try:
        result = _build(data, size)
    except Exception:  # pragma: no cover - the fuzz tests assert this never happens
        result = checks.fault(ErReason.INVALID_FORMAT, text.INTERNAL_ERROR), None, None
    if isinstance(result, tuple):
        problem, ori, control = result
        return problem.reject(checks.line_ends(original()), ori, control)
    return result


_Failure = tuple[Fault, str | None, str | None]


def _build(data: object, size: int | None) -> Message | _Failure:
    """The message, or the fault with the sender and control field when they were readable.

    ``size`` is the length of the JSON text, when there was one.
    """
    if not isinstance(data, dict) or isinstance(data, _Repeated):
        return _header("NOT A JSON OBJECT WITH ONE VALUE PER KEY")
    mke = MKES.get(data["mke"]) if isinstance(data.get("mke"), str) else None
    if mke is None:
        return _header("MESSAGE KEY NOT KNOWN")
    ori = data.get("ori")
    if not isinstance(ori, str) or not checks.valid_ori(ori):
        return _header("SENDING ORI NOT VALID")
    control = data.get("control")
    destinations = data.get("destinations")
    output_data = data.get("output")
    if control is not None and not isinstance(control, str):
        return _header("CONTROL FIELD NOT VALID", ori)
    if not isinstance(destinations, list | tuple) or not all(
        isinstance(d, str) for d in destinations
    ):
        return _header("DESTINATIONS NOT A LIST OF TEXT", ori, control)
    if mke in QUERY_KEYS and output_data is not None:
        return _header("A QUERY HAS NO OUTPUT HEADER", ori, control)
    output = None if output_data is None else _output(output_data)
    if isinstance(output, Fault):
        return output, ori, control
    header = Header(mke, ori, tuple(destinations), control)
    problem = checks.header_fault(header, reply=output is not None)
    if problem is None:
        extra = set(data).difference(_ALLOWED[mke])
        if extra:
            problem = checks.fault(ErReason.INVALID_FORMAT, "UNKNOWN KEY IN MESSAGE")
    if problem is not None:
        return problem, ori, header.control
    body = _body(header, output, data)
    if isinstance(body, Fault):
        return body, ori, header.control
    # The text form's limit, measured on the text the message would be. That text is never
    # longer than 1.5 times the JSON (a value in a PAD list costs 3 characters, in text 5),
    # so short JSON needs no encoding to tell.
    if size is not None and 2 * size <= MAX_MESSAGE:
        return body
    too_long = checks.size_fault(mke, len(text.encode(body)))
    return body if too_long is None else (too_long, None, None)


def _header(detail: str, ori: str | None = None, control: object = None) -> _Failure:
    fault = checks.fault(ErReason.INVALID_HEADER, detail)
    return fault, ori, control if isinstance(control, str) else None


def _output(data: object) -> OutputHeader | Fault:
    problem = checks.fault(ErReason.INVALID_HEADER, "OUTPUT HEADER NOT VALID")
    if not isinstance(data, dict) or isinstance(data, _Repeated) or set(data) != set(_OUTPUT_KEYS):
        return problem
    received, sent = _time(data["received"]), _time(data["sent"])
    input_seq, output_seq = data["input_seq"], data["output_seq"]
    if received is None or sent is None or type(input_seq) is not int:
        return problem
    if type(output_seq) is not int:
        return problem
    output = OutputHeader(received, input_seq, sent, output_seq)
    return checks.output_fault(output) or output


def _time(value: object) -> datetime | None:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None


def _body(header: Header, output: OutputHeader | None, data: dict[str, Any]) -> Message | Fault:
    mke = header.mke
    if mke in QUERY_KEYS:
        fields = data.get("fields")
        if fields is None or fields == {}:
            return checks.fault(ErReason.FIELDS_MISSING)
        pairs = _text_pairs(fields)
        if pairs is None:
            return checks.fault(ErReason.INVALID_FORMAT, "FIELDS NOT AN OBJECT OF TEXT")
        checked = checks.query_fields(mke, pairs)
        return checked if isinstance(checked, Fault) else Query(header, checked)
    if mke is MKE.ER:
        return _error(header, output, data)
    lines = _lines(data.get("text", []))
    if lines is None:
        return checks.fault(ErReason.INVALID_FORMAT, "TEXT NOT A LIST OF LINES")
    if mke in RESPONSE_KEYS:
        return _response(header, output, data.get("records", []), lines)
    problem = checks.text_fault(lines)
    if problem is not None:
        return problem
    if mke is MKE.AM:
        return AdminMessage(header, lines, output)
    return StatusMessage(header, lines, output)


def _text_pairs(data: object) -> list[tuple[str, str]] | None:
    if not isinstance(data, dict):
        return None
    pairs = data.pairs if isinstance(data, _Repeated) else list(data.items())
    return pairs if all(isinstance(value, str) for _tag, value in pairs) else None


def _lines(data: object) -> tuple[str, ...] | None:
    if not isinstance(data, list | tuple) or not all(isinstance(line, str) for line in data):
        return None
    return tuple(data)


def _response(
    header: Header, output: OutputHeader | None, data: object, lines: tuple[str, ...]
) -> Response | Fault:
    if not isinstance(data, list | tuple):
        return checks.fault(ErReason.INVALID_FORMAT, "RECORDS NOT A LIST")
    records: list[Fields] = []
    for item in data:
        pairs = _record_pairs(item)
        if pairs is None:
            return checks.fault(ErReason.INVALID_FORMAT, "RECORD NOT AN OBJECT OF TEXT")
        record = checks.record_fields(pairs)
        if isinstance(record, Fault):
            return record
        records.append(record)
    problem = checks.notes_fault(records, lines)
    return problem or Response(header, tuple(records), lines, output)


def _record_pairs(data: object) -> list[tuple[str, str]] | None:
    """A record's pairs: repeatable tags hold a non-empty list, the others one string."""
    if not isinstance(data, dict) or isinstance(data, _Repeated):
        return None
    pairs: list[tuple[str, str]] = []
    for tag, value in data.items():
        if tag in REPEATABLE_RESPONSE_TAGS:
            if not isinstance(value, list) or not value:
                return None
            if not all(isinstance(item, str) for item in value):
                return None
            pairs.extend((tag, item) for item in value)
        elif isinstance(value, str):
            pairs.append((tag, value))
        else:
            return None
    return pairs


def _error(header: Header, output: OutputHeader | None, data: dict[str, Any]) -> Message | Fault:
    number = data.get("reason")
    detail = _lines(data.get("detail", []))
    original = data.get("original")
    reason = None
    if type(number) is int:
        try:
            reason = ErReason.from_number(number)
        except ValueError:
            reason = None
    if reason is None:
        return checks.fault(ErReason.INVALID_FORMAT, "ER REASON NOT VALID")
    if detail is None or not isinstance(original, str):
        return checks.fault(ErReason.INVALID_FORMAT, "ER DETAIL OR ORIGINAL NOT VALID")
    problem = checks.error_fault(detail, original)
    return problem or ErrorMessage(header, reason, detail, original, output)
