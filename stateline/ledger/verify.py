"""The verifier: recompute the whole log from its stored entries and check everything signed.

:func:`verify_ledger` reads the entries in spans of ``2**SPAN_LEVEL``, each a complete subtree
of the log, so spans are checked apart (``ledger.spans``, by worker processes, one per core) and
then joined in order. It checks:

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stateline.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    Verifier,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import STRIDE
from stateline.ledger.merkle import CompactRange, Node, fold, subtrees
from stateline.ledger.ports import LedgerStore
from stateline.ledger.spans import Nodes, Problem, Span, default_workers, run_spans

SPAN_LEVEL = 18
"""Entries are checked in spans of 2**18 (262,144): complete subtrees, checked apart."""


Progress = Callable[[int, int], None]
"""Called with (entries checked so far, entries in all) after each chunk."""


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
            Span(
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
        for span in run_spans(store, spans, workers, level):
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
        nodes = Nodes(iter(upper), problem)
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
