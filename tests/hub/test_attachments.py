"""Tests for stateline/hub/attachments.py and stateline/documents.py: documents held for queries."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from stateline.documents import MAX_DOCUMENT, clean_filename, sniff
from stateline.hub.attachments import (
    Attachments,
    DocumentRefusal,
    Receipt,
    check_document,
    document_ids,
)
from stateline.wire.grammar import QUERY_VALUE_RE

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
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


def test_a_document_is_for_its_owner_until_it_expires() -> None:
    store = Attachments(ttl=timedelta(hours=1), new_id=lambda: "A1")
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


def test_refusals_keep_nothing_and_the_oldest_go_first_when_full() -> None:
    ids = iter(["A1", "A2", "A3"])
    store = Attachments(capacity=2 * len(PDF), new_id=lambda: next(ids))
    assert store.attach("NYSTP0000", b"text", None, NOW) is DocumentRefusal.NOT_ACCEPTED
    for _ in range(3):
        assert isinstance(store.attach("NYSTP0000", PDF, None, NOW), Receipt)
    assert store.get("A1", "NYSTP0000", NOW) is None
    assert store.get("A2", "NYSTP0000", NOW) is not None
    assert store.get("A3", "NYSTP0000", NOW) is not None


def test_ids_are_what_doc_takes() -> None:
    made = {document_ids() for _ in range(50)}
    assert len(made) == 50
    assert all(QUERY_VALUE_RE["DOC"].fullmatch(doc_id) for doc_id in made)
