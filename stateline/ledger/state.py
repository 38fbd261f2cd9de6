"""A log's state: the tree of its folded entries, their signed head and the entries journaled
beyond it; appends, folds and their failures.

A log is loaded from its tables and checked against its signed head, then kept in memory.
Appends go through the writer thread of its database (``ledger.writer``), which calls back here
to give entries their indexes and to fold them into the tree. A commit that fails leaves the
state to be reloaded from the database; a fold that fails leaves the log refusing appends
(fail closed) until a later one succeeds. Reads fold first, so they see every append that has
returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Self, TypeVar

from stateline.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    parse_note,
    sign_checkpoint,
)
from stateline.ledger.entries import Entry
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import BUCKET_BITS, STRIDE, node_key, parse_tags
from stateline.ledger.merkle import CompactRange, frontier
from stateline.ledger.ports import EntryRow, LedgerStore
from stateline.ledger.proofs import range_hashes
from stateline.ledger.recovery import recovery
from stateline.ledger.writer import Append, Committer, Fold, Pending, submit_together

T = TypeVar("T")
log = logging.getLogger(__name__)


class LogState:
    """A log's state and its durable appends: what the writer thread folds and fails.

    One instance per log, written only through its committer (the writer thread of its
    database). ``origin`` defaults to the signer's key name, as C2SP recommends.
    """

    def __init__(
        self,
        store: LedgerStore,
        signer: Signer,
        origin: str | None = None,
        *,
        max_batch: int = 20_000,
        committer: Committer | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.origin = origin or signer.name
        self._on_close = on_close  # releases the writer lock the opener took, if it took one
        self._store = store
        self._signer = signer
        self._owns_committer = committer is None
        self._committer = committer or Committer(
            store.database(), max_batch=max_batch, name=self.origin
        )
        self._lock = threading.Lock()
        self._closed = False
        self._stale = False
        self._error: LedgerUnavailable | None = None  # set while its entries cannot be folded
        self._retry_at = 0.0
        try:
            self._tree, self._head, self._pending = self._load()
            self._next = self._tree.size + len(self._pending)  # the index the next entry gets
            self._committer.call(self._recover)
        except BaseException:
            if self._owns_committer:
                self._committer.close()
            raise
        if self._pending:  # entries a crash left in the journal: fold them now
            self._fold()

    # State ---------------------------------------------------------------------------------

    def _load(self) -> tuple[CompactRange, str | None, list[Pending]]:
        """The tree from the database, checked against the signed head, and the entries
        journaled beyond it."""
        tree, head = self._load_tree()
        pending = [
            (i, body, leaf, parse_tags(tags))
            for i, body, leaf, tags in self._committer.journal.pending(self.origin, tree.size)
        ]
        if [p[0] for p in pending] != list(range(tree.size, tree.size + len(pending))):
            raise LedgerUnavailable("the ledger journal has a gap: run `stateline ledger verify`")
        return tree, head, pending

    def _recover(self) -> None:
        """Append again, at the end of the log, journaled entries at indexes its tree already
        holds, with an admin entry that says so (:func:`~stateline.ledger.recovery.recovery`)."""
        journal = self._committer.journal
        found = recovery(journal, self._store, self.origin, self._tree.size, self._next)
        if found is None:
            return
        self._committer.writer.transaction(found.work)
        self._pending.extend(found.moved)
        self._next += len(found.moved)
        log.error(
            "ledger %s: %d journaled entries at indexes already in the tree appended again "
            "from index %d (%d copies of folded entries removed)",
            self.origin,
            found.lost,
            found.moved[0][0] if found.moved else self._next,
            found.copies,
        )

    def _load_tree(self) -> tuple[CompactRange, str | None]:
        stored = self._store.head()
        end = self._store.end()
        if stored is None:
            if end:
                raise LedgerUnavailable(f"{end} ledger entries but no signed head")
            return CompactRange(), None
        size, note = stored
        if end != size:
            raise LedgerUnavailable(
                f"the signed head counts {size} entries, the table holds {end}: "
                "run `stateline ledger verify`"
            )
        try:
            signed = Checkpoint.parse(parse_note(note).text)
        except NoteError as error:
            raise LedgerUnavailable(f"the ledger head is not a checkpoint: {error}") from error
        ranges = [(i << lv, (i + 1) << lv) for lv, i in frontier(size)]
        tree = CompactRange(size, range_hashes(self._store, ranges))
        if signed.size != size or signed.root != tree.root():
            raise LedgerUnavailable("the stored tree does not match the signed head")
        return tree, note

    @property
    def store(self) -> LedgerStore:
        return self._store

    @property
    def committer(self) -> Committer:
        """The writer thread this ledger's appends go through (maybe shared with others)."""
        return self._committer

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def refusal(self) -> LedgerUnavailable | None:
        """Why appends are refused now (closed, or its entries cannot be folded), if they are."""
        if self._closed:
            return LedgerUnavailable("the ledger is closed")
        return self._error

    @property
    def size(self) -> int:
        """How many entries are committed."""
        self._fold()
        return self._tree.size

    @property
    def root(self) -> bytes:
        """The root hash at the committed size."""
        self._fold()
        return self._tree.root()

    @property
    def head(self) -> str | None:
        """The signed checkpoint at the committed size (rewritten by every fold)."""
        self._fold()
        return self._head

    @property
    def verifier(self) -> Verifier:
        """The key that signs this ledger's checkpoints now."""
        return self._signer.verifier

    # Appending ------------------------------------------------------------------------------

    def submit(self, entries: Sequence[Entry]) -> Future[list[int]]:
        """Queue entries; the future gives their indexes once they are committed."""
        return submit_together([(self, entries)])[0]

    def append(self, entries: Sequence[Entry]) -> list[int]:
        """Append entries in order; returns their indexes once the commit is durable.

        Raises :class:`LedgerUnavailable` when they could not be written: then nothing may be
        disclosed on their account.
        """
        return self.submit(entries).result()

    async def append_async(self, entry: Entry) -> int:
        """Append one entry from async code: awaits the group commit that makes it durable."""
        return (await asyncio.wrap_future(self.submit([entry])))[0]

    def _call(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the writer thread, between commits, and wait for its result."""
        if self._closed:
            raise LedgerUnavailable("the ledger is closed")
        return self._committer.call(work)

    def _fold(self) -> None:
        """Fold every journaled entry into the tree before a read (reads see every append
        that has returned); raises :class:`LedgerUnavailable` if they cannot be folded."""
        if self._pending or self._stale or self._error is not None:
            self._committer.call(lambda: self._committer.settle([self], retry=True))
        if self._error is not None:
            raise self._error

    # The writer thread's side: these run on the committer's thread only.

    def _reload(self) -> None:
        self._tree, self._head, self._pending = self._load()
        self._next = self._tree.size + len(self._pending)
        self._stale = False

    def _reserve(self, appends: list[Append]) -> list[Pending] | None:
        """Indexes for ``appends``, to journal; ``None`` (and the appends failed) when the
        ledger cannot be read."""
        try:
            if self._stale:
                self._reload()
        except LedgerUnavailable as error:
            self._failed(appends, error)
            return None
        pending: list[Pending] = []
        index = self._next
        for append in appends:
            for tags, body, leaf in append.rows:
                pending.append((index, body, leaf, tags))
                index += 1
        return pending

    def _journaled(self, appends: list[Append], pending: list[Pending]) -> None:
        self._pending.extend(pending)
        start = self._next
        self._next += len(pending)
        for append in appends:
            append.future.set_result(list(range(start, start + len(append.rows))))
            start += len(append.rows)

    def _failed(self, appends: list[Append], error: Exception) -> None:
        # The commit may or may not have happened: reload from the database before the next
        # batch rather than trust the state in memory.
        self._stale = True
        failure = (
            error
            if isinstance(error, LedgerUnavailable)
            else LedgerUnavailable(f"ledger append failed: {error}")
        )
        for append in appends:
            append.future.set_exception(failure)

    def _prepare(
        self, retry: bool = False, extra: Sequence[Pending] = (), limit: int | None = None
    ) -> Fold | None:
        """The statements that fold the journaled entries (the first ``limit`` of them, or
        all, and ``extra``, entries being committed now) into the tree, and the new state;
        ``None`` when there is nothing to fold or the ledger cannot be read."""
        if self._error is not None and not retry and time.monotonic() < self._retry_at:
            return None
        try:
            if self._stale:
                self._reload()
            if not self._pending and not extra:
                self._error = None
                return None
            tree = self._tree.copy()
            rows: list[EntryRow] = []
            subject_rows: list[tuple[int, int, int]] = []
            folding = self._pending[:limit] if limit is not None and not extra else self._pending
            for index, body, leaf, tags in [*folding, *extra]:
                rows.append((index, body, leaf))
                if len(tags) == 1:  # the usual case, without a generator per entry
                    subject_rows.append((index >> BUCKET_BITS, tags[0], index))
                elif tags:
                    subject_rows.extend((index >> BUCKET_BITS, tag, index) for tag in tags)
            subject_rows.sort()  # in key order: each fold writes one region of the index
            start = tree.size
            completed = tree.extend([r[2] for r in rows], every=STRIDE)
            node_rows = [(node_key(level, i), h) for level, i, h in completed]
            note = sign_checkpoint(Checkpoint(self.origin, tree.size, tree.root()), self._signer)
            work = self._store.append_work(
                rows, subject_rows, node_rows, tree.size, note, self._head is None
            )
            work += self._committer.journal.settle_work(self.origin, start, tree.size)
        except Exception as error:
            self._broken(error)
            return None
        return Fold(self, len(rows), work, tree, note)

    def _settled(self, part: Fold) -> None:
        self._tree, self._head = part.tree, part.note
        del self._pending[: part.count]
        self._error = None

    def _broken(self, error: Exception) -> None:
        # Its entries are durable in the journal, but its tree cannot take them: refuse new
        # appends (fail closed) until a fold succeeds; it is tried again now and then.
        self._stale = True
        self._error = (
            error
            if isinstance(error, LedgerUnavailable)
            else LedgerUnavailable(f"ledger fold failed: {error}")
        )
        self._retry_at = time.monotonic() + 1.0
        log.error("ledger %s cannot fold its journaled entries: %s", self.origin, self._error)

    def close(self) -> None:
        """Refuse new appends and wait until those already queued are committed; a ledger
        with a writer thread of its own stops it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self._owns_committer:
                self._committer.close()
                return
            with contextlib.suppress(LedgerUnavailable):  # a closed committer has finished
                # Queued before us: journaled by now; then folded into the tree.
                self._committer.call(lambda: self._committer.settle([self], retry=True))
        finally:
            if self._on_close is not None:
                self._on_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
