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
import contextlib
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine

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
from stateline.ledger.keys import NodeKeys, load_or_create, origin_for
from stateline.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_ranges,
    frontier,
    inclusion_ranges,
    leaf_hash,
    root_from_inclusion_proof,
)
from stateline.storage.ledger import (
    BUCKET_BITS,
    STRIDE,
    EntryRow,
    LedgerStore,
    LedgerUnavailable,
    LedgerWriter,
    Work,
    node_key,
    subject_tag,
)

DEFAULT_RETENTION = timedelta(days=7 * 365 + 2)
"""How long entries keep their bodies by default: seven years (two leap days included)."""
MIN_RETENTION = timedelta(days=365)
"""The shortest retention allowed: the FBI CJIS Security Policy asks at least one year."""

T = TypeVar("T")
_SUBJECT = re.compile("[0-9a-f]{64}")
_Row = tuple[tuple[int, ...], bytes, bytes]  # subject tags, body, leaf hash


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Entry ``index`` is in the tree of ``size`` leaves: its leaf hash and audit path."""

    index: int
    size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]

    def root(self) -> bytes:
        """The root the proof leads to (compare it with a signed checkpoint's)."""
        return root_from_inclusion_proof(self.index, self.size, self.leaf_hash, self.path)


@dataclass(slots=True)
class _Append:
    ledger: Ledger
    rows: list[_Row]
    future: Future[list[int]]


@dataclass(slots=True)
class _Call:
    work: Callable[[], Any]
    future: Future[Any]


@dataclass(slots=True)
class _Prepared:
    """One ledger's share of a commit: its statements and the state they lead to."""

    ledger: Ledger
    appends: list[_Append]
    work: list[Work]
    tree: CompactRange
    note: str
    start: int


class Committer:
    """The writer thread of one ledger database, and the one connection it writes with.

    Every ledger in the database queues its appends here. The thread takes everything queued
    (up to ``max_batch`` entries) and commits it as one transaction, whichever ledgers it
    belongs to: on a database shared by many nodes one commit, and one fsync, makes the
    entries of all of them durable. If that transaction fails, each ledger's share is tried
    again on its own, so one broken ledger never stops another from answering.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 20_000, name: str = "ledger") -> None:
        self._writer = LedgerWriter(engine)
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[list[_Append] | _Call | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name} writer", daemon=True)
        self._thread.start()

    @property
    def writer(self) -> LedgerWriter:
        """The connection; only work running on the writer thread (:meth:`call`) uses it."""
        return self._writer

    def _put(self, job: list[_Append] | _Call) -> None:
        with self._lock:
            if self._closed or not self._thread.is_alive():
                raise LedgerUnavailable("the ledger writer is closed")
            self._queue.put(job)

    def submit(self, appends: list[_Append]) -> None:
        """Queue appends (of one ledger or several) to be committed together."""
        self._put(appends)

    def call(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the writer thread, between commits, and wait for its result."""
        future: Future[T] = Future()
        self._put(_Call(work, future))
        return future.result()

    def close(self) -> None:
        """Commit what is queued, stop the thread and release the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()
        self._writer.close()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
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
                    return
            self._commit(batch)

    def _commit(self, batch: list[_Append]) -> None:
        if not batch:
            return
        shares: dict[int, tuple[Ledger, list[_Append]]] = {}
        for append in batch:
            shares.setdefault(id(append.ledger), (append.ledger, []))[1].append(append)
        parts = [p for ledger, appends in shares.values() if (p := ledger._prepare(appends))]
        if not parts:
            return
        try:
            self._writer.transaction([work for part in parts for work in part.work])
        except LedgerUnavailable as error:
            if len(parts) == 1:
                parts[0].ledger._failed(parts[0].appends, error)
                return
            for part in parts:
                self._commit_alone(part)
            return
        for part in parts:
            part.ledger._committed(part)

    def _commit_alone(self, part: _Prepared) -> None:
        # The shared transaction was rolled back: each ledger reloads its state and commits
        # its share on its own, so only a ledger that is itself broken refuses.
        ledger = part.ledger
        ledger._stale = True
        again = ledger._prepare(part.appends)
        if again is None:
            return
        try:
            self._writer.transaction(again.work)
        except LedgerUnavailable as error:
            ledger._failed(again.appends, error)
            return
        ledger._committed(again)


def _run_call(job: _Call) -> None:
    try:
        job.future.set_result(job.work())
    except BaseException as error:  # handed to the caller, never kills the writer
        job.future.set_exception(error)


def submit_together(appends: Sequence[tuple[Ledger, Sequence[Entry]]]) -> list[Future[list[int]]]:
    """Queue entries for several ledgers at once; the futures give their indexes once durable.

    Ledgers that share a :class:`Committer` get their entries into the same commit. A closed
    ledger's future fails with :class:`LedgerUnavailable`; the others go on.
    """
    futures: list[Future[list[int]]] = []
    queued: dict[int, tuple[Committer, list[_Append]]] = {}
    for ledger, entries in appends:
        future: Future[list[int]] = Future()
        futures.append(future)
        rows = [entry_row(e) for e in entries]
        if not rows:
            future.set_result([])
        elif ledger.closed:
            future.set_exception(LedgerUnavailable("the ledger is closed"))
        else:
            queued.setdefault(id(ledger.committer), (ledger.committer, []))[1].append(
                _Append(ledger, rows, future)
            )
    for committer, batch in queued.values():
        try:
            committer.submit(batch)
        except LedgerUnavailable as error:
            for append in batch:
                append.future.set_exception(error)
    return futures


def entry_row(entry: Entry) -> _Row:
    """An entry as the writer stores it: its subject tags, canonical bytes and leaf hash."""
    subjects = entry.subjects
    if subjects and not all(_SUBJECT.fullmatch(s) for s in subjects):
        raise EntryError("subjects are subject keys: 64 lowercase hex digits")
    body = encode(entry)
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
    ) -> None:
        self.origin = origin or signer.name
        self._store = store
        self._signer = signer
        self._tree, self._head = self._load()
        self._stale = False
        self._owns_committer = committer is None
        self._committer = committer or Committer(
            store.engine, max_batch=max_batch, name=self.origin
        )
        self._lock = threading.Lock()
        self._closed = False

    # State ---------------------------------------------------------------------------------

    def _load(self) -> tuple[CompactRange, str | None]:
        """The committed tree from the database, checked against the signed head."""
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
        tree = CompactRange(size, self._store.range_hashes(ranges))
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
    def size(self) -> int:
        """How many entries are committed."""
        return self._tree.size

    @property
    def root(self) -> bytes:
        """The root hash at the committed size."""
        return self._tree.root()

    @property
    def head(self) -> str | None:
        """The signed checkpoint at the committed size (rewritten by every append)."""
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

    # The writer thread's side: these run on the committer's thread only.

    def _prepare(self, appends: list[_Append]) -> _Prepared | None:
        """The statements that append ``appends`` to the committed tree, and the new state;
        ``None`` (and the appends failed) when the ledger cannot be read."""
        try:
            if self._stale:
                self._tree, self._head = self._load()
                self._stale = False
            tree = self._tree.copy()
            start = tree.size
            rows: list[EntryRow] = []
            subject_rows: list[tuple[int, int, int]] = []
            index = start
            for append in appends:
                for tags, body, leaf in append.rows:
                    rows.append((index, body, leaf))
                    bucket = index >> BUCKET_BITS
                    subject_rows.extend((bucket, tag, index) for tag in tags)
                    index += 1
            subject_rows.sort()  # in key order: each commit writes one region of the index
            completed = tree.extend([r[2] for r in rows], every=STRIDE)
            node_rows = [(node_key(level, i), h) for level, i, h in completed]
            note = sign_checkpoint(Checkpoint(self.origin, tree.size, tree.root()), self._signer)
            work = self._store.append_work(
                rows, subject_rows, node_rows, tree.size, note, self._head is None
            )
        except Exception as error:
            self._failed(appends, error)
            return None
        return _Prepared(self, appends, work, tree, note, start)

    def _committed(self, part: _Prepared) -> None:
        self._tree, self._head = part.tree, part.note
        start = part.start
        for append in part.appends:
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

    def close(self) -> None:
        """Refuse new appends and wait until those already queued are committed; a ledger
        with a writer thread of its own stops it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._owns_committer:
            self._committer.close()
            return
        with contextlib.suppress(LedgerUnavailable):  # a closed committer has finished
            self._committer.call(lambda: None)  # queued before us: committed by now

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
        committed = self._tree.size
        if size is None:
            return committed
        if not 0 <= size <= committed:
            raise ValueError(f"the ledger holds {committed} entries, not {size}")
        return size

    def root_at(self, size: int) -> bytes:
        """The root hash of the first ``size`` entries."""
        size = self._size(size)
        return self._store.range_hashes([(0, size)])[0] if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """Proof that entry ``index`` is in the tree of ``size`` entries (committed by default)."""
        size = self._size(size)
        ranges = inclusion_ranges(index, size)
        hashes = self._store.range_hashes([*ranges, (index, index + 1)])
        return InclusionProof(index, size, hashes[-1], tuple(hashes[:-1]))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """Proof that the tree of ``new`` entries extends the tree of ``old`` entries."""
        new = self._size(new)
        return self._store.range_hashes(consistency_ranges(old, new))

    def entry(self, index: int) -> Entry | None:
        """Entry ``index``; ``None`` when there is no such entry or retention removed it."""
        row = self._store.entry(index)
        return decode(row[1]) if row is not None and row[1] is not None else None

    def entry_bytes(self, index: int) -> bytes | None:
        """The canonical bytes of entry ``index`` (the Merkle leaf data), if still held."""
        row = self._store.entry(index)
        return row[1] if row is not None else None

    def entries_for_subject(self, subject_key: str) -> list[tuple[int, Entry]]:
        """Every entry still held that names ``subject_key``, with its index, oldest first."""
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


def open_ledger(
    engine: Engine,
    keys_dir: Path,
    state: str,
    *,
    prefix: str = "",
    committer: Committer | None = None,
) -> tuple[Ledger, NodeKeys]:
    """A state's ledger with its keys (generated on first use): its tables in ``engine``'s
    database, under ``prefix`` when several ledgers share it, written through ``committer``
    when given (its own writer thread otherwise)."""
    store = LedgerStore(engine, prefix)
    store.create_schema()
    keys = load_or_create(keys_dir, state)
    return Ledger(store, keys.signer, origin_for(state), committer=committer), keys
