"""Any JSON value, text or bytes parses to a valid message or a numbered ER; never raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stateline.wire import jsonform
from stateline.wire.grammar import MKE

from .invariants import assert_answer
from .strategies import FUZZ, messages

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
# Objects that get past the first checks more often than arbitrary values do.
_near = st.fixed_dictionaries(
    {
        "mke": st.sampled_from([key.value for key in MKE]) | _scalars,
        "ori": st.sampled_from(["AZNLETS20", "NL0000000", "ZZ0000000"]) | _scalars,
        "destinations": st.lists(st.sampled_from(["NY", "NL", "AZNLETS20", "ZZ"]), max_size=6)
        | json_values,
    },
    optional={
        "control": st.none() | st.text(max_size=12),
        "output": json_values,
        "fields": st.dictionaries(
            st.sampled_from(["OLN", "NAM", "DOB", "SEX", "LIC", "XYZ"]),
            st.text(max_size=12) | _scalars,
        ),
        "records": json_values,
        "text": json_values,
        "reason": st.integers(0, 50) | _scalars,
        "detail": json_values,
        "original": json_values,
    },
)


@FUZZ
@given(json_values | _near)
def test_any_json_value(data: Any) -> None:
    assert_answer(jsonform.from_dict(data), form="json")
    assert_answer(jsonform.parse_json(json.dumps(data)), form="json")


@FUZZ
@given(st.binary() | st.text())
def test_any_bytes_or_text(raw: bytes | str) -> None:
    assert_answer(jsonform.parse_json(raw), form="json")


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    raw = jsonform.encode_json(draw(messages))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if action == "delete":
            raw = raw[:at] + raw[at + 1 :]
        elif action == "duplicate":
            raw = raw[: at + 1] + raw[at:]
        else:
            raw = raw[:at] + draw(st.sampled_from('{}[]",:0 ."\\nA')) + raw[at:]
    return raw


@FUZZ
@given(_mutated())
def test_mutated_json(raw: str) -> None:
    assert_answer(jsonform.parse_json(raw), form="json")


@FUZZ
@given(messages, st.data())
def test_one_value_replaced(message: Any, data: st.DataObject) -> None:
    document = jsonform.to_dict(message)
    key = data.draw(st.sampled_from(sorted(document)))
    document[key] = data.draw(json_values)
    assert_answer(jsonform.from_dict(document), form="json")


def test_deep_nesting_and_odd_types() -> None:
    for raw in ("[" * 100_000, '{"a":' * 50_000, "1" * 5000):
        assert_answer(jsonform.parse_json(raw), form="json")
    for odd in (object(), {1, 2}, b"x", float("nan")):
        assert_answer(jsonform.from_dict(odd), form="json")
