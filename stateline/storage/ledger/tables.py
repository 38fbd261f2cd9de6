"""A ledger's tables: one set per log, under a name prefix when several logs share a database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.sql.expression import ColumnElement

from stateline.ledger.layout import BUCKET_BITS
from stateline.storage.schema import NAMING, node_metadata
from stateline.storage.witness_memory import witnessed_table


@dataclass(frozen=True, slots=True)
class LedgerTables:
    """One ledger's tables. Several ledgers can share a database, each under its own name
    prefix (``ny_ledger_entries``...), so one transaction can commit entries for all of them."""

    metadata: MetaData
    entries: Table
    subjects: Table
    nodes: Table
    head: Table
    checkpoints: Table
    cosignatures: Table
    witnessed: Table

    def all(self) -> list[Table]:
        return [
            self.entries,
            self.subjects,
            self.nodes,
            self.head,
            self.checkpoints,
            self.cosignatures,
            self.witnessed,
        ]


_KEY = BigInteger().with_variant(Integer(), "sqlite")
"""An entry's index, a node's key: on SQLite an INTEGER primary key is the row id itself, so
each row is written to one B-tree rather than to the table and an index beside it."""


def _define(metadata: MetaData, prefix: str) -> LedgerTables:
    name = f"{prefix}ledger_"
    return LedgerTables(
        metadata,
        entries=Table(
            f"{name}entries",
            metadata,
            Column("idx", _KEY, primary_key=True, autoincrement=False),
            Column("body", LargeBinary),
            Column("leaf_hash", LargeBinary(32), nullable=False),
        ),
        subjects=Table(
            f"{name}subjects",
            metadata,
            Column("bucket", BigInteger, primary_key=True, autoincrement=False),
            Column("subject", BigInteger, primary_key=True, autoincrement=False),
            Column("idx", BigInteger, primary_key=True, autoincrement=False),
            sqlite_with_rowid=False,
        ),
        nodes=Table(
            f"{name}nodes",
            metadata,
            Column("id", _KEY, primary_key=True, autoincrement=False),
            Column("hash", LargeBinary(32), nullable=False),
        ),
        head=Table(
            f"{name}head",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("size", BigInteger, nullable=False),
            Column("note", Text, nullable=False),
        ),
        checkpoints=Table(
            f"{name}checkpoints",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("size", BigInteger, nullable=False, index=True),
            Column("signed_at", BigInteger, nullable=False),
            Column("note", Text, nullable=False),
        ),
        cosignatures=Table(
            f"{name}cosignatures",
            metadata,
            Column("id", Integer, primary_key=True),
            Column(
                "checkpoint_id", ForeignKey(f"{name}checkpoints.id"), nullable=False, index=True
            ),
            Column("witness", String(300), nullable=False),  # the witness's verifier key string
            Column("cosigned_at", BigInteger, nullable=False),
            Column("line", Text, nullable=False),
            UniqueConstraint("checkpoint_id", "witness"),
        ),
        witnessed=witnessed_table(f"{name}witnessed", metadata),
    )


_PREFIX = re.compile("(?:[a-z]{2}_)?")
_TABLES: dict[str, LedgerTables] = {"": _define(node_metadata, "")}


def ledger_tables(prefix: str = "") -> LedgerTables:
    """The tables of the ledger under ``prefix``: empty (the node database's own ledger) or a
    lower-case state code and ``_`` (one of several ledgers in a shared database)."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"a ledger table prefix is a state code and '_', not {prefix!r}")
    if prefix not in _TABLES:
        _TABLES[prefix] = _define(MetaData(naming_convention=NAMING), prefix)
    return _TABLES[prefix]


def bucket_of(idx: ColumnElement[Any]) -> ColumnElement[Any]:
    """``idx >> BUCKET_BITS`` in SQL (a literal shift: PostgreSQL has no ``bigint >> bigint``)."""
    return idx.op(">>")(literal_column(str(BUCKET_BITS)))
