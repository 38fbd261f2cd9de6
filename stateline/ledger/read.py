"""Reading a ledger's entries once each, beside the writer that serves it.

A serving node appends to its journal and later folds the journal into the tree. A reader that
reads the journal first and the tree second sees every entry: one folded between the two reads
is in the tree as read then (read the other way round, it would be in neither). The tree is
read up to the signed head, whose size counts exactly the tree's entries
(:func:`~stateline.ledger.proofs.signed_head`), and the journal beyond it. Nothing is written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from stateline.errors import StorageError
from stateline.ledger.ports import Journal, Journaled, LedgerStore
from stateline.ledger.proofs import signed_head

CHUNK = 10_000
"""Entries read from the tree at a time."""

Entry = tuple[int, bytes | None]
"""An entry as read: its index and its body (``None`` once retention removed it)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A ledger as read at one moment: its signed head, and its entries a batch at a time."""

    head: tuple[int, str] | None  # size and root; None: an empty log
    batches: Iterator[list[Entry]]

    @property
    def size(self) -> int:
        return self.head[0] if self.head is not None else 0

    def entries(self) -> Iterator[Entry]:
        for batch in self.batches:
            yield from batch


def read_once(
    store: LedgerStore,
    journal: Journal | None,
    origin: str,
    start: int = 0,
    stop: int | None = None,
    chunk: int = CHUNK,
) -> Reading:
    """The entries ``[start, stop)`` of the log ``origin`` (to its end when ``stop`` is None),
    each once: the tree's up to its signed head, then the journal's beyond it (durable, not
    folded yet; their indexes are final, the one writer gave them)."""
    journaled: list[Journaled] = []
    if journal is not None:
        with contextlib.suppress(StorageError):  # no journal table: every entry is in the tree
            journaled = journal.pending(origin, start)
    head = signed_head(store)
    size = head[0] if head is not None else 0
    end = size if stop is None else min(size, stop)
    return Reading(head, _batches(store, start, end, stop, journaled, chunk))


def _batches(
    store: LedgerStore,
    start: int,
    end: int,
    stop: int | None,
    journaled: list[Journaled],
    chunk: int,
) -> Iterator[list[Entry]]:
    after = start
    if start < end:
        for rows in store.stream_entries(end, chunk, start):
            yield [(index, body) for index, body, _leaf in rows]
            after = rows[-1][0] + 1
    beyond: list[Entry] = [
        (index, body)
        for index, body, _leaf, _tags in journaled
        if index >= max(after, end) and (stop is None or index < stop)
    ]
    if beyond:
        yield beyond
