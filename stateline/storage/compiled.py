"""Core statements compiled once and run straight on a DBAPI cursor: the hot paths' reads.

Lookups and appends are the exchange's hot path: going through ``Connection.execute`` costs
more than the query itself (cache key, execution context, result wrapping), so repositories
compile each statement once for the engine's dialect and run the SQL text on a pooled cursor.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from stateline.errors import StorageError
from stateline.storage.failures import translated


class Compiled:
    """A Core statement compiled once for one dialect, with its parameter order."""

    __slots__ = ("names", "positional", "sql")

    def __init__(
        self, statement: ClauseElement, engine: Engine, columns: Sequence[str] | None = None
    ) -> None:
        dialect = engine.dialect
        # An engine may map tables into a schema (one schema per node on a shared PostgreSQL);
        # the raw path must render that mapping into the SQL itself.
        translate = engine.get_execution_options().get("schema_translate_map")
        compiled = statement.compile(
            dialect=dialect,
            column_keys=list(columns) if columns is not None else None,
            schema_translate_map=translate,
            render_schema_translate=bool(translate),
        )
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = dialect.positional
        self.names = tuple(compiled.positiontup or ()) if dialect.positional else ()

    def params(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for ``values``: a tuple in order, or the dict itself."""
        return tuple(values[name] for name in self.names) if self.positional else values

    def rows(self, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Rows given in ``names`` order, as the driver's executemany wants them."""
        if not self.positional:
            return [dict(zip(names, row, strict=True)) for row in rows]
        if tuple(names) != self.names:
            order = [names.index(name) for name in self.names]
            return [tuple(row[i] for i in order) for row in rows]
        return list(rows)


def fetch(
    engine: Engine,
    statement: Compiled,
    values: dict[str, Any],
    *,
    failure: type[StorageError],
    what: str,
) -> list[Any]:
    """Run a compiled read on a pooled connection; driver errors become ``failure``."""
    with translated(f"cannot reach the {what} database", failure, detail=True):
        connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(statement.sql, statement.params(values))
            return list(cursor.fetchall())
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error as exc:
        connection.invalidate()  # a failed connection is not handed to the next caller
        raise failure(f"cannot read the {what}: {exc}") from exc
    finally:
        connection.close()


class Reads:
    """Compiled reads of one repository, on a connection kept between reads on SQLite.

    Checking a connection out of the pool and back in for every read (its reset, events and
    bookkeeping) costs more than an indexed lookup on SQLite, where a read runs outside any
    transaction and so leaves nothing open behind it. The kept connection serves one read
    at a time: a read that finds it in use (on another thread) takes one from the pool.
    Other databases open a transaction for a read, so each read there checks its own
    connection out and in, as :func:`fetch` does.
    """

    def __init__(self, engine: Engine, *, failure: type[StorageError], what: str) -> None:
        self._engine = engine
        self._failure = failure
        self._what = what
        self._keep = engine.dialect.name == "sqlite"
        self._kept: list[Any] = []  # the idle connection, if any (list ops are atomic)
        self._release = weakref.finalize(self, _close_all, self._kept)

    def fetch(self, statement: Compiled, values: dict[str, Any]) -> list[Any]:
        """Run a compiled read; driver errors become the repository's ``failure``."""
        if not self._keep:
            return fetch(self._engine, statement, values, failure=self._failure, what=self._what)
        try:
            connection = self._kept.pop()
        except IndexError:
            with translated(f"cannot reach the {self._what} database", self._failure, detail=True):
                connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(statement.sql, statement.params(values))
                rows = list(cursor.fetchall())
            finally:
                cursor.close()
        except self._engine.dialect.loaded_dbapi.Error as exc:
            connection.invalidate()  # a failed connection is not kept or handed on
            connection.close()
            raise self._failure(f"cannot read the {self._what}: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        if self._kept:
            connection.close()  # one is kept already
        else:
            self._kept.append(connection)
        return rows

    def close(self) -> None:
        """Hand the kept connection back to the pool (before the engine is disposed of)."""
        self._release()


def _close_all(kept: list[Any]) -> None:
    while kept:
        with contextlib.suppress(Exception):  # going away: a failed check-in changes nothing
            kept.pop().close()
