"""Documents agencies attach for their queries, held by the hub until a query names them.

An agency attaches a legal-process document (a warrant, an order, a subpoena) through the API
and gets an id; its query names the id in ``DOC/``, and the switch hands the document to every
node the query goes to. The hub keeps each document in its own database (``storage.documents``,
wired by ``bootstrap``), so that a restart loses none, for the agency that attached it only,
until it expires an hour later; :meth:`Attachments.purge` removes the expired ones. Each agency
has a quota of documents held at once, by count and by bytes: an agency over it is refused its
next upload, and nothing is ever evicted to make room, so one agency's uploads can never take
away a document another agency's query names.

Documents are personal data: they sit in the hub's database, unencrypted for now, until they
expire and are purged. They are never logged: the deciding node keeps a document only if it
holds the request for review, and its ledger records the SHA-256 alone.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from stateline.documents import MAX_DOCUMENT, Attached, Document, Holding, clean_filename, sniff

log = logging.getLogger(__name__)

DOCUMENT_TTL = timedelta(hours=1)
"""How long the hub keeps a document after it was attached (as long as it keeps a reply)."""

MAX_HELD = 50
"""Documents one agency may hold at once. Enough for a warrant behind each legal-process query
of the busiest agencies (the demo's federal agencies attach some thirty within its replay)."""

MAX_HELD_BYTES = 100 * 1024 * 1024
"""Bytes one agency's documents may take at once: ten of the largest documents accepted."""


class DocumentRefusal(StrEnum):
    """Why an attachment is refused; the value is the plain-English answer."""

    EMPTY = "the document is empty"
    TOO_LARGE = f"the document is larger than {MAX_DOCUMENT} bytes"
    NOT_ACCEPTED = "the document is not a PDF, PNG or JPEG file"
    OVER_QUOTA = (
        "this agency holds its quota of documents: each one leaves it when it expires, "
        "at the time its receipt gave"
    )


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the attaching agency is told: the id to name in ``DOC/`` and what was kept."""

    id: str
    sha256: str
    content_type: str
    size: int
    filename: str
    expires: datetime


class Documents(Protocol):
    """Where the hub keeps attached documents: its database (``storage.documents``)."""

    def holding(self, owner: str, now: datetime) -> Holding:
        """What ``owner`` holds that has not expired at ``now``."""
        ...

    def keep(self, attached: Attached) -> None:
        """Keep ``attached``; it is durable when this returns."""
        ...

    def find(self, doc_id: str, owner: str) -> Attached | None:
        """The document ``doc_id`` if ``owner`` attached it, expired or not."""
        ...

    def drop(self, doc_id: str) -> None: ...

    def purge(self, now: datetime) -> int:
        """Remove every document expired at ``now``; returns how many."""
        ...

    def close(self) -> None: ...


class DocumentsInMemory:
    """Documents kept in this process only, lost when it ends: for a switch built without a
    database (the composition root gives the hub's database instead)."""

    def __init__(self) -> None:
        self._kept: dict[str, Attached] = {}

    def holding(self, owner: str, now: datetime) -> Holding:
        mine = [a for a in self._kept.values() if a.owner == owner and a.expires >= now]
        return Holding(len(mine), sum(len(a.document.content) for a in mine))

    def keep(self, attached: Attached) -> None:
        self.purge(attached.created)  # nothing else would ever let the expired go
        self._kept[attached.id] = attached

    def find(self, doc_id: str, owner: str) -> Attached | None:
        attached = self._kept.get(doc_id)
        return attached if attached is not None and attached.owner == owner else None

    def drop(self, doc_id: str) -> None:
        self._kept.pop(doc_id, None)

    def purge(self, now: datetime) -> int:
        expired = [doc_id for doc_id, a in self._kept.items() if a.expires < now]
        for doc_id in expired:
            del self._kept[doc_id]
        return len(expired)

    def close(self) -> None:
        self._kept.clear()


def document_ids() -> str:
    """A new document id: 96 random bits in capitals and digits, as ``DOC/`` takes them."""
    return secrets.token_hex(12).upper()


def check_document(content: bytes) -> str | DocumentRefusal:
    """The media type of an acceptable document, read from its bytes, or why it is refused."""
    if not content:
        return DocumentRefusal.EMPTY
    if len(content) > MAX_DOCUMENT:
        return DocumentRefusal.TOO_LARGE
    return sniff(content) or DocumentRefusal.NOT_ACCEPTED


def within_quota(holding: Holding, size: int, max_held: int, max_bytes: int) -> bool:
    """Whether an agency holding ``holding`` may attach one more document of ``size`` bytes."""
    return holding.count < max_held and holding.size + size <= max_bytes


class Attachments:
    """Attached documents by id, each for its owner only, until it expires, within each
    owner's quota (``max_held`` documents and ``max_bytes`` bytes at once)."""

    def __init__(
        self,
        store: Documents | None = None,
        ttl: timedelta = DOCUMENT_TTL,
        max_held: int = MAX_HELD,
        max_bytes: int = MAX_HELD_BYTES,
        new_id: Callable[[], str] = document_ids,
    ) -> None:
        self.store: Documents = store if store is not None else DocumentsInMemory()
        self.ttl = ttl
        self.max_held = max_held
        self.max_bytes = max_bytes
        self.new_id = new_id
        # Reading what an agency holds and keeping one more must not interleave with another
        # upload of the same agency's, or both could pass the quota.
        self._lock = threading.Lock()

    def attach(
        self, owner: str, content: bytes, filename: str | None, now: datetime
    ) -> Receipt | DocumentRefusal:
        """Keep a document for ``owner``, durably, if it is acceptable and within the quota."""
        checked = check_document(content)
        if isinstance(checked, DocumentRefusal):
            return checked
        document = Document(content, checked, clean_filename(filename))
        ref = document.ref
        with self._lock:
            holding = self.store.holding(owner, now)
            if not within_quota(holding, ref.size, self.max_held, self.max_bytes):
                # Counts only: the documents' names and contents are personal data.
                log.info(
                    "document refused to %s: it holds %d documents, %d bytes",
                    owner,
                    holding.count,
                    holding.size,
                )
                return DocumentRefusal.OVER_QUOTA
            attached = Attached(self.new_id(), owner, document, ref.sha256, now, now + self.ttl)
            self.store.keep(attached)
        return Receipt(
            attached.id, ref.sha256, ref.content_type, ref.size, ref.filename, attached.expires
        )

    def get(self, doc_id: str, owner: str, now: datetime) -> Document | None:
        """The document ``doc_id`` if ``owner`` attached it and it has not expired."""
        attached = self.store.find(doc_id, owner)
        if attached is None:
            return None
        if attached.expires < now:
            self.store.drop(doc_id)
            return None
        return attached.document

    def purge(self, now: datetime) -> int:
        """Remove every document expired at ``now`` (personal data kept no longer than it
        serves); returns how many."""
        return self.store.purge(now)

    def close(self) -> None:
        self.store.close()
