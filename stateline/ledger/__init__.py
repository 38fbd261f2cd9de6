"""The audit ledger: every request, decision, review, disclosure, notice and administrative
change a node makes, in an append-only Merkle log that anyone can check.

It owns the entry format (``entries``: frozen dataclasses, canonical bytes, subjects named
only by a keyed hash), the RFC 9162 Merkle maths (``merkle``, which needs nothing beyond
hashlib), C2SP signed checkpoints and witness cosignatures (``checkpoint``), the node's keys
on disk (``keys``), how a log is kept in rows (``layout``), the durable single-writer append:
a log's state, folds and failures (``state``), the writer thread of a ledger database
(``writer``) and group commit on the event loop (``group``); the ledger with its checkpoints,
proofs and reads (``log``), retention (``retention``), entries a second writer left in the
journal (``recovery``), one writer per ledger across processes (``lock``), proofs from the
committed tree (``proofs``), the verifier that recomputes the whole log (``verify``, one span
at a time in ``spans``), the reading of every entry once beside a serving writer (``read``), the
comparison of the hub's logged answers with the disclosures (``reconcile``) and the witness
that cosigns only consistent checkpoints (``witness``). The node hands it entries and gets
back indexes once they are durable; oversight reads it; the CLI verifies, proves and exports
it. It never imports the hub, the node, oversight, the web or storage: it types against its
own ports (``ports``: a log's tables, the journal, the writer; failing with ``errors``),
which ``stateline.storage.ledger`` implements and ``stateline.bootstrap`` hands in.
"""
