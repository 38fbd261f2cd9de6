"""Shared fixtures: a database URL for each real backend the storage code must work on.

``db_url`` runs a test twice: on a fresh SQLite file and on a fresh schema of the PostgreSQL
server that ``scripts/postgres.sh`` starts (``./dev test`` starts it). Under CI a missing
PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from stateline.storage.engine import open_engine, sqlite_url

POSTGRES_URL = os.environ.get("STATELINE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A real, empty database: a SQLite file, or a private schema on PostgreSQL."""
    if request.param == "sqlite":
        eng = open_engine(sqlite_url(str(tmp_path / "test.sqlite")))
        yield eng
        eng.dispose()
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("STATELINE_TEST_POSTGRES_URL is not set: run the tests with ./dev test")
        pytest.skip("PostgreSQL not started (./dev test starts it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = open_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng = open_engine(POSTGRES_URL)

    @event.listens_for(eng, "connect")
    def _search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET search_path TO {schema}")
        cursor.close()
        dbapi_connection.commit()

    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
