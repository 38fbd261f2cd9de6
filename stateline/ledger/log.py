"""The durable append: a writer thread groups concurrent appends into committed transactions.

Every caller's entries are encoded and hashed in the caller's own thread, then queued with the
ledger's :class:`Committer`, the writer thread of its database. The writer takes everything
queued (up to ``max_batch`` entries); for each ledger in it, it assigns indexes, extends the
Merkle tree and signs the new head; then it writes entries, subject rows, completed tree nodes
and heads in one transaction, and only after the commit does it resolve each caller's future.
A caller therefore returns only once its entries are durable, and a burst of callers shares
one commit (group commit). Several ledgers in one database (every node of the embedded
default) share one committer, so one commit serves a burst of answers across states. If the
transaction fails, every caller in it gets :class:`LedgerUnavailable` and nothing is
half-written; the ledger reloads its state from the database before trying again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import orjson

from stateline.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_note,
    parse_note,
    sign_checkpoint,
)
from stateline.ledger.entries import AdminChange, Entry, EntryError, decode, encode, micros
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import BUCKET_BITS, STRIDE, node_key, subject_tag
from stateline.ledger.merkle import CompactRange, frontier, leaf_hash
from stateline.ledger.ports import (
    EntryRow,
    Journal,
    JournalRow,
    LedgerDatabase,
    LedgerStore,
    LedgerWriter,
    Work,
)
from stateline.ledger.proofs import (
    InclusionProof,
    consistency_proof,
    inclusion_proof,
    range_hashes,
    root_at,
)

DEFAULT_RETENTION = timedelta(days=7 * 365 + 2)
"""How long entries keep their bodies by default: seven years (two leap days included)."""
MIN_RETENTION = timedelta(days=365)
"""The shortest retention allowed: the FBI CJIS Security Policy asks at least one year."""

T = TypeVar("T")
log = logging.getLogger(__name__)
_HEX_DIGITS = "0123456789abcdef"
_Row = tuple[tuple[int, ...], bytes, bytes]  # subject tags, body, leaf hash


@dataclass(slots=True)
class _Append:
    ledger: Ledger
    rows: list[_Row]
    future: Future[list[int]]


@dataclass(slots=True)
class _Call:
    work: Callable[[], Any]
    future: Future[Any]


_Pending = tuple[int, bytes, bytes, tuple[int, ...]]  # index, body, leaf hash, subject tags

DIRECT = 256
"""A log's share of a commit with at least this many entries is folded at once, unjournaled."""


@dataclass(slots=True)
class _Prepared:
    """One ledger's share of a settle: its statements and the state they lead to."""

    ledger: Ledger
    count: int  # pending entries folded in
    work: list[Work]
    tree: CompactRange
    note: str


