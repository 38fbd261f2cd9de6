"""The hub's attached documents: kept with their bytes, found by owner, purged once expired."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, LargeBinary, inspect
from sqlalchemy.dialects.postgresql import BYTEA

from stateline.documents import Attached, Document, Holding
from stateline.errors import StorageError
from stateline.storage.documents import DocumentStore

NOW = datetime(2026, 3, 2, 14, 30, 15, 250000, tzinfo=UTC)
HOUR = timedelta(hours=1)
# Every byte value, a NUL among them: the content must come back exactly as it went in.
PDF = b"%PDF-1.7\n% synthetic warrant\n" + bytes(range(256))


def attached(doc_id: str, owner: str = "NYSTP0000", at: datetime = NOW, size: int = 0) -> Attached:
    content = PDF + b"x" * size
    document = Document(content, "application/pdf", f"{doc_id.lower()}.pdf")
    return Attached(doc_id, owner, document, hashlib.sha256(content).hexdigest(), at, at + HOUR)


@pytest.fixture
def store(engine: Engine) -> DocumentStore:
    made = DocumentStore(engine)
    made.create_schema()
    return made


def test_a_document_comes_back_as_it_was_kept(store: DocumentStore) -> None:
    kept = attached("A1")
    store.keep(kept)
    assert store.find("A1", "NYSTP0000") == kept
    assert store.find("A1", "NJSTP0000") is None  # another agency's query cannot name it
    assert store.find("B2", "NYSTP0000") is None
    store.close()


def test_the_bytes_are_a_blob_on_sqlite_and_bytea_on_postgresql(
    store: DocumentStore, engine: Engine
) -> None:
    (column,) = [c for c in inspect(engine).get_columns("documents") if c["name"] == "content"]
    wanted = BYTEA if engine.dialect.name == "postgresql" else LargeBinary
    assert isinstance(column["type"], wanted)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("documents")}
    assert indexes["ix_documents_owner_expires"] == ["owner", "expires"]


def test_an_agency_holds_its_unexpired_documents(store: DocumentStore) -> None:
    store.keep(attached("A1", size=10))
    store.keep(attached("A2", at=NOW + timedelta(minutes=30), size=20))
    store.keep(attached("B1", owner="NJSTP0000", size=1000))
    assert store.holding("NYSTP0000", NOW) == Holding(2, 2 * len(PDF) + 30)
    # At the hour the first expires it is still held; a moment later it is not.
    assert store.holding("NYSTP0000", NOW + HOUR) == Holding(2, 2 * len(PDF) + 30)
    later = NOW + HOUR + timedelta(microseconds=1)
    assert store.holding("NYSTP0000", later) == Holding(1, len(PDF) + 20)
    assert store.holding("NJSTP0000", NOW) == Holding(1, len(PDF) + 1000)
    assert store.holding("CA0000000", NOW) == Holding(0, 0)
    store.close()


def test_the_purge_removes_the_expired_and_only_them(store: DocumentStore) -> None:
    store.keep(attached("A1"))
    store.keep(attached("A2", at=NOW + timedelta(minutes=30)))
    store.keep(attached("B1", owner="NJSTP0000", at=NOW + timedelta(minutes=10)))
    assert store.purge(NOW + HOUR) == 0
    assert store.purge(NOW + timedelta(minutes=75)) == 2
    assert store.find("A1", "NYSTP0000") is None
    assert store.find("B1", "NJSTP0000") is None
    assert store.find("A2", "NYSTP0000") is not None
    store.drop("A2")
    assert store.find("A2", "NYSTP0000") is None
    store.close()


def test_documents_outlive_the_store_that_kept_them(store: DocumentStore, engine: Engine) -> None:
    kept = attached("A1")
    store.keep(kept)
    store.close()
    engine.dispose()  # every connection closed: as a restart leaves the database
    reopened = DocumentStore(engine)
    reopened.create_schema()  # on an existing table: it stays as it is
    assert reopened.find("A1", "NYSTP0000") == kept
    assert reopened.holding("NYSTP0000", NOW) == Holding(1, len(PDF))
    reopened.close()


def test_an_id_is_kept_once(store: DocumentStore) -> None:
    store.keep(attached("A1"))
    with pytest.raises(StorageError):
        store.keep(attached("A1", owner="NJSTP0000"))
    assert store.find("A1", "NJSTP0000") is None
    store.keep(attached("A2"))  # the writer recovers from the failed write
    assert store.holding("NYSTP0000", NOW) == Holding(2, 2 * len(PDF))
    store.close()


def test_times_are_kept_in_utc_whatever_zone_they_came_in(store: DocumentStore) -> None:
    eastern = NOW.astimezone(timezone(timedelta(hours=-5)))
    store.keep(attached("A1", at=eastern))
    found = store.find("A1", "NYSTP0000")
    assert found is not None
    assert found.created == NOW and found.created.tzinfo == UTC
    assert found.expires == NOW + HOUR
    assert (
        store.holding("NYSTP0000", (NOW + HOUR).astimezone(timezone(timedelta(hours=9)))).count == 1
    )
    store.close()
