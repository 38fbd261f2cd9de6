"""The verifier: recompute the whole log from its stored entries and check everything signed.

:func:`verify_ledger` reads the entries in spans of ``2**SPAN_LEVEL``, each a complete subtree
of the log, so spans are checked apart (by worker processes, one per core) and then joined in
order. It checks:

- indexes run 0, 1, 2... with no gap, and none beyond the signed head;
- each body hashes to its stored leaf hash, and the subject index says what the bodies say;
- bodies are missing only from a prefix of the log that logged retention runs removed;
- the tree nodes stored for proofs are the ones the entries give;
- every stored checkpoint, the ledger's signed head and any checkpoint a witness vouched for
  is signed by one of the log's keys and has the root the entries give at its size;
- every stored cosignature verifies.

It reports each problem with where it is (an entry index, a checkpoint) and goes on, so one
run shows all of what is wrong, up to ``max_problems``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import orjson

from stateline.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    Verifier,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import STRIDE, node_key
from stateline.ledger.merkle import CompactRange, Node, fold, levels, subtrees
from stateline.ledger.ports import LedgerStore

SPAN_LEVEL = 18
"""Entries are checked in spans of 2**18 (262,144): complete subtrees, checked apart."""
CHUNK_LEVEL = 16
"""Within a span, entries are read 2**16 (65,536) at a time, with their subject rows."""

Progress = Callable[[int, int], None]
"""Called with (entries checked so far, entries in all) after each chunk."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the log: where (``entry 17``, ``checkpoint 3``...) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(slots=True)
class Report:
    """What the verifier checked, and every problem it found."""

    size: int = 0
    root: bytes = b""
    checkpoints: int = 0
    cosignatures: int = 0
    pruned: int = 0
    journaled: int = 0  # durable in the journal, not yet folded into the tree
    appended: int = 0  # folded in while the log was verified: signed, not checked this time
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class _Target:
    """A signed root to meet at a size: a checkpoint, the head, a witnessed checkpoint."""

    size: int
    root: bytes
    where: str


