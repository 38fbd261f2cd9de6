"""What the ledger needs of a database: one log's tables, the journal, and the writer.

The ledger owns these protocols and types against them; ``stateline.storage.ledger`` implements
them and ``stateline.bootstrap`` hands them in. The statements a store builds for a write
(:data:`Work`) are opaque here: the ledger gathers those of one transaction and passes them to
the database's writer as they came. Every method raises
:class:`~stateline.ledger.errors.LedgerUnavailable` when the database fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

EntryRow = tuple[int, bytes | None, bytes]
"""An entry row: index, body (``None`` once removed), leaf hash."""
JournalRow = tuple[str, int, bytes, bytes, str]
"""A journaled entry: its log's origin, index, body, leaf hash and subject tags."""
Journaled = tuple[int, bytes, bytes, str]
"""A journaled entry as read back for one log: index, body, leaf hash, subject tags."""
Work = Any
"""One statement of a write transaction, as a store builds it, for its database's writer."""


class LedgerWriter(Protocol):
    """The one connection a database's appends go through."""

    def transaction(self, work: Sequence[Work]) -> None:
        """Run ``work`` as one transaction, committed (on disk) when this returns."""
        ...

    def close(self) -> None: ...


class Journal(Protocol):
    """The journal of one ledger database: entries durable but not yet in their log's tree."""

    def create_schema(self) -> None: ...

    def append_work(self, rows: Sequence[JournalRow]) -> list[Work]: ...

    def settle_work(self, log: str, start: int, below: int) -> list[Work]:
        """Removing ``log``'s journaled entries ``[start, below)``, folded into its tree in the
        same transaction."""
        ...

    def remove_work(self, log: str, indexes: Sequence[int]) -> list[Work]:
        """Removing ``log``'s journaled entries at ``indexes`` (appended again elsewhere)."""
        ...

    def pending(self, log: str, start: int) -> list[Journaled]:
        """``log``'s journaled entries from index ``start``, in index order."""
        ...

    def orphans(self, log: str, below: int) -> list[Journaled]:
        """``log``'s journaled entries at indexes below ``below``, which its tree holds already."""
        ...


class LedgerDatabase(Protocol):
    """A database of ledgers as its writer thread sees it: its journal and a connection."""

    def journal(self) -> Journal: ...

    def writer(self) -> LedgerWriter:
        """A connection of its own; one writer serves every ledger of the database."""
        ...


class LedgerStore(Protocol):
    """The tables of one log: what the ledger reads, and the statements that write them."""

    remembered: dict[tuple[int, int], bytes]
    """Complete subtree hashes read before, by ``(level, index)``: they never change."""

    def create_schema(self) -> None:
        """Create the log's tables if they do not exist."""
        ...

    def database(self) -> LedgerDatabase:
        """The database the log's tables are in."""
        ...

    def reopener(self) -> Callable[[], LedgerStore] | None:
        """A picklable way for another process to open the same tables (``None`` when no
        other process can reach them: an in-memory database)."""
        ...

    def close(self) -> None:
        """Release the connections the store reads with."""
        ...

    # Reads --------------------------------------------------------------------------------

    def head(self) -> tuple[int, str] | None:
        """The log's own signed head: its size and checkpoint note, if it has one."""
        ...

    def end(self) -> int:
        """One past the highest entry index stored (0 for an empty log)."""
        ...

    def entry(self, index: int) -> EntryRow | None: ...

    def entries(self, lo: int, hi: int) -> list[EntryRow]:
        """Entry rows with ``lo <= idx < hi``, in index order."""
        ...

    def stream_entries(
        self, end: int, chunk: int = ..., start: int = ...
    ) -> Iterator[list[EntryRow]]:
        """Entry rows ``[start, end)`` in index order, ``chunk`` indexes at a time."""
        ...

    def held_from(self) -> int | None:
        """The index of the first entry whose body is still held (``None``: no body held)."""
        ...

    def for_subject(self, subject: int) -> list[EntryRow]:
        """The entries naming a subject with tag ``subject``."""
        ...

    def subjects_between(self, lo: int, hi: int) -> set[tuple[int, int]]:
        """The ``(entry index, subject tag)`` pairs of entries ``[lo, hi)``."""
        ...

    def leaf_hashes(self, indexes: set[int]) -> dict[int, bytes]:
        """The leaf hashes of the entries at ``indexes`` that are stored, in one read."""
        ...

    def node_hashes(self, keys: set[int]) -> dict[int, bytes]:
        """The hashes of the stored tree nodes with ``keys`` that are stored, in one read."""
        ...

    def stream_nodes(
        self, end: int, chunk: int = ..., start: int = ...
    ) -> Iterator[list[tuple[int, bytes]]]:
        """Stored nodes completed by leaves ``[start, end)``, in key order."""
        ...

    def beyond(self, size: int) -> tuple[int, list[int], list[int]]:
        """What is stored for leaves from ``size`` on: the end of the entries, the entries
        that subject rows name, and the keys of tree nodes there, in order."""
        ...

    def checkpoints(self) -> list[tuple[int, int, int, str]]:
        """Every published checkpoint: id, size, signing time (POSIX s), note; by size."""
        ...

    def cosignatures(self) -> list[tuple[int, str, int, str]]:
        """Every stored cosignature: checkpoint id, witness vkey, time, signature line."""
        ...

    def witnessed(self, origin: str) -> tuple[int, str] | None:
        """The last checkpoint this node cosigned for ``origin``, as a witness."""
        ...

    def remember_witnessed(self, origin: str, size: int, note: str) -> None:
        """Record the checkpoint this node just cosigned for ``origin``."""
        ...

    # Writes -------------------------------------------------------------------------------

    def append_work(
        self,
        rows: Sequence[EntryRow],
        subject_rows: Sequence[tuple[int, int, int]],
        node_rows: Sequence[tuple[int, bytes]],
        size: int,
        note: str,
        first: bool,
    ) -> list[Work]:
        """Entries, their subject rows, the completed tree nodes and the new signed head: the
        statements of one fold."""
        ...

    def checkpoint_work(self, size: int, signed_at: int, note: str) -> list[Work]:
        """Storing a published checkpoint."""
        ...

    def cosignature_work(
        self, checkpoint_id: int, witness: str, cosigned_at: int, line: str
    ) -> list[Work]:
        """Storing a witness's cosignature of a stored checkpoint."""
        ...

    def prune(self, through: int) -> int:
        """Drop the bodies and subject rows of entries before index ``through``; leaf hashes
        stay. Returns how many bodies were dropped."""
        ...
