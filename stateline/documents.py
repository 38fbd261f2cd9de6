"""Legal-process documents an agency attaches to a query: the bytes, their type as the bytes
themselves say it, and the reference that queues and the ledger show instead of the bytes.

A document is personal data. The hub keeps it for the agency that attached it until it expires
(:class:`Attached`), it travels from the hub to the deciding node with the query, is kept only by
a node that holds the request for review, and is never logged: the ledger records its SHA-256
alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

MAX_DOCUMENT = 10 * 1024 * 1024
"""Largest document accepted, in bytes: a scanned warrant of a few pages fits well within it."""

MAGIC: dict[bytes, str] = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
"""The types accepted, by the bytes every file of the type starts with."""

MAX_FILENAME = 200
"""Longest file name kept (the review queue's column)."""

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\ud800-\udfff]+")


def sniff(content: bytes) -> str | None:
    """The media type ``content`` starts like (PDF, PNG, JPEG), or None for anything else.

    What the sender's ``Content-Type`` claims is never trusted: the console shows PDFs and
    images in place, so a document must be what its first bytes say.
    """
    for magic, media_type in MAGIC.items():
        if content.startswith(magic):
            return media_type
    return None


def clean_filename(name: str | None) -> str:
    """A file name to keep and show: no directory part, no control characters, not too long."""
    cleaned = _UNSAFE.sub("_", (name or "").strip())[:MAX_FILENAME]
    return cleaned or "document"


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """What a queue shows of an attached document without loading it."""

    content_type: str
    filename: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Document:
    """An attached legal-process document (PDF or image) as the agency sent it."""

    content: bytes
    content_type: str
    filename: str = "document"

    @property
    def ref(self) -> DocumentRef:
        digest = hashlib.sha256(self.content).hexdigest()
        return DocumentRef(self.content_type, self.filename, len(self.content), digest)


@dataclass(frozen=True, slots=True)
class Attached:
    """A document the hub keeps for the agency that attached it, until it expires."""

    id: str  # what the agency's queries name in DOC/
    owner: str  # the ORI that attached it: no other agency's query may name it
    document: Document
    sha256: str
    created: datetime
    expires: datetime


@dataclass(frozen=True, slots=True)
class Holding:
    """What one agency holds at the hub now: its unexpired documents and their bytes."""

    count: int
    size: int
