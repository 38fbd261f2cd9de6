"""Opening a database by URL: SQLite files (the embedded default) or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"


def open_engine(url: str, *, page_size: int | None = None, **kwargs: Any) -> Engine:
    """Open ``url``. SQLite gets WAL journaling so readers never wait for the one writer, and
    a database it creates gets pages of ``page_size`` bytes (SQLite's default otherwise)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if page_size is not None:  # before WAL: a WAL database keeps its page size
                cursor.execute(f"PRAGMA page_size={int(page_size)}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, **kwargs)
