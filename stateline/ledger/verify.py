"""The verifier: recompute the whole log from its stored entries and check everything signed.

:func:`verify_ledger` streams the entries in index order, a chunk at a time, and checks:

- indexes run 0, 1, 2... with no gap;
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
import re
from collections.abc import Callable, Iterator, Sequence
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
from stateline.ledger.merkle import CompactRange, Node, fold, levels, subtrees
from stateline.storage.ledger import (
    BUCKET_BITS,
    STRIDE,
    JournalStore,
    LedgerStore,
    LedgerUnavailable,
    node_key,
)

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

    def entries(self, targets: list[_Target], progress: Progress | None) -> CompactRange:
        store = self.store
        end = max([store.end(), *(t.size for t in targets)])
        tree = CompactRange()
        chunk = 1 << BUCKET_BITS  # a bucket of subject rows per chunk of entries
        nodes = _Nodes(store.stream_nodes(end, chunk), self)
        pending = list(targets)
        expected = 0
        removed = 0  # bodies removed: they must be a prefix of the log
        retained_through = 0  # how far logged retention runs reach
        sha256, problem, tail = hashlib.sha256, self.problem, _SUBJECTS.match
        for bucket, rows in enumerate(store.stream_entries(end, chunk)):
            stored = store.bucket_subjects(bucket)
            named: set[tuple[int, int]] = set()
            leaves: list[bytes] = []
            for idx, body, leaf in rows:
                if idx != expected:
                    problem(f"entry {expected}", f"missing (next stored entry is {idx})")
                    expected = idx
                expected += 1
                leaves.append(leaf)
                if body is None:
                    if removed != idx:
                        problem(f"entry {idx}", "body removed, but entries before it are held")
                    removed += 1
                    continue
                if sha256(b"\x00" + body).digest() != leaf:
                    problem(f"entry {idx}", "body does not match its leaf hash")
                # The subject keys sit at a fixed place in the canonical bytes (sorted keys:
                # "subjects" is last but "v", and quotes inside strings are escaped), so they
                # are read without parsing the whole body: this loop runs for every entry.
                at = body.rfind(b',"subjects":[')
                found = tail(body, at) if at >= 0 else None
                if found is not None and found.group(1):
                    named.update((idx, int(key[1:16], 16)) for key in found.group(1).split(b","))
                if b'"change":"retention"' in body:
                    retained_through = max(retained_through, _retention_through(idx, body))
            if named != stored:
                for idx, _tag in sorted(named ^ stored)[:3]:
                    problem(f"entry {idx}", "subject index differs from the body's subjects")
            self.extend(tree, leaves, pending, nodes)
            if progress is not None:
                progress(expected, end)
        beyond = store.bucket_subjects(max(end - 1, 0) >> BUCKET_BITS, beyond=True)
        for idx, _tag in sorted(beyond)[:3]:
            problem(f"entry {idx}", "subject rows for an entry the log does not hold")
        if removed > retained_through:
            problem(
                f"entries {retained_through}-{removed - 1}",
                "bodies removed, but no logged retention run reaches them",
            )
        self.report.pruned = removed
        nodes.finish()
        for target in pending:
            problem(
                target.where,
                f"signed at size {target.size}, but the log holds only {tree.size} entries: "
                "entries were removed or the log was rolled back",
            )
        return tree

    def extend(
        self, tree: CompactRange, leaves: list[bytes], pending: list[_Target], nodes: _Nodes
    ) -> None:
        """Add leaves to the tree, checking signed roots at their sizes on the way."""
        full = len(leaves)
        if full and full & (full - 1) == 0 and tree.size % full == 0:
            self.extend_aligned(tree, leaves, pending, nodes)
            return
        start = 0
        while pending and pending[0].size <= tree.size + len(leaves) - start:
            cut = pending[0].size - tree.size + start
            nodes.check(tree.extend(leaves[start:cut], every=STRIDE))
            start = cut
            self.meet(pending, tree.size, tree.root())
        nodes.check(tree.extend(leaves[start:], every=STRIDE))

    def extend_aligned(
        self, tree: CompactRange, leaves: list[bytes], pending: list[_Target], nodes: _Nodes
    ) -> None:
        """The fast path: a whole aligned power-of-two chunk, hashed a level at a time."""
        base, top = tree.size, len(leaves).bit_length() - 1
        tiers = levels(leaves)
        before = tree.hashes
        while pending and pending[0].size < base + len(leaves):
            size = pending[0].size
            parts = [tiers[lv][i - (base >> lv)] for lv, i in subtrees(base, size)]
            self.meet(pending, size, fold([*before, *parts]))
        completed = [
            (lv, (base >> lv) + i, h)
            for lv in range(STRIDE, top + 1, STRIDE)
            for i, h in enumerate(tiers[lv])
        ]
        completed.extend(n for n in tree.push(top, tiers[top][0]) if n[0] % STRIDE == 0)
        completed.sort(key=lambda n: node_key(n[0], n[1]))
        nodes.check(completed)
        self.meet(pending, tree.size, tree.root())

    def meet(self, pending: list[_Target], size: int, root: bytes) -> None:
        """Check the signed roots for ``size`` against the root the entries give."""
        while pending and pending[0].size == size:
            target = pending.pop(0)
            if target.root != root:
                self.problem(target.where, f"root at size {size} differs from the entries'")


_SUBJECTS = re.compile(rb',"subjects":\[((?:"[0-9a-f]{64}",?)*)\],"v":1\}\Z')
"""The end of a canonical entry that names subjects."""


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
    """The stored tree nodes, met in key order beside the nodes the entries complete."""

    def __init__(self, chunks: Iterator[list[tuple[int, bytes]]], owner: _Verifier) -> None:
        self._chunks = chunks
        self._rows: list[tuple[int, bytes]] = []
        self._at = 0
        self._owner = owner

    def _next(self) -> tuple[int, bytes] | None:
        while self._at >= len(self._rows):
            rows = next(self._chunks, None)
            if rows is None:
                return None
            self._rows, self._at = rows, 0
        return self._rows[self._at]

    def check(self, completed: list[Node]) -> None:
        problem = self._owner.problem
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
            self._owner.problem(f"tree node {stored[0]}", "stored, but not a node of this tree")
            self._at += 1
            stored = self._next()


def verify_ledger(
    store: LedgerStore,
    verifiers: Sequence[Verifier],
    *,
    origin: str | None = None,
    witnesses: Sequence[Verifier] = (),
    trusted: Sequence[str] = (),
    progress: Progress | None = None,
    max_problems: int = 100,
) -> Report:
    """Recompute the log in ``store`` and check it against everything signed.

    ``verifiers`` are the log's keys (current and retired); ``origin`` the log's name (the
    head's by default); ``witnesses`` pins the witness keys cosignatures must come from (any
    stored one is checked against its own key otherwise); ``trusted`` adds checkpoint notes
    obtained elsewhere, such as the last one a witness cosigned, so a rollback of the whole
    database shows.
    """
    run = _Verifier(store, max_problems)
    targets = run.targets(verifiers, witnesses, trusted, origin)
    tree = run.entries(targets, progress)
    run.report.size = tree.size
    run.report.root = tree.root()
    origin = origin or run.origin
    if origin is not None:
        # Entries a crash left in the journal: durable, and folded when the ledger next opens.
        with contextlib.suppress(LedgerUnavailable):  # a database with no journal table
            run.report.journaled = len(JournalStore(store.engine).pending(origin, tree.size))
    return run.report
