"""The JSON Schema (draft 2020-12) of the message JSON form, built from the grammar tables."""

# It states the shape; the checks (combinations, calendar dates, codes known) stay in checks.
# Every part is written inline, without $ref, so the schema can be embedded as it is (the web
# app places it among its OpenAPI components).

from __future__ import annotations

from typing import Any

from stateline.wire.errors import ORIGINAL_LIMIT, ErReason
from stateline.wire.grammar import (
    CONTROL_RE,
    MAX_DESTINATIONS,
    MAX_SEQUENCE,
    MKE,
    ORI_RE,
    QUERY_KEYS,
    QUERY_TAG_ORDER,
    QUERY_TAGS,
    REPEATABLE_RESPONSE_TAGS,
    RESPONSE_KEYS,
    RESPONSE_TAG_ORDER,
    RESPONSE_VALUE,
    SWITCH_ORI,
    TEXT_LINE_RE,
)

_LINE = f"^{TEXT_LINE_RE.pattern}$"
_ORI = f"^{ORI_RE.pattern}$"


def _string(pattern: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, **more}


def _object(properties: dict[str, Any], required: list[str], **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        **more,
    }


def _lines(**more: Any) -> dict[str, Any]:
    return {"type": "array", "items": _string(_LINE), **more}


def _header(keys: list[MKE], *, reply: bool) -> dict[str, Any]:
    destination = _string(f"^(?:[A-Z]{{2}}|{ORI_RE.pattern})$")
    properties: dict[str, Any] = {
        "mke": {"enum": [key.value for key in keys]},
        "ori": _string(_ORI),
        "destinations": {
            "type": "array",
            "items": destination,
            "maxItems": MAX_DESTINATIONS,
            "uniqueItems": True,
        },
        "control": {"type": ["string", "null"], "pattern": f"^{CONTROL_RE.pattern}$"},
    }
    if reply:
        time = _string(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$")
        sequence = {"type": "integer", "minimum": 0, "maximum": MAX_SEQUENCE}
        output = _object(
            {"received": time, "input_seq": sequence, "sent": time, "output_seq": sequence},
            ["received", "input_seq", "sent", "output_seq"],
        )
        properties["output"] = {"anyOf": [{"type": "null"}, output]}
    return properties


def _query() -> dict[str, Any]:
    fields = {
        tag: {"type": "string", "minLength": 1, "maxLength": QUERY_TAGS[tag]}
        for tag in QUERY_TAG_ORDER
    }
    properties = _header(sorted(QUERY_KEYS), reply=False)
    properties["destinations"]["minItems"] = 1
    properties["fields"] = _object(fields, [], minProperties=1)
    return _object(properties, ["mke", "ori", "destinations", "control", "fields"])


def _response() -> dict[str, Any]:
    value = _string(f"^{RESPONSE_VALUE}$")
    tags = {
        tag: {"type": "array", "items": value, "minItems": 1}
        if tag in REPEATABLE_RESPONSE_TAGS
        else value
        for tag in RESPONSE_TAG_ORDER
    }
    properties = _header(sorted(RESPONSE_KEYS), reply=True)
    properties["records"] = {"type": "array", "items": _object(tags, [], minProperties=1)}
    properties["text"] = _lines()
    required = ["mke", "ori", "destinations", "control", "output", "records", "text"]
    return _object(properties, required)


def _text_message() -> dict[str, Any]:
    properties = _header([MKE.AM, MKE.SM], reply=True)
    properties["text"] = _lines(minItems=1)
    return _object(properties, ["mke", "ori", "destinations", "control", "output", "text"])


def _error() -> dict[str, Any]:
    properties = _header([MKE.ER], reply=True)
    properties["ori"] = {"const": SWITCH_ORI}
    properties["destinations"]["maxItems"] = 1
    properties["reason"] = {"enum": [reason.number for reason in ErReason]}
    properties["detail"] = _lines()
    properties["original"] = {"type": "string", "maxLength": ORIGINAL_LIMIT}
    required = ["mke", "ori", "destinations", "control", "output", "reason", "detail", "original"]
    return _object(properties, required)


def json_schema() -> dict[str, Any]:
    """The schema of every message ``jsonform.encode_json`` writes (a fresh dict each call)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Stateline message",
        "description": "A Nlets-style message in Stateline's JSON form (docs/wire.md).",
        "oneOf": [_query(), _response(), _text_message(), _error()],
    }
