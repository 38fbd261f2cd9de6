"""A node's audit ledger: durable appends, and what is signed and read from the log.

:class:`Ledger` is a log (``ledger.state``: its tree, signed head and journaled entries, and
appends that fail closed) with what the node publishes and answers from it: signed checkpoints,
witnesses' cosignatures, key rotation, proofs, entries by index and by subject, and retention
runs (``ledger.retention``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from functools import partial

from stateline.ledger.checkpoint import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_note,
    parse_note,
    sign_checkpoint,
)
from stateline.ledger.entries import AdminChange, Entry, decode, micros
from stateline.ledger.layout import subject_tag
from stateline.ledger.proofs import InclusionProof, consistency_proof, inclusion_proof, root_at
from stateline.ledger.retention import (
    DEFAULT_RETENTION,
    MIN_RETENTION,
    older_through,
    retention_entry,
)
from stateline.ledger.state import LogState


class Ledger(LogState):
    """A node's audit ledger: durable appends, checkpoints and proofs.

    One instance per database: it owns the single writer. ``origin`` defaults to the signer's
    key name, as C2SP recommends.
    """

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
        through = older_through(self._store, start, size, cutoff)
        if through == start:
            return 0
        self.append([retention_entry(self.origin, now, cutoff, through, actor)])
        return self._call(lambda: self._store.prune(through))
