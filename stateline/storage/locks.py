"""PostgreSQL's advisory locks: one writer per ledger among every process on a database.

A file lock binds the processes of one data directory; ledgers on a shared PostgreSQL database
may be written from other machines too. A session-level advisory lock, held on a connection of
its own, is released by the server when that session ends, the process's death included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from stateline.errors import StorageError


class AdvisoryLock:
    """Advisory locks on ``names``, held by one session until :meth:`release`."""

    def __init__(self, engine: Engine, connection: Any) -> None:
        self._engine = engine
        self._connection: Any = connection

    @classmethod
    def acquire(cls, url: str, names: Sequence[str]) -> AdvisoryLock | str:
        """Take every name's lock on the database at ``url``, or none: the first name another
        session holds otherwise."""
        engine = create_engine(url, poolclass=NullPool)
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            engine.dispose()
            raise StorageError(f"cannot reach the ledgers' database: {error}") from error
        taken: list[str] = []
        try:
            for name in names:
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(hashtextextended(:name, 0))"),
                    {"name": name},
                ).scalar()
                connection.commit()  # the lock is the session's; no transaction stays open
                if not got:
                    for held in taken:
                        connection.execute(
                            text("SELECT pg_advisory_unlock(hashtextextended(:name, 0))"),
                            {"name": held},
                        )
                    connection.commit()
                    connection.close()
                    engine.dispose()
                    return name
                taken.append(name)
        except SQLAlchemyError as error:
            connection.close()
            engine.dispose()
            raise StorageError(f"cannot take the ledgers' database locks: {error}") from error
        return cls(engine, connection)

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                connection.execute(text("SELECT pg_advisory_unlock_all()"))
                connection.commit()
            connection.close()
            self._engine.dispose()