class _Verifier:
    def __init__(self, store: LedgerStore, max_problems: int) -> None:
        self.store = store
        self.report = Report()
        self.max_problems = max_problems
        self.origin: str | None = None  # the log's name, from its signed head
        self.signed: int | None = None  # the signed head's size, when it was first read
        self.note: str | None = None  # that head's checkpoint note
        self.extent = 0  # the entries checked: [0, extent)

    def problem(self, where: str, what: str) -> None:
        if len(self.report.problems) < self.max_problems:
            self.report.problems.append(Problem(where, what))
        else:
            self.report.truncated = True

    # Signed statements ------------------------------------------------------------------------

    def targets(
        self,
        verifiers: Sequence[Verifier],
        witnesses: Sequence[Verifier],
        trusted: Sequence[str],
        origin: str | None,
    ) -> list[_Target]:
        targets: list[_Target] = []
        store = self.store
        head = store.head()
        if head is None:
            if store.end():
                self.problem("head", "entries are stored but the ledger has no signed head")
        else:
            checkpoint = self.open("head", head[1], verifiers, origin)
            if checkpoint is not None:
                origin = origin or checkpoint.origin
                self.origin = origin
                if checkpoint.size != head[0]:
                    self.problem("head", f"signed for size {checkpoint.size}, stored as {head[0]}")
                self.signed, self.note = checkpoint.size, head[1]
                targets.append(_Target(checkpoint.size, checkpoint.root, "head"))
        notes: dict[int, str] = {}
        for checkpoint_id, size, _at, note in store.checkpoints():
            where = f"checkpoint {checkpoint_id}"
            notes[checkpoint_id] = note
            self.report.checkpoints += 1
            checkpoint = self.open(where, note, verifiers, origin)
            if checkpoint is not None:
                if checkpoint.size != size:
                    self.problem(where, f"signed for size {checkpoint.size}, stored as {size}")
                targets.append(_Target(checkpoint.size, checkpoint.root, where))
        for number, note in enumerate(trusted, 1):
            where = f"witnessed checkpoint {number}"
            checkpoint = self.open(where, note, verifiers, origin)
            if checkpoint is not None:
                targets.append(_Target(checkpoint.size, checkpoint.root, where))
        pinned = {w.vkey for w in witnesses}
        for checkpoint_id, vkey, cosigned_at, line in store.cosignatures():
            where = f"cosignature of checkpoint {checkpoint_id}"
            self.report.cosignatures += 1
            try:
                witness = Verifier.parse(vkey)
                if pinned and vkey not in pinned:
                    raise NoteError(f"by {vkey}, not a witness this verifier trusts")
                text = parse_note(notes[checkpoint_id]).text
                if verify_cosignature(f"{text}\n{line}", witness) != cosigned_at:
                    raise NoteError("its time differs from the time stored with it")
            except (NoteError, KeyError) as error:
                self.problem(where, f"does not verify: {error}")
        return sorted(targets, key=lambda t: t.size)

    def open(
        self, where: str, note: str, verifiers: Sequence[Verifier], origin: str | None
    ) -> Checkpoint | None:
        try:
            return open_checkpoint(note, verifiers, origin)
        except NoteError as error:
            self.problem(where, f"signature or format does not verify: {error}")
            return None

    # Entries -----------------------------------------------------------------------------------

    def entries(
        self, targets: list[_Target], progress: Progress | None, workers: int, level: int
    ) -> CompactRange:
        """Recompute the tree span by span and meet every signed root on the way.

        Each span of ``2**level`` entries is a complete subtree, so spans are checked apart
        (in worker processes when ``workers`` > 1) and joined here: a span hands back its
        subtree hashes, the hashes leading to any signed size inside it, and the stored nodes
        above its level, which only the joined tree can check.
        """
        store, problem = self.store, self.problem
        end = store.end() if self.signed is None else min(store.end(), self.signed)
        self.extent = end
        width = 1 << level
        sizes = sorted({t.size for t in targets if 0 < t.size <= end})
        spans = [
            _Span(
                start,
                start + width,
                end,
                tuple(s for s in sizes if start < s < start + width),
                self.max_problems,
            )
            for start in range(0, end, width)
        ]
        tree = CompactRange()
        upper: list[list[tuple[int, bytes]]] = []  # stored nodes above the spans' level
        completed: list[Node] = []  # the nodes above it that joining the spans completes
        pending = list(targets)
        removed = 0  # bodies removed: they must be a prefix of the log
        retained_through = 0  # how far logged retention runs reach
        aligned = True  # False once missing entries shifted the leaves after them
        self.meet(pending, 0, tree.root())
        for span in _run_spans(store, spans, workers, level):
            for found in span.problems:
                problem(found.where, found.what)
            self.report.truncated |= span.truncated
            upper.append(span.upper)
            retained_through = max(retained_through, span.retained_through)
            if span.first_removed == span.start and removed != span.start:
                problem(
                    f"entry {span.first_removed}", "body removed, but entries before it are held"
                )
            removed += span.removed
            if progress is not None:
                progress(min(span.start + width, end), end)
            if not aligned:
                continue
            for size, parts in span.parts:
                self.meet(pending, size, fold([*tree.hashes, *parts]))
            if span.leaves == width:
                completed.extend(n for n in tree.push(level, span.hashes[0]) if n[0] % STRIDE == 0)
            else:
                for (lv, _index), digest in zip(subtrees(0, span.leaves), span.hashes, strict=True):
                    tree.push(lv, digest)
                aligned = span.start + width >= end
            self.meet(pending, tree.size, tree.root())
        nodes = _Nodes(iter(upper), problem)
        nodes.check(completed)
        nodes.finish()
        if removed > retained_through:
            problem(
                f"entries {retained_through}-{removed - 1}",
                "bodies removed, but no logged retention run reaches them",
            )
        self.report.pruned = removed
        for target in pending:
            problem(
                target.where,
                f"signed at size {target.size}, but the log holds only {tree.size} entries: "
                "entries were removed or the log was rolled back",
            )
        return tree

    def beyond(self, verifiers: Sequence[Verifier], origin: str | None) -> None:
        """Report rows stored for leaves past the entries checked: no signature covers them.

        On a serving node, a fold may add entries, subject rows, nodes and a new signed head,
        all in one transaction, while the log is being verified. So the rows are read first and
        the head after them: a fold that wrote any row read also wrote a head that covers it.
        What lies between the two heads is signed but not checked this time.
        """
        store, covered, signed = self.store, self.extent, self.signed
        end, subjects, nodes = store.beyond(covered)
        head = store.head() if signed is not None else None
        if signed is not None and head is not None and head[1] != self.note:
            checkpoint = self.open("head", head[1], verifiers, origin)
            if checkpoint is not None and checkpoint.size < signed:
                self.problem(
                    "head",
                    f"went back from size {signed} to {checkpoint.size} while the log was verified",
                )
            elif checkpoint is not None:
                covered = max(covered, checkpoint.size)
                self.report.appended = checkpoint.size - signed
        if end > covered:  # each fold writes its entries and the head together
            self.problem(
                f"entries {covered}-{end - 1}",
                "stored beyond the signed head: no signature covers them",
            )
        for idx in [i for i in subjects if i >= covered][:3]:
            self.problem(f"entry {idx}", "subject rows for an entry the log does not hold")
        for key in nodes:
            if key >= covered << 6:
                self.problem(f"tree node {key}", "stored, but not a node of this tree")

    def meet(self, pending: list[_Target], size: int, root: bytes) -> None:
        """Check the signed roots for ``size`` against the root the entries give."""
        while pending and pending[0].size == size:
            target = pending.pop(0)
            if target.root != root:
                self.problem(target.where, f"root at size {size} differs from the entries'")


