"""docs/wire.md stays honest: every ER reason, query tag and response tag is in its tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from stateline.wire.errors import ErReason
from stateline.wire.grammar import COMBINATIONS, MKE, QUERY_TAGS, RESPONSE_TAGS

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