class Committer:
    """The writer thread of one ledger database, and the one connection it writes with.

    Every ledger in the database queues its appends here. The thread takes everything queued
    (up to ``max_batch`` entries), gives each entry its index in its own log, and commits them
    all to the database's journal in one small transaction: one commit, one fsync, for every
    state a burst of answers came from. Only then are the callers' futures resolved.

    Folding journaled entries into each log (its tree nodes, subject index and signed head)
    is the costly part, so it is done in rounds over every log with something to fold: one
    starts every ``settle_every`` seconds under load, or once appends have stopped for
    ``settle_after`` seconds, and goes in steps of ``settle_chunk`` entries, or as many as
    the commit a step rides in appends, if more. Under load each step rides in a journal
    commit, so appends never wait for a fold's own commit, a fold costs no fsync of its own,
    and the folds keep up with the appends; when idle, steps go on their own. A read folds its
    log at once. A fold is one transaction that also deletes what it folded from the journal,
    so a crash in between loses nothing: the next open folds it. If a shared fold fails, each
    ledger's share is tried again on its own; a ledger that still fails refuses new appends
    until a later fold succeeds.

    A caller that would only wait for the thread may commit on its own thread instead
    (:meth:`commit`), while the thread is not writing.
    """

    def __init__(
        self,
        database: LedgerDatabase,
        *,
        max_batch: int = 20_000,
        name: str = "ledger",
        settle_every: float = 1.0,
        settle_after: float = 0.02,
        settle_chunk: int = 64,
    ) -> None:
        self._writer = database.writer()
        self.journal: Journal = database.journal()
        self.journal.create_schema()
        self._max_batch = max_batch
        self._settle_every = settle_every
        self._settle_after = settle_after
        self._settle_chunk = settle_chunk
        self._unsettled: dict[int, Ledger] = {}  # ledgers with journaled entries to fold
        self._round: collections.deque[Ledger] = collections.deque()  # to fold, a few a time
        self._settled_at = time.monotonic()
        self._queue: queue.SimpleQueue[list[_Append] | _Call | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Held by whichever thread writes: the writer thread, or a caller committing in line.
        self._busy = threading.Lock()
        self._asleep = False  # the writer thread waits for work with nothing to fold
        self._active_at = 0.0  # when a caller last committed in line
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name} writer", daemon=True)
        self._thread.start()

    @property
    def writer(self) -> LedgerWriter:
        """The connection; only work on the writer thread (:meth:`call`) or a caller committing
        in line (:meth:`commit`) uses it, one at a time."""
        return self._writer

    def _put(self, job: list[_Append] | _Call) -> None:
        with self._lock:
            if self._closed or not self._thread.is_alive():
                raise LedgerUnavailable("the ledger writer is closed")
            self._queue.put(job)

    def submit(self, appends: list[_Append]) -> None:
        """Queue appends (of one ledger or several) to be committed together."""
        self._put(appends)

    def commit(self, appends: list[_Append]) -> None:
        """Commit appends on the calling thread, once the writer thread is not writing, and
        return when their futures are resolved.

        For a caller that would only wait for the writer thread: it spares waking that thread
        and being woken by it, the costliest part of a small commit.
        """
        with self._busy:
            if self._closed or not self._thread.is_alive():
                raise LedgerUnavailable("the ledger writer is closed")
            self._commit(appends, due=time.monotonic() - self._settled_at >= self._settle_every)
            self._active_at = time.monotonic()
            if self._unsettled and self._asleep:
                self._asleep = False
                self._queue.put([])  # to fold once idle

    def call(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the writer thread, between commits, and wait for its result."""
        future: Future[T] = Future()
        self._put(_Call(work, future))
        return future.result()

    def close(self) -> None:
        """Commit and fold what is queued, stop the thread and release the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()
        with self._busy:
            self._writer.close()

    def _run(self) -> None:
        while True:
            with self._busy:
                self._asleep = not self._unsettled
            try:
                job = self._queue.get(timeout=None if self._asleep else self._settle_after)
            except queue.Empty:
                with self._busy:
                    if time.monotonic() - self._active_at >= self._settle_after:
                        self._settle_step(due=True)  # idle: fold a few more
                continue
            with self._busy:
                self._asleep = False
                if not self._serve(job):
                    return

    def _serve(self, job: list[_Append] | _Call | None) -> bool:
        """Commit ``job`` and whatever is queued behind it; False once told to stop."""
        if job is None:
            self.settle()
            return False
        batch: list[_Append] = []
        count = 0
        while True:
            if isinstance(job, list):
                batch.extend(job)
                count += sum(len(a.rows) for a in job)
            else:
                self._commit(batch)
                batch, count = [], 0
                _run_call(job)
            if count >= self._max_batch:
                break
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._commit(batch)
                self.settle()
                return False
        self._commit(batch, due=time.monotonic() - self._settled_at >= self._settle_every)
        return True

    def _step(self, due: bool, size: int = 0) -> tuple[list[Ledger], int | None]:
        """The ledgers of the next fold step of about ``size`` entries (at least
        ``settle_chunk``), and how many entries of each it takes (all, unless one log has more
        than a step takes); a round over every unsettled ledger starts when ``due``."""
        size = max(size, self._settle_chunk)
        if not self._round and due and self._unsettled:
            self._round.extend(self._unsettled.values())
            self._settled_at = time.monotonic()
        if not self._round:
            return [], None
        if len(self._round[0]._pending) > size:
            # A log with much to fold: a part now, the rest at the next steps.
            return [self._round[0]], size
        chunk: list[Ledger] = []
        entries = 0
        while self._round and (not chunk or entries + len(self._round[0]._pending) <= size):
            ledger = self._round.popleft()
            chunk.append(ledger)
            entries += len(ledger._pending)
        return chunk, None

    def _stepped(self, chunk: list[Ledger], limit: int | None) -> None:
        if limit is not None and (not chunk[0]._pending or chunk[0]._error is not None):
            self._round.popleft()  # the log a step took part of is done (or broken)
        self._track(chunk)

    def _settle_step(self, due: bool) -> None:
        """Fold a step on its own, while no append waits."""
        chunk, limit = self._step(due)
        if chunk:
            self.settle(chunk, limit=limit)
            self._stepped(chunk, limit)

    def _commit(self, batch: list[_Append], due: bool | None = None) -> None:
        """Journal the batch: one transaction for every ledger in it. Unless ``due`` is None,
        the next fold step goes in the same transaction: appends wait for one commit, never
        for a fold's commit before theirs, and a fold costs no commit of its own."""
        if not batch:
            if due is not None:
                self._settle_step(due)
            return
        # A step folds at least as many entries as the batch brings: under load the folds keep
        # up in the journal commits, and the writer thread needs no commits of its own.
        size = sum(len(a.rows) for a in batch)
        chunk, limit = self._step(due, size) if due is not None else ([], None)
        folds = [part for ledger in chunk if (part := ledger._prepare(limit=limit))]
        shares: dict[int, tuple[Ledger, list[_Append]]] = {}
        for append in batch:
            shares.setdefault(id(append.ledger), (append.ledger, []))[1].append(append)
        rows: list[JournalRow] = []
        taken: list[tuple[Ledger, list[_Append], list[_Pending], _Prepared | None]] = []
        for ledger, appends in shares.values():
            pending = ledger._reserve(appends)
            if pending is None:
                continue
            if len(pending) >= DIRECT:
                # A bulk append pays a log's fold once for many entries: fold it now, in the
                # same transaction, rather than write every entry twice.
                part = ledger._prepare(retry=True, extra=pending)
                if part is None:
                    ledger._failed(appends, ledger._error or LedgerUnavailable("fold failed"))
                    continue
                folds = [f for f in folds if f.ledger is not ledger]  # this folds it all
                taken.append((ledger, appends, pending, part))
            else:
                origin = ledger.origin
                rows.extend((origin, i, body, leaf, _tags(t)) for i, body, leaf, t in pending)
                taken.append((ledger, appends, pending, None))
        work = self.journal.append_work(rows) if rows else []
        for _ledger, _appends, _pending, part in taken:
            if part is not None:
                work += part.work
        for part in folds:
            work += part.work
        try:
            if work:
                self._writer.transaction(work)
        except LedgerUnavailable as error:
            if folds:
                # Perhaps a fold's fault: the appends go again on their own, and the fold
                # step then by itself, where one broken log cannot fail the others.
                self._commit(batch)
                self._settle(folds)
                if chunk:
                    self._stepped(chunk, limit)
                return
            for ledger, appends, _pending, _part in taken:
                ledger._failed(appends, error)
            return
        for ledger, appends, pending, part in taken:
            ledger._journaled(appends, pending)
            if part is not None:
                ledger._settled(part)
            if ledger._pending:
                self._unsettled[id(ledger)] = ledger
        for part in folds:
            part.ledger._settled(part)
        if chunk:
            self._stepped(chunk, limit)

    def settle(
        self, only: Sequence[Ledger] | None = None, retry: bool = False, limit: int | None = None
    ) -> None:
        """Fold journaled entries into their logs (every unsettled one, or ``only`` these; at
        most ``limit`` entries of each); a broken ledger is tried again only once its pause is
        over, unless ``retry``."""
        if only is None:
            ledgers = list(self._unsettled.values())
            self._round.clear()
            self._settled_at = time.monotonic()
        else:
            ledgers = list(only)
        parts = [p for ledger in ledgers if (p := ledger._prepare(retry, limit=limit))]
        if parts:
            self._settle(parts)
        self._track(ledgers)

    def _track(self, ledgers: Sequence[Ledger]) -> None:
        for ledger in ledgers:
            if ledger._pending:  # more to fold, broken, or waiting to be tried again
                self._unsettled[id(ledger)] = ledger
            else:
                self._unsettled.pop(id(ledger), None)

    def _settle(self, parts: list[_Prepared]) -> None:
        try:
            self._writer.transaction([work for part in parts for work in part.work])
        except LedgerUnavailable as error:
            if len(parts) == 1:
                parts[0].ledger._broken(error)
                return
            for part in parts:
                self._settle_alone(part.ledger)
            return
        for part in parts:
            part.ledger._settled(part)

    def _settle_alone(self, ledger: Ledger) -> None:
        # The shared transaction was rolled back: each ledger reloads its state and folds its
        # share on its own, so only a ledger that is itself broken stays unsettled.
        ledger._stale = True
        part = ledger._prepare(retry=True)
        if part is None:
            return
        try:
            self._writer.transaction(part.work)
        except LedgerUnavailable as error:
            ledger._broken(error)
            return
        ledger._settled(part)


def _tags(tags: tuple[int, ...]) -> str:
    return ",".join(str(t) for t in tags)


def _run_call(job: _Call) -> None:
    try:
        job.future.set_result(job.work())
    except BaseException as error:  # handed to the caller, never kills the writer
        job.future.set_exception(error)


def submit_together(
    appends: Sequence[tuple[Ledger, Sequence[Entry]]], *, now: bool = False
) -> list[Future[list[int]]]:
    """Queue entries for several ledgers at once; the futures give their indexes once durable.

    Ledgers that share a :class:`Committer` get their entries into the same commit. A closed
    or broken ledger's future fails with :class:`LedgerUnavailable`; the others go on. With
    ``now``, the calling thread commits them itself (:meth:`Committer.commit`) and the
    futures are resolved on return.
    """
    futures: list[Future[list[int]]] = []
    queued: dict[int, tuple[Committer, list[_Append]]] = {}
    for ledger, entries in appends:
        future: Future[list[int]] = Future()
        futures.append(future)
        rows = [entry_row(e) for e in entries]
        refusal = ledger.refusal
        if not rows:
            future.set_result([])
        elif refusal is not None:
            future.set_exception(refusal)
        else:
            queued.setdefault(id(ledger.committer), (ledger.committer, []))[1].append(
                _Append(ledger, rows, future)
            )
    for committer, batch in queued.values():
        try:
            if now:
                committer.commit(batch)
            else:
                committer.submit(batch)
        except LedgerUnavailable as error:
            for append in batch:
                append.future.set_exception(error)
    return futures


def entry_row(entry: Entry) -> _Row:
    """An entry as the writer stores it: its subject tags, canonical bytes and leaf hash."""
    subjects = entry.subjects
    for subject in subjects:  # (str methods: this runs for every entry a node writes)
        if len(subject) != 64 or subject.strip(_HEX_DIGITS):
            raise EntryError("subjects are subject keys: 64 lowercase hex digits")
    body = encode(entry)
    if len(subjects) == 1:
        return (subject_tag(subjects[0]),), body, leaf_hash(body)
    return tuple({subject_tag(s): None for s in subjects}), body, leaf_hash(body)


class Ledger:
    """A node's audit ledger: durable appends, checkpoints and proofs.

    One instance per database: it owns the single writer. ``origin`` defaults to the signer's
    key name, as C2SP recommends.
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

    def _load(self) -> tuple[CompactRange, str | None, list[_Pending]]:
        """The tree from the database, checked against the signed head, and the entries
        journaled beyond it."""
        tree, head = self._load_tree()
        pending = [
            (i, body, leaf, tuple(int(t) for t in tags.split(",") if t))
            for i, body, leaf, tags in self._committer.journal.pending(self.origin, tree.size)
        ]
        if [p[0] for p in pending] != list(range(tree.size, tree.size + len(pending))):
            raise LedgerUnavailable("the ledger journal has a gap: run `stateline ledger verify`")
        return tree, head, pending

    def _recover(self) -> None:
        """Append again, at the end of the log, journaled entries at indexes its tree already
        holds, with an admin entry that says so; never drop them.

        Only a second process appending to the same ledger leaves such entries (it handed out
        indexes the first had folded already), which the writer lock now prevents; ledgers
        written before it may hold some. One transaction moves them, so a crash halfway
        leaves them where they were. An orphan whose leaf is the tree's own at its index is a
        copy of an entry already folded, and is only removed.
        """
        journal = self._committer.journal
        orphans = journal.orphans(self.origin, self._tree.size)
        if not orphans:
            return
        first, last = orphans[0][0], orphans[-1][0]
        stored = {index: leaf for index, _body, leaf in self._store.entries(first, last + 1)}
        copies = [index for index, _body, leaf, _tags in orphans if stored.get(index) == leaf]
        lost = [row for row in orphans if stored.get(row[0]) != row[2]]
        moved: list[_Pending] = []
        index = self._next
        for _old, body, leaf, listed in lost:
            moved.append((index, body, leaf, tuple(int(t) for t in listed.split(",") if t)))
            index += 1
        if lost:
            note = AdminChange(
                message_id=f"journal-recovery-{self._next}",
                state=self.origin.rsplit("/", 1)[-1],
                at=datetime.now(UTC),
                change="journal_recovery",
                actor="ledger",
                detail={
                    "reason": "entries journaled by a second writer at indexes already taken",
                    "journaled_at": [row[0] for row in lost],
                    "appended_from": self._next,
                    "count": len(lost),
                },
            )
            note_tags, note_body, note_leaf = entry_row(note)
            moved.append((index, note_body, note_leaf, note_tags))
        rows = [(self.origin, i, body, leaf, _tags(t)) for i, body, leaf, t in moved]
        work = journal.remove_work(self.origin, [row[0] for row in orphans])
        work += journal.append_work(rows) if rows else []
        self._committer.writer.transaction(work)
        self._pending.extend(moved)
        self._next += len(moved)
        log.error(
            "ledger %s: %d journaled entries at indexes already in the tree appended again "
            "from index %d (%d copies of folded entries removed)",
            self.origin,
            len(lost),
            moved[0][0] if moved else self._next,
            len(copies),
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

    def _reserve(self, appends: list[_Append]) -> list[_Pending] | None:
        """Indexes for ``appends``, to journal; ``None`` (and the appends failed) when the
        ledger cannot be read."""
        try:
            if self._stale:
                self._reload()
        except LedgerUnavailable as error:
            self._failed(appends, error)
            return None
        pending: list[_Pending] = []
        index = self._next
        for append in appends:
            for tags, body, leaf in append.rows:
                pending.append((index, body, leaf, tags))
                index += 1
        return pending

    def _journaled(self, appends: list[_Append], pending: list[_Pending]) -> None:
        self._pending.extend(pending)
        start = self._next
        self._next += len(pending)
        for append in appends:
            append.future.set_result(list(range(start, start + len(append.rows))))
            start += len(append.rows)

    def _failed(self, appends: list[_Append], error: Exception) -> None:
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
        self, retry: bool = False, extra: Sequence[_Pending] = (), limit: int | None = None
    ) -> _Prepared | None:
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
        return _Prepared(self, len(rows), work, tree, note)

    def _settled(self, part: _Prepared) -> None:
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

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Checkpoints ----------------------------------------------------------------------------

    def checkpoint(self, at: int | None = None) -> str:
        """Sign a checkpoint at the committed size, store it and return the signed note.

        ``at`` is the signing time in POSIX seconds (now by default).
        """
        signed_at = int(time.time()) if at is None else at

        def sign() -> str:
            self._committer.settle([self], retry=True)
            if self._error is not None:
                raise self._error
            tree = self._tree
            note = sign_checkpoint(Checkpoint(self.origin, tree.size, tree.root()), self._signer)
            self._committer.writer.transaction(
                self._store.checkpoint_work(tree.size, signed_at, note)
            )
            return note

        return self._call(sign)

    def add_cosignature(self, note: str, witness: Verifier) -> int:
        """Store ``witness``'s cosignature from ``note`` (a checkpoint this ledger published).

        Returns the cosignature's time. Raises :class:`~stateline.ledger.checkpoint.NoteError`
        if the cosignature does not verify or the checkpoint is not one of ours.
        """
        parsed, verified = open_note(note, [witness])
        line = next(
            s.line
            for s in parsed.signatures
            if s.name == witness.name and s.key_id == witness.key_id
        )
        for checkpoint_id, _size, _at, stored in self._store.checkpoints():
            if parse_note(stored).text == parsed.text:
                cosigned_at = verified[witness.vkey]

                work = self._store.cosignature_work(checkpoint_id, witness.vkey, cosigned_at, line)
                self._call(partial(self._committer.writer.transaction, work))
                return cosigned_at
        raise NoteError("the cosigned checkpoint is not one this ledger published")

    def use_signer(self, signer: Signer) -> None:
        """Sign from now on with ``signer`` (after a key rotation)."""

        def switch() -> None:
            self._signer = signer

        self._call(switch)

    def rotate(self, entry: AdminChange, new_signer: Signer, at: int | None = None) -> str:
        """Log a key rotation and switch keys: the rotation entry is appended and checkpointed
        under the old key, which thereby vouches for the new one; then the new key signs a
        checkpoint of the same tree. Returns that checkpoint."""
        self.append([entry])
        self.checkpoint(at)
        self.use_signer(new_signer)
        return self.checkpoint(at)

    # Proofs and reads -----------------------------------------------------------------------

    def _size(self, size: int | None) -> int:
        self._fold()
        committed = self._tree.size
        if size is None:
            return committed
        if not 0 <= size <= committed:
            raise ValueError(f"the ledger holds {committed} entries, not {size}")
        return size

    def root_at(self, size: int) -> bytes:
        """The root hash of the first ``size`` entries."""
        return root_at(self._store, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """Proof that entry ``index`` is in the tree of ``size`` entries (committed by default)."""
        return inclusion_proof(self._store, index, self._size(size))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """Proof that the tree of ``new`` entries extends the tree of ``old`` entries."""
        return consistency_proof(self._store, old, self._size(new))

    def entry(self, index: int) -> Entry | None:
        """Entry ``index``; ``None`` when there is no such entry or retention removed it."""
        self._fold()
        row = self._store.entry(index)
        return decode(row[1]) if row is not None and row[1] is not None else None

    def entry_bytes(self, index: int) -> bytes | None:
        """The canonical bytes of entry ``index`` (the Merkle leaf data), if still held."""
        self._fold()
        row = self._store.entry(index)
        return row[1] if row is not None else None

    def entries_for_subject(self, subject_key: str) -> list[tuple[int, Entry]]:
        """Every entry still held that names ``subject_key``, with its index, oldest first."""
        self._fold()
        found = []
        for index, body, _leaf in self._store.for_subject(subject_tag(subject_key)):
            if body is not None:
                entry = decode(body)
                if subject_key in entry.subjects:  # tags may collide; keys do not
                    found.append((index, entry))
        return found

    # Retention ------------------------------------------------------------------------------

    def apply_retention(
        self,
        now: datetime,
        retention: timedelta = DEFAULT_RETENTION,
        actor: str = "retention",
    ) -> int:
        """Drop the bodies of the oldest entries, those older than ``retention``; returns how
        many were dropped.

        Retention removes a prefix of the log: it stops at the first entry younger than the
        cutoff, so no younger entry is ever touched (an older one that follows it waits for a
        later run). Leaf hashes stay, so the log still verifies, and the run is logged first
        (an ``admin`` entry, change ``retention``, saying up to which index), so the verifier
        can tell bodies removed by retention from bodies removed behind the ledger's back.
        """
        if retention < MIN_RETENTION:
            raise ValueError(f"retention must be at least {MIN_RETENTION.days} days")
        cutoff = micros(now - retention)
        start = self._store.held_from()
        size = self.size
        if start is None:
            return 0
        through = start
        for rows in self._store.stream_entries(size, 10_000, start):
            for index, body, _leaf in rows:
                if body is None or entry_micros(body) >= cutoff:
                    break
                through = index + 1
            else:
                continue
            break
        if through == start:
            return 0
        entry = AdminChange(
            message_id=f"retention-{through}",
            state=self.origin.rsplit("/", 1)[-1],
            at=now,
            change="retention",
            actor=actor,
            detail={"before_micros": cutoff, "through": through},
        )
        self.append([entry])
        return self._call(lambda: self._store.prune(through))


def entry_micros(body: bytes) -> int:
    """The time of an entry, in µs since the epoch, from its canonical bytes."""
    return micros(datetime.fromisoformat(orjson.loads(body)["at"]))
