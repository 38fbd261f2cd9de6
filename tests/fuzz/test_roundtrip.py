"""Generated valid messages of every key survive both encodings, and the two agree."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from stateline.wire import checks, jsonform, text
from stateline.wire.errors import Rejection
from stateline.wire.messages import Message, Query

from .strategies import FUZZ, messages, queries

_validator = jsonschema.Draft202012Validator(jsonform.json_schema())


@FUZZ
@given(messages)
def test_generated_messages_are_valid(message: Message) -> None:
    assert checks.check_message(message) is None


@FUZZ
@given(messages)
def test_text_round_trip(message: Message) -> None:
    encoded = text.encode(message)
    assert text.parse(encoded) == message
    assert text.encode(text.parse(encoded)) == encoded  # type: ignore[arg-type]


@FUZZ
@given(messages)
def test_json_round_trip(message: Message) -> None:
    encoded = jsonform.encode_json(message)
    assert jsonform.parse_json(encoded) == message
    assert jsonform.parse_json(encoded.encode()) == message
    assert jsonform.from_dict(jsonform.to_dict(message)) == message
    assert jsonform.encode_json(jsonform.parse_json(encoded)) == encoded  # type: ignore[arg-type]
    _validator.validate(json.loads(encoded))


@FUZZ
@given(queries(), st.randoms(use_true_random=False))
def test_any_field_order_parses_to_the_canonical_query(query: Query, rng: object) -> None:
    fields = list(query.fields)
    rng.shuffle(fields)  # type: ignore[attr-defined]
    shuffled = replace(query, fields=tuple(fields))
    raw = (
        ".".join(
            (
                query.header.mke,
                query.header.ori,
                *query.header.destinations,
                *([query.header.control] if query.header.control else []),
                "TXT",
            )
        )
        + "\n"
        + ".".join(f"{t}/{v}" for t, v in fields)
    )
    assert text.parse(raw) == query
    assert text.parse(text.encode(shuffled)) == query
    assert checks.canonical(shuffled) == query


# Values that keep the text form's structure (no period, no line break), so that the text and
# JSON forms carry the very same fault.
_bad_values = st.text(
    st.characters(exclude_characters=".\n\r", exclude_categories=["Cs"]), max_size=40
)


@FUZZ
@given(queries(), st.data())
def test_text_and_json_refuse_a_fault_alike(query: Query, data: st.DataObject) -> None:
    fields = list(query.fields)
    at = data.draw(st.integers(0, len(fields) - 1))
    tag = data.draw(st.sampled_from([fields[at][0], "OLN", "VIN", "DOB", "XYZ"]))
    fields[at] = (tag, data.draw(_bad_values))
    broken = replace(query, fields=tuple(fields))
    from_text = text.parse(text.encode(broken))
    document = jsonform.to_dict(query)
    document["fields"] = dict(fields)
    if len(document["fields"]) != len(fields):
        return  # a repeated tag cannot be written as a JSON object
    from_json = jsonform.from_dict(document)
    if isinstance(from_text, Rejection):
        assert isinstance(from_json, Rejection)
        assert (from_text.reason, from_text.detail, from_text.ori) == (
            from_json.reason,
            from_json.detail,
            from_json.ori,
        )
    else:
        assert from_json == from_text
