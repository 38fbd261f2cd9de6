"""The audit ledger's tables and the adapters that read and write them: the ledger's ports
(``stateline.ledger.ports``) on SQLAlchemy, for SQLite and PostgreSQL.

What is stored:

- ``ledger_entries``: one row per entry, by index: the canonical body (``NULL`` once retention
  has removed it) and its RFC 9162 leaf hash, which stays forever so the tree still verifies.
  Nothing else: every column beside the body would be one more thing to check against it.
- ``ledger_subjects``: which entries name which subject, as ``(bucket, tag, idx)`` with
  ``bucket = idx >> 12`` (``ledger.layout.BUCKET_BITS``) and the tag the subject key's first
  60 bits (``ledger.layout.subject_tag``). A plain index by subject takes random writes all
  over a B-tree that outgrows the cache, and appends slow down as the log grows; bucketed,
  each fold writes into one small region and the append rate stays flat, while a look-up
  costs one index seek per bucket (docs/ledger.md).
- ``ledger_nodes``: the roots of complete subtrees whose level is a multiple of
  ``ledger.layout.STRIDE`` (3, 6, 9...): about one row per seven entries. Any complete subtree
  hash is at most eight stored hashes away, so an inclusion proof at 10 million entries takes
  two indexed reads of a few dozen rows. The key (``ledger.layout.node_key``) sorts nodes in
  the order appends complete them, which lets the verifier stream them beside the entries.
- ``ledger_head``: the log's own signed checkpoint at its committed size, rewritten in the same
  transaction as every append, so a row appended or removed behind the ledger's back shows.
- ``ledger_checkpoints`` and ``ledger_cosignatures``: published checkpoints and witnesses'
  cosignatures of them; ``ledger_witnessed``: this node's memory as a witness of other logs.

- ``ledger_journal``: entries committed but not yet folded into their log's tables (one
  journal per database, shared by the ledgers in it).

``tables`` defines a ledger's tables, ``rebucket`` brings subject rows of older ledgers up to
date, ``store`` reads and writes one log's tables, ``journal`` keeps the database's journal,
and ``database`` is the database as its writer thread sees it. Appends go through
``SqlLedgerDatabase.writer``, one connection owned by the ledger's single writer
thread (on SQLite with ``synchronous=FULL``, so a commit is on disk when it returns). Hot
statements are Core statements compiled once and run on the DBAPI cursor, rows going to the
driver's ``executemany`` as they are. On SQLite an append's entries, subject rows and nodes go
instead as one statement each that reads its rows from one blob and a JSON array: the
driver binds parameters one row at a time holding the interpreter lock, but runs a statement
without it, so a whole batch is written while other threads go on encoding the next one.
Driver errors become ``LedgerUnavailable``.
"""
