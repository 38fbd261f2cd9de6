"""The writer thread of a ledger database: the appends of every ledger in it, committed together.

Every caller's entries are encoded and hashed in the caller's own thread, then queued with the
ledger's :class:`Committer`, the writer thread of its database. The writer takes everything
queued (up to ``max_batch`` entries), gives each entry its index in its own log and commits
them all to the database's journal in one transaction; only after the commit does it resolve
each caller's future. A caller therefore returns only once its entries are durable, and a
burst of callers shares one commit (group commit). Several ledgers in one database (every node
of the embedded default) share one committer, so one commit serves a burst of answers across
states. Folding journaled entries into each log's tree, tables and signed head comes later, in
larger steps. If a transaction fails, every caller in it gets :class:`LedgerUnavailable` and
nothing is half-written; the ledger reloads its state from the database before trying again.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from stateline.ledger.entries import Entry
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import Row, entry_row, journal_tags
from stateline.ledger.merkle import CompactRange
from stateline.ledger.ports import Journal, JournalRow, LedgerDatabase, LedgerWriter, Work

T = TypeVar("T")

Pending = tuple[int, bytes, bytes, tuple[int, ...]]
"""An entry journaled but not yet folded into its log: index, body, leaf hash, subject tags."""

DIRECT = 256
"""A log's share of a commit with at least this many entries is folded at once, unjournaled."""


class LogState(Protocol):
    """What the writer thread drives of one log (``stateline.ledger.state.LogState``): it
    reserves indexes for appends, journals them, prepares folds and settles them."""

    origin: str
    _pending: list[Pending]
    _error: LedgerUnavailable | None
    _stale: bool  # reload from the database before the next fold

    @property
    def committer(self) -> Committer: ...

    @property
    def refusal(self) -> LedgerUnavailable | None: ...

    def _reserve(self, appends: list[Append]) -> list[Pending] | None: ...

    def _journaled(self, appends: list[Append], pending: list[Pending]) -> None: ...

    def _failed(self, appends: list[Append], error: Exception) -> None: ...

    def _prepare(
        self, retry: bool = False, extra: Sequence[Pending] = (), limit: int | None = None
    ) -> Fold | None: ...

    def _settled(self, part: Fold) -> None: ...

    def _broken(self, error: Exception) -> None: ...


@dataclass(slots=True)
class Append:
    """One caller's entries for one ledger, as rows, and the future that gets their indexes."""

    ledger: LogState
    rows: list[Row]
    future: Future[list[int]]


@dataclass(slots=True)
class _Call:
    work: Callable[[], Any]
    future: Future[Any]


@dataclass(slots=True)
class Fold:
    """One ledger's share of a settle: its statements and the state they lead to."""

    ledger: LogState
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
        self._unsettled: dict[int, LogState] = {}  # ledgers with journaled entries to fold
        self._round: collections.deque[LogState] = collections.deque()  # to fold, a few a time
        self._settled_at = time.monotonic()
        self._queue: queue.SimpleQueue[list[Append] | _Call | None] = queue.SimpleQueue()
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

    def _put(self, job: list[Append] | _Call) -> None:
        with self._lock:
            if self._closed or not self._thread.is_alive():
                raise LedgerUnavailable("the ledger writer is closed")
            self._queue.put(job)

    def submit(self, appends: list[Append]) -> None:
        """Queue appends (of one ledger or several) to be committed together."""
        self._put(appends)

    def commit(self, appends: list[Append]) -> None:
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

    def _serve(self, job: list[Append] | _Call | None) -> bool:
        """Commit ``job`` and whatever is queued behind it; False once told to stop."""
        if job is None:
            self.settle()
            return False
        batch: list[Append] = []
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

    def _step(self, due: bool, size: int = 0) -> tuple[list[LogState], int | None]:
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
        chunk: list[LogState] = []
        entries = 0
        while self._round and (not chunk or entries + len(self._round[0]._pending) <= size):
            ledger = self._round.popleft()
            chunk.append(ledger)
            entries += len(ledger._pending)
        return chunk, None

    def _stepped(self, chunk: list[LogState], limit: int | None) -> None:
        if limit is not None and (not chunk[0]._pending or chunk[0]._error is not None):
            self._round.popleft()  # the log a step took part of is done (or broken)
        self._track(chunk)

    def _settle_step(self, due: bool) -> None:
        """Fold a step on its own, while no append waits."""
        chunk, limit = self._step(due)
        if chunk:
            self.settle(chunk, limit=limit)
            self._stepped(chunk, limit)

    def _commit(self, batch: list[Append], due: bool | None = None) -> None:
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
        shares: dict[int, tuple[LogState, list[Append]]] = {}
        for append in batch:
            shares.setdefault(id(append.ledger), (append.ledger, []))[1].append(append)
        rows: list[JournalRow] = []
        taken: list[tuple[LogState, list[Append], list[Pending], Fold | None]] = []
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
                rows.extend(
                    (origin, i, body, leaf, journal_tags(t)) for i, body, leaf, t in pending
                )
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
        self, only: Sequence[LogState] | None = None, retry: bool = False, limit: int | None = None
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

    def _track(self, ledgers: Sequence[LogState]) -> None:
        for ledger in ledgers:
            if ledger._pending:  # more to fold, broken, or waiting to be tried again
                self._unsettled[id(ledger)] = ledger
            else:
                self._unsettled.pop(id(ledger), None)

    def _settle(self, parts: list[Fold]) -> None:
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

    def _settle_alone(self, ledger: LogState) -> None:
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


def _run_call(job: _Call) -> None:
    try:
        job.future.set_result(job.work())
    except BaseException as error:  # handed to the caller, never kills the writer
        job.future.set_exception(error)


def submit_together(
    appends: Sequence[tuple[LogState, Sequence[Entry]]], *, now: bool = False
) -> list[Future[list[int]]]:
    """Queue entries for several ledgers at once; the futures give their indexes once durable.

    Ledgers that share a :class:`Committer` get their entries into the same commit. A closed
    or broken ledger's future fails with :class:`LedgerUnavailable`; the others go on. With
    ``now``, the calling thread commits them itself (:meth:`Committer.commit`) and the
    futures are resolved on return.
    """
    futures: list[Future[list[int]]] = []
    queued: dict[int, tuple[Committer, list[Append]]] = {}
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
                Append(ledger, rows, future)
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
