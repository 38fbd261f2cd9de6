"""Tests for stateline/hub/attachments.py and stateline/documents.py: documents held for queries,
each agency within its own quota, in memory and in the hub's database."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from stateline.documents import MAX_DOCUMENT, Document, clean_filename, sniff
from stateline.hub.attachments import (
    Attachments,
    DocumentRefusal,
    Documents,
    DocumentsInMemory,
    Receipt,
    check_document,
    document_ids,
)
from stateline.storage.documents import DocumentStore
from stateline.wire.grammar import QUERY_VALUE_RE

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
PDF = b"%PDF-1.7\n% synthetic warrant\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a...", None),
        (b"<html><script>", None),
        (b"PK\x03\x04 a zip", None),
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_bytes(content: bytes, media_type: str | None) -> None:
    assert sniff(content) == media_type


def test_what_is_refused() -> None:
    assert check_document(b"") is DocumentRefusal.EMPTY
    assert check_document(b"%PDF-" + b"x" * MAX_DOCUMENT) is DocumentRefusal.TOO_LARGE
    assert check_document(b"just text") is DocumentRefusal.NOT_ACCEPTED
    assert check_document(PDF) == "application/pdf"


def test_file_names_are_kept_safe() -> None:
    assert clean_filename("../../etc/passwd") == ".._.._etc_passwd"
    assert clean_filename("warrant\r\n.pdf") == "warrant_.pdf"
    assert clean_filename(None) == clean_filename("  ") == "document"
    assert len(clean_filename("a" * 500)) == 200


def durable(engine: Engine) -> DocumentStore:
    store = DocumentStore(engine)
    store.create_schema()
    return store


def stores(engine: Engine) -> list[Documents]:
    """Each place a switch keeps documents: its own memory, and the hub's database."""
    return [DocumentsInMemory(), durable(engine)]


def test_a_document_is_for_its_owner_until_it_expires(engine: Engine) -> None:
    for documents in stores(engine):
        store = Attachments(documents, ttl=timedelta(hours=1), new_id=lambda: "A1")
        receipt = store.attach("NYSTP0000", PDF, "warrant.pdf", NOW)
        assert receipt == Receipt(
            "A1",
            hashlib.sha256(PDF).hexdigest(),
            "application/pdf",
            len(PDF),
            "warrant.pdf",
            NOW + timedelta(hours=1),
        )
        document = store.get("A1", "NYSTP0000", NOW)
        assert document is not None and document.content == PDF
        assert store.get("A1", "NJSTP0000", NOW) is None  # another agency's query cannot name it
        assert store.get("B2", "NYSTP0000", NOW) is None
        assert store.get("A1", "NYSTP0000", NOW + timedelta(hours=2)) is None
        assert store.get("A1", "NYSTP0000", NOW) is None  # gone once expired
        documents.close()


def test_refusals_keep_nothing_and_a_full_quota_refuses_without_evicting(engine: Engine) -> None:
    for documents in stores(engine):
        ids = iter(["A1", "A2", "A3", "A4"])
        store = Attachments(documents, max_held=2, new_id=ids.__next__)
        assert store.attach("NYSTP0000", b"text", None, NOW) is DocumentRefusal.NOT_ACCEPTED
        for _ in range(2):
            assert isinstance(store.attach("NYSTP0000", PDF, None, NOW), Receipt)
        assert store.attach("NYSTP0000", PDF, None, NOW) is DocumentRefusal.OVER_QUOTA
        # The agency's own earlier documents are all still there: nothing went to make room.
        assert store.get("A1", "NYSTP0000", NOW) is not None
        assert store.get("A2", "NYSTP0000", NOW) is not None
        assert store.get("A3", "NYSTP0000", NOW) is None  # the refused one got no id
        documents.close()


def test_one_agency_cannot_evict_another_agencys_document(engine: Engine) -> None:
    for documents in stores(engine):
        store = Attachments(documents, max_held=20)
        mine = store.attach("NYSTP0000", PDF, "warrant.pdf", NOW)
        assert isinstance(mine, Receipt)
        flood = [store.attach("NJSTP0000", PNG, None, NOW) for _ in range(100)]
        assert sum(isinstance(r, Receipt) for r in flood) == 20
        assert flood[20:] == [DocumentRefusal.OVER_QUOTA] * 80
        document = store.get(mine.id, "NYSTP0000", NOW + timedelta(minutes=59))
        assert document is not None and document.content == PDF
        # Its own quota is untouched by the other's: it may still attach.
        assert isinstance(store.attach("NYSTP0000", PDF, None, NOW), Receipt)
        documents.close()


def test_the_quota_counts_bytes_too(engine: Engine) -> None:
    for documents in stores(engine):
        store = Attachments(documents, max_bytes=2 * len(PDF) + len(PNG) - 1)
        assert isinstance(store.attach("NYSTP0000", PDF, None, NOW), Receipt)
        assert isinstance(store.attach("NYSTP0000", PDF, None, NOW), Receipt)
        assert store.attach("NYSTP0000", PNG, None, NOW) is DocumentRefusal.OVER_QUOTA
        assert isinstance(store.attach("NYSTP0000", PNG[:-1], None, NOW), Receipt)  # fills it
        assert store.attach("NYSTP0000", JPEG, None, NOW) is DocumentRefusal.OVER_QUOTA
        documents.close()


def test_expired_documents_leave_the_quota_and_the_purge_removes_them(engine: Engine) -> None:
    for documents in stores(engine):
        ids = iter(["A1", "A2", "A3"])
        store = Attachments(documents, max_held=2, new_id=ids.__next__)
        store.attach("NYSTP0000", PDF, None, NOW)
        store.attach("NYSTP0000", PDF, None, NOW + timedelta(minutes=30))
        assert store.attach("NYSTP0000", PDF, None, NOW + HOUR) is DocumentRefusal.OVER_QUOTA
        later = NOW + HOUR + timedelta(seconds=1)
        assert isinstance(store.attach("NYSTP0000", PDF, None, later), Receipt)
        assert store.get("A1", "NYSTP0000", later) is None
        assert store.purge(NOW + timedelta(hours=3)) == 2
        assert store.get("A3", "NYSTP0000", NOW) is None
        documents.close()


def test_a_document_outlives_a_restart(engine: Engine) -> None:
    store = Attachments(durable(engine))
    receipt = store.attach("NYSTP0000", PDF, "warrant.pdf", NOW)
    assert isinstance(receipt, Receipt)
    store.close()
    engine.dispose()
    reopened = Attachments(durable(engine))
    document = reopened.get(receipt.id, "NYSTP0000", NOW + timedelta(minutes=5))
    assert document == Document(PDF, "application/pdf", "warrant.pdf")
    reopened.close()


def test_a_refusal_for_the_quota_logs_counts_and_never_the_document(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    store = Attachments(durable(engine), max_held=1)
    store.attach("NYSTP0000", PDF, "warrant-of-doe.pdf", NOW)
    assert store.attach("NYSTP0000", PDF, "warrant-of-doe.pdf", NOW) is DocumentRefusal.OVER_QUOTA
    assert f"NYSTP0000: it holds 1 documents, {len(PDF)} bytes" in caplog.text
    assert "doe" not in caplog.text and "synthetic" not in caplog.text
    store.close()


def test_ids_are_what_doc_takes() -> None:
    made = {document_ids() for _ in range(50)}
    assert len(made) == 50
    assert all(QUERY_VALUE_RE["DOC"].fullmatch(doc_id) for doc_id in made)
