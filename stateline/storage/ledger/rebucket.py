"""Subject rows written with 65,536 entries a bucket, moved once into today's buckets."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from stateline.ledger.layout import BUCKET_BITS
from stateline.storage.ledger.tables import LedgerTables, bucket_of

_OLD_BUCKET_BITS = 16
"""What ledgers written before ``BUCKET_BITS`` was 12 used: opening one re-buckets it."""


def rebucket(engine: Engine, tables: LedgerTables) -> None:
    """Move subject rows written with 65,536 entries a bucket into today's buckets.

    Telling the two apart costs one read of the last bucket: its highest index is in the
    bucket its rows claim only if they use today's size (or if the log is too short for the
    sizes to differ, and then nothing needs moving). The move is one statement, in one
    transaction, done once.
    """
    c = tables.subjects.c
    with engine.begin() as conn:
        last = select(func.max(c.bucket)).scalar_subquery()
        newest = select(func.max(c.bucket), func.max(c.idx)).where(c.bucket == last)
        bucket, top = conn.execute(newest).one()  # NULLs when there are no rows
        if top is None or int(top) >> BUCKET_BITS == int(bucket):
            return
        if int(top) >> _OLD_BUCKET_BITS != int(bucket):
            return  # neither size: not ours to fix; `stateline ledger verify` reports it
        conn.execute(
            tables.subjects.update()
            .where(c.idx >= 1 << BUCKET_BITS)
            .values(bucket=bucket_of(c.idx))
        )