@dataclass(frozen=True, slots=True)
class _Span:
    """One span's work: entries ``[start, min(stop, end))``, and the signed sizes inside it."""

    start: int
    stop: int
    end: int  # where the checked entries end (the signed head, or the last stored entry)
    sizes: tuple[int, ...]
    max_problems: int


@dataclass(slots=True)
class _Checked:
    """What checking a span found, for the join."""

    start: int
    leaves: int = 0
    hashes: list[bytes] = field(default_factory=list)  # the span's subtrees, largest first
    parts: list[tuple[int, list[bytes]]] = field(default_factory=list)  # size -> [start, size)
    upper: list[tuple[int, bytes]] = field(default_factory=list)  # stored nodes above the span
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False
    removed: int = 0
    first_removed: int | None = None
    retained_through: int = 0


def _check_span(store: LedgerStore, span: _Span, level: int) -> _Checked:
    """Check one span's entries, subject rows and tree nodes: a pure read of its key range."""
    out = _Checked(span.start)
    limit = span.max_problems

    def problem(where: str, what: str) -> None:
        if len(out.problems) < limit:
            out.problems.append(Problem(where, what))
        else:
            out.truncated = True

    start = span.start
    stop = min(span.stop, span.end)
    chunk = min(1 << CHUNK_LEVEL, 1 << level)
    nodes = _Nodes(store.stream_nodes(stop, chunk, start), problem, top=level, upper=out.upper)
    tree = _SpanTree(start, span.sizes, nodes)
    expected = start
    held = False  # a body was seen before a removed one
    sha256, find, close = hashlib.sha256, _SUBJECTS, _CLOSE
    first, after = len(_SUBJECTS), -len(_CLOSE)
    chunks = zip(range(start, stop, chunk), store.stream_entries(stop, chunk, start), strict=True)
    for lo, rows in chunks:
        hi = min(lo + chunk, stop)
        stored = store.subjects_between(lo, hi)
        named: list[tuple[int, int]] = []
        name, leaves = named.append, [row[2] for row in rows]
        # Indexes are unique and sorted: the first and the last tell whether any is missing.
        if rows and rows[0][0] == expected and rows[-1][0] == expected + len(rows) - 1:
            expected += len(rows)
        else:
            for idx, _body, _leaf in rows:
                if idx != expected:
                    problem(f"entry {expected}", f"missing (next stored entry is {idx})")
                    expected = idx
                expected += 1
        for idx, body, leaf in rows:
            if body is None:
                if held:
                    problem(f"entry {idx}", "body removed, but entries before it are held")
                if out.first_removed is None:
                    out.first_removed = idx
                out.removed += 1
                continue
            held = True
            if sha256(b"\x00" + body).digest() != leaf:
                problem(f"entry {idx}", "body does not match its leaf hash")
            # The subject keys close the canonical bytes (sorted keys: "subjects" is last but
            # "v", and quotes inside strings are escaped), so they are read without parsing
            # the whole body, and in plain byte operations: this loop runs for every entry.
            at = body.rfind(find)
            if at >= 0 and body.endswith(close):
                keys = body[at + first : after]
                if not keys.translate(None, _KEY_BYTES):  # hex digits, quotes and commas only
                    for key in keys.split(b'","'):
                        if len(key) == 64:
                            name((idx, int(key[:15], 16)))
            if b'"change":"retention"' in body:
                out.retained_through = max(out.retained_through, _retention_through(idx, body))
        if set(named) != stored:
            for idx, _tag in sorted(set(named) ^ stored)[:3]:
                problem(f"entry {idx}", "subject index differs from the body's subjects")
        tree.extend(leaves)
    if expected < stop:
        problem(f"entries {expected}-{stop - 1}", "missing")
    nodes.finish()
    out.leaves, out.hashes, out.parts = tree.tree.size, list(tree.tree.hashes), tree.parts
    return out


