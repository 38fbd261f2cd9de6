"""Least data: a response record keeps only the fields of the data classes released."""

from __future__ import annotations

from stateline.wire.grammar import RESPONSE_TAGS, DataClass
from stateline.wire.messages import Fields


def redact(record: Fields, released: frozenset[DataClass]) -> Fields:
    """Drop every field whose data class was not released; unknown tags never leave."""
    kept = []
    for tag, value in record:
        if tag not in RESPONSE_TAGS:
            continue
        data_class = RESPONSE_TAGS[tag]
        if data_class is None or data_class in released:
            kept.append((tag, value))
    return tuple(kept)


def released_classes(record: Fields) -> frozenset[DataClass]:
    """The data classes a record actually carries (for accounting what left the node)."""
    found = {RESPONSE_TAGS.get(tag) for tag, _ in record}
    return frozenset(c for c in found if c is not None)
