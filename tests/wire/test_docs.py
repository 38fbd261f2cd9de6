"""docs/wire.md stays honest: every ER reason, query tag, response tag, vocabulary value and
legacy purpose code is in its tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from stateline.wire import text
from stateline.wire.errors import ErReason
from stateline.wire.grammar import (
    COMBINATIONS,
    LEGACY_PURPOSES,
    LIST_TAGS,
    MKE,
    PROCESS_KINDS,
    QUERY_TAGS,
    RESPONSE_TAGS,
    STATED_PURPOSES,
)
from stateline.wire.messages import Query

DOC = (Path(__file__).parents[2] / "docs" / "wire.md").read_text()


@pytest.mark.parametrize("reason", list(ErReason), ids=lambda reason: reason.code)
def test_every_er_reason_is_in_the_table(reason: ErReason) -> None:
    assert f"| `{reason.code}` | {reason.text} |" in DOC


@pytest.mark.parametrize("tag", list(QUERY_TAGS))
def test_every_query_tag_is_in_the_table(tag: str) -> None:
    assert f"| `{tag}/` | {QUERY_TAGS[tag]} |" in DOC


@pytest.mark.parametrize("tag", list(RESPONSE_TAGS))
def test_every_response_tag_is_in_the_table_with_its_data_class(tag: str) -> None:
    data_class = RESPONSE_TAGS[tag]
    assert f"| `{tag}/` | {data_class.value if data_class else '(none)'} |" in DOC


@pytest.mark.parametrize("mke", list(COMBINATIONS))
def test_every_query_key_has_its_combinations(mke: MKE) -> None:
    alternatives = [" + ".join(f"`{tag}`" for tag in combo) for combo in COMBINATIONS[mke]]
    assert f"| {mke} | {', or '.join(alternatives)} |" in DOC


def test_every_legacy_purpose_is_in_the_table() -> None:
    block = DOC.split("<!-- legacy purposes:")[1].split("<!-- end legacy purposes -->")[0]
    rows = [line for line in block.splitlines()[3:] if line.startswith("|")]  # after the head
    documented = {tuple(cell.strip(" `") for cell in row.split("|")[1:4:2]) for row in rows}
    assert documented == {(f"{t}/{c}", p.value) for (t, c), p in LEGACY_PURPOSES.items()}


@pytest.mark.parametrize("tag", ["PRP", "LPK", *LIST_TAGS])
def test_every_vocabulary_value_is_listed(tag: str) -> None:
    values = {"PRP": STATED_PURPOSES, "LPK": PROCESS_KINDS, **LIST_TAGS}[tag]
    (row,) = [
        line
        for line in DOC.splitlines()
        if line.startswith(f"| `{tag}/` | ") and "`" in line.split("|")[3]
    ]
    assert row.split("|")[3].strip(" `").split() == list(values)


def test_the_example_with_legal_process_parses() -> None:
    start = DOC.index("  DQ.AZNLETS20.AZ.TXT")
    example = "\n".join(line.strip() for line in DOC[start:].splitlines()[:2])
    query = text.parse(example)
    assert isinstance(query, Query), query
    assert query.get("LPS") == "ADDRESS"
