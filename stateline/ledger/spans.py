"""Checking a ledger's entries one span at a time: each span a complete subtree of the log,
read as a pure read of its key range, so spans are checked apart (by worker processes, one per
core) and joined in order by the verifier (``ledger.verify``).

A span's check recomputes its leaves and subtree hashes, compares the stored tree nodes inside
it, reads the subject index beside the bodies, and notes the retention runs it meets; what lies
above the span (its stored nodes, the signed roots at sizes inside it) goes back for the join.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import orjson

from stateline.ledger.layout import STRIDE, node_key
from stateline.ledger.merkle import CompactRange, Node, levels, subtrees
from stateline.ledger.ports import LedgerStore

CHUNK_LEVEL = 16
"""Within a span, entries are read 2**16 (65,536) at a time, with their subject rows."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the log: where (``entry 17``, ``checkpoint 3``...) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True, slots=True)
class Span:
    """One span's work: entries ``[start, min(stop, end))``, and the signed sizes inside it."""

    start: int
    stop: int
    end: int  # where the checked entries end (the signed head, or the last stored entry)
    sizes: tuple[int, ...]
    max_problems: int


@dataclass(slots=True)
class Checked:
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


def check_span(store: LedgerStore, span: Span, level: int) -> Checked:
    """Check one span's entries, subject rows and tree nodes: a pure read of its key range."""
    out = Checked(span.start)
    limit = span.max_problems

    def problem(where: str, what: str) -> None:
        if len(out.problems) < limit:
            out.problems.append(Problem(where, what))
        else:
            out.truncated = True

    start = span.start
    stop = min(span.stop, span.end)
    chunk = min(1 << CHUNK_LEVEL, 1 << level)
    nodes = Nodes(store.stream_nodes(stop, chunk, start), problem, top=level, upper=out.upper)
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

    def __init__(self, start: int, sizes: Sequence[int], nodes: Nodes) -> None:
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


class Nodes:
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


def _worker_span(span: Span, level: int) -> Checked:
    assert _WORKER is not None, "the pool's initializer opens the store"
    return check_span(_WORKER, span, level)


def run_spans(store: LedgerStore, spans: list[Span], workers: int, level: int) -> Iterator[Checked]:
    """Each span checked, in order: here, or by ``workers`` processes of their own, each
    reading the same database through its own connection."""
    workers = min(workers, len(spans))
    reopen = store.reopener() if workers > 1 else None
    if reopen is None:
        for span in spans:
            yield check_span(store, span, level)
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