class _SpanTree:
    """A span's subtree as its leaves arrive: the stored nodes it completes are checked, and
    the hashes that lead to each signed size inside the span are kept for the join."""

    def __init__(self, start: int, sizes: Sequence[int], nodes: _Nodes) -> None:
        self.tree = CompactRange()
        self.start = start  # where the span begins: a multiple of every subtree size in it
        self.pending = [size - start for size in sizes]  # signed sizes, within the span
        self.parts: list[tuple[int, list[bytes]]] = []  # (size, hashes of [start, size))
        self.nodes = nodes

    def extend(self, leaves: list[bytes]) -> None:
        tree, pending, full = self.tree, self.pending, len(leaves)
        if full and full & (full - 1) == 0 and tree.size % full == 0:
            self._extend_aligned(leaves)
            return
        at = 0
        while pending and pending[0] <= tree.size + full - at:
            cut = pending[0] - tree.size + at
            self._check(tree.extend(leaves[at:cut], every=STRIDE))
            at = cut
            self._keep()
        self._check(tree.extend(leaves[at:], every=STRIDE))

    def _extend_aligned(self, leaves: list[bytes]) -> None:
        """The fast path: a whole aligned power-of-two chunk, hashed a level at a time."""
        tree, pending = self.tree, self.pending
        base, top = tree.size, len(leaves).bit_length() - 1
        tiers = levels(leaves)
        before = tree.hashes
        while pending and pending[0] < base + len(leaves):
            size = pending.pop(0)
            inside = [tiers[lv][i - (base >> lv)] for lv, i in subtrees(base, size)]
            self.parts.append((self.start + size, [*before, *inside]))
        completed = [
            (lv, (base >> lv) + i, h)
            for lv in range(STRIDE, top + 1, STRIDE)
            for i, h in enumerate(tiers[lv])
        ]
        completed.extend(n for n in tree.push(top, tiers[top][0]) if n[0] % STRIDE == 0)
        completed.sort(key=lambda n: node_key(n[0], n[1]))
        self._check(completed)
        if pending and pending[0] == tree.size:
            self._keep()

    def _keep(self) -> None:
        self.parts.append((self.start + self.pending.pop(0), list(self.tree.hashes)))

    def _check(self, completed: list[Node]) -> None:
        """Check completed nodes, numbered within the whole tree."""
        start = self.start
        if start:
            completed = [(lv, (start >> lv) + i, h) for lv, i, h in completed]
        self.nodes.check(completed)


_SUBJECTS = b',"subjects":["'
_CLOSE = b'"],"v":1}'
"""A canonical entry naming subjects ends ``,"subjects":["<key>","<key>"],"v":1}``."""
_KEY_BYTES = b'0123456789abcdef",'


def _retention_through(idx: int, body: bytes) -> int:
    """How far a logged retention run reaches (0 if the body is not one)."""
    try:
        raw = orjson.loads(body)
        if raw.get("kind") == "admin" and raw.get("change") == "retention":
            return min(int(raw["detail"]["through"]), idx)
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        pass
    return 0


