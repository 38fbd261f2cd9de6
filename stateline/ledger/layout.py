"""How a log is kept in rows: entries, subject tags, and which tree nodes are stored under what key.

The ledger builds the rows and its stores keep them as given, so the layout is the ledger's:
the verifier checks the stored nodes against the entries, and a look-up by subject reads the
rows the ledger wrote.
"""

from __future__ import annotations

from stateline.ledger.entries import Entry, EntryError, encode
from stateline.ledger.merkle import leaf_hash

STRIDE = 3
"""Interior nodes are stored at levels that are multiples of this."""
BUCKET_BITS = 12
"""Subject rows are grouped by ``idx >> BUCKET_BITS``: 4,096 entries a bucket.

Rows within a bucket are ordered by tag, so a fold writes its rows at random places in the
bucket it fills: the smaller the bucket, the fewer pages each fold rewrites, while a look-up
still costs only one index seek per bucket (docs/ledger.md)."""


def node_key(level: int, index: int) -> int:
    """The stored key of complete subtree ``(level, index)``: the index of its last leaf,
    times 64, plus its level, so keys sort in the order appends complete the nodes."""
    return ((((index + 1) << level) - 1) << 6) | level


def subject_tag(subject_key: str) -> int:
    """The integer a subject key is indexed by: its first 60 bits (15 hex digits), which fit
    a signed 64-bit column on every database.

    Tags may collide (rarely); look-ups decode the entries found and keep those that name the
    whole key.
    """
    return int(subject_key[:15], 16)


Row = tuple[tuple[int, ...], bytes, bytes]
"""An entry as the writer stores it: its subject tags, canonical bytes and leaf hash."""
_HEX_DIGITS = "0123456789abcdef"


def entry_row(entry: Entry) -> Row:
    """An entry as the writer stores it: its subject tags, canonical bytes and leaf hash."""
    subjects = entry.subjects
    for subject in subjects:  # (str methods: this runs for every entry a node writes)
        if len(subject) != 64 or subject.strip(_HEX_DIGITS):
            raise EntryError("subjects are subject keys: 64 lowercase hex digits")
    body = encode(entry)
    if len(subjects) == 1:
        return (subject_tag(subjects[0]),), body, leaf_hash(body)
    return tuple({subject_tag(s): None for s in subjects}), body, leaf_hash(body)


def journal_tags(tags: tuple[int, ...]) -> str:
    """Subject tags as the journal keeps them: comma-separated."""
    return ",".join(str(t) for t in tags)


def parse_tags(text: str) -> tuple[int, ...]:
    """Subject tags from the journal's text."""
    return tuple(int(t) for t in text.split(",") if t)
