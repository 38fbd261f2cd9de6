"""What a witness remembers: for each log it cosigns, the last checkpoint it cosigned.

A witness refuses a checkpoint that is not consistent with the one it remembers, so this memory
is what makes a rollback visible. A node remembers in its ledger's tables; the hub, which keeps
no ledger, in ``hub_witnessed`` in its own database. Both go through :class:`WitnessMemory`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, Text, select

from stateline.errors import StorageError
from stateline.storage.failures import translated
from stateline.storage.schema import hub_metadata


def witnessed_table(name: str, metadata: MetaData) -> Table:
    """The memory's table: one row per log origin."""
    return Table(
        name,
        metadata,
        Column("origin", String(300), primary_key=True),
        Column("size", BigInteger, nullable=False),
        Column("note", Text, nullable=False),
    )


hub_witnessed = witnessed_table("hub_witnessed", hub_metadata)


class WitnessMemory:
    """The last checkpoint cosigned per origin, in one table; errors become ``failure``."""

    def __init__(
        self,
        engine: Engine,
        table: Table = hub_witnessed,
        failure: type[StorageError] = StorageError,
    ) -> None:
        self._engine = engine
        self._table = table
        self._failure = failure

    def create_schema(self) -> None:
        with translated(f"cannot create {self._table.name}", self._failure, detail=True):
            self._table.create(self._engine, checkfirst=True)

    def witnessed(self, origin: str) -> tuple[int, str] | None:
        """The last checkpoint cosigned for ``origin``: its size and note."""
        w = self._table.c
        with (
            translated("cannot read the witnessed checkpoints", self._failure, detail=True),
            self._engine.connect() as conn,
        ):
            row = conn.execute(select(w.size, w.note).where(w.origin == origin)).first()
        return (int(row[0]), str(row[1])) if row is not None else None

    def remember_witnessed(self, origin: str, size: int, note: str) -> None:
        """Record the checkpoint just cosigned for ``origin``."""
        table = self._table
        with (
            translated("cannot record the witnessed checkpoint", self._failure, detail=True),
            self._engine.begin() as conn,
        ):
            updated = conn.execute(
                table.update().where(table.c.origin == origin).values(size=size, note=note)
            )
            if not updated.rowcount:
                conn.execute(table.insert().values(origin=origin, size=size, note=note))