class _Nodes:
    """The stored tree nodes, met in key order beside the nodes the entries complete.

    Nodes above level ``top`` are not checked here but set aside in ``upper``: a span's
    nodes are checked by the span, the nodes above the spans when they are joined.
    """

    def __init__(
        self,
        chunks: Iterator[list[tuple[int, bytes]]],
        problem: Callable[[str, str], None],
        *,
        top: int = 63,
        upper: list[tuple[int, bytes]] | None = None,
    ) -> None:
        self._chunks = chunks
        self._rows: list[tuple[int, bytes]] = []
        self._at = 0
        self._problem = problem
        self._top = top
        self._upper = upper

    def _next(self) -> tuple[int, bytes] | None:
        while True:
            while self._at >= len(self._rows):
                rows = next(self._chunks, None)
                if rows is None:
                    return None
                self._rows, self._at = rows, 0
            row = self._rows[self._at]
            if row[0] & 63 <= self._top or self._upper is None:
                return row
            self._upper.append(row)
            self._at += 1

    def check(self, completed: list[Node]) -> None:
        problem = self._problem
        for level, index, digest in completed:
            key = node_key(level, index)
            stored = self._next()
            while stored is not None and stored[0] < key:
                problem(f"tree node {stored[0]}", "stored, but not a node of this tree")
                self._at += 1
                stored = self._next()
            where = f"tree node level {level} index {index}"
            if stored is None or stored[0] != key:
                problem(where, "missing")
                continue
            if stored[1] != digest:
                problem(where, "differs from the node the entries give")
            self._at += 1

    def finish(self) -> None:
        stored = self._next()
        while stored is not None:
            self._problem(f"tree node {stored[0]}", "stored, but not a node of this tree")
            self._at += 1
            stored = self._next()


_WORKER: LedgerStore | None = None
"""The store a worker process checks spans of, opened once per process."""


def _open_worker(reopen: Callable[[], LedgerStore]) -> None:
    global _WORKER
    _WORKER = reopen()


def _worker_span(span: _Span, level: int) -> _Checked:
    assert _WORKER is not None, "the pool's initializer opens the store"
    return _check_span(_WORKER, span, level)


def _run_spans(
    store: LedgerStore, spans: list[_Span], workers: int, level: int
) -> Iterator[_Checked]:
    """Each span checked, in order: here, or by ``workers`` processes of their own, each
    reading the same database through its own connection."""
    workers = min(workers, len(spans))
    reopen = store.reopener() if workers > 1 else None
    if reopen is None:
        for span in spans:
            yield _check_span(store, span, level)
        return
    # spawn, not fork: the caller may hold threads (a ledger's writer) and open connections.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_open_worker, initargs=(reopen,)
    ) as pool:
        yield from pool.map(_worker_span, spans, itertools.repeat(level))


def default_workers() -> int:
    """Processes to verify with: one per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def verify_ledger(
    store: LedgerStore,
    verifiers: Sequence[Verifier],
    *,
    origin: str | None = None,
    witnesses: Sequence[Verifier] = (),
    trusted: Sequence[str] = (),
    progress: Progress | None = None,
    max_problems: int = 100,
    workers: int | None = None,
    span_level: int = SPAN_LEVEL,
) -> Report:
    """Recompute the log in ``store`` and check it against everything signed.

    ``verifiers`` are the log's keys (current and retired); ``origin`` the log's name (the
    head's by default); ``witnesses`` pins the witness keys cosignatures must come from (any
    stored one is checked against its own key otherwise); ``trusted`` adds checkpoint notes
    obtained elsewhere, such as the last one a witness cosigned, so a rollback of the whole
    database shows.

    The entries are checked in spans of ``2**span_level`` by ``workers`` processes (one per
    core by default; a log of one span, or an in-memory database, is checked here).
    """
    if span_level < 1:
        raise ValueError("a span holds at least two entries")
    run = _Verifier(store, max_problems)
    targets = run.targets(verifiers, witnesses, trusted, origin)
    tree = run.entries(targets, progress, workers or default_workers(), span_level)
    origin = origin or run.origin
    run.beyond(verifiers, origin)
    run.report.size = tree.size
    run.report.root = tree.root()
    if origin is not None:
        # Entries durable in the journal, not yet in the tree: a serving node folds them
        # within a second; those a crash left, the ledger folds when it next opens.
        with contextlib.suppress(LedgerUnavailable):  # a database with no journal table
            journal = store.database().journal()
            run.report.journaled = len(journal.pending(origin, tree.size))
            orphans = journal.orphans(origin, tree.size)
            if orphans:
                # No fold takes these: the log would never hold them, yet its tree verifies.
                run.problem(
                    "journal",
                    f"{len(orphans)} journaled entries at indexes the tree already holds "
                    f"({', '.join(str(row[0]) for row in orphans[:10])}"
                    f"{' ...' if len(orphans) > 10 else ''}): a second writer's, not in the "
                    "log; the ledger appends them again when its writer next opens it",
                )
    return run.report
