"""Documents agencies attach for their queries, held by the hub until a query names them.

An agency attaches a legal-process document (a warrant, an order, a subpoena) through the API
and gets an id; its query names the id in ``DOC/``, and the switch hands the document to every
node the query goes to. Documents are personal data, so the hub keeps them only in memory, only
for the agency that attached them and only for a while (as the mailbox keeps replies), and
never logs them: the deciding node keeps a document only if it holds the request for review,
and its ledger records the SHA-256 alone.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from stateline.documents import MAX_DOCUMENT, Document, clean_filename, sniff


class DocumentRefusal(StrEnum):
    """Why an attachment is refused; the value is the plain-English answer."""

    EMPTY = "the document is empty"
    TOO_LARGE = f"the document is larger than {MAX_DOCUMENT} bytes"
    NOT_ACCEPTED = "the document is not a PDF, PNG or JPEG file"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the attaching agency is told: the id to name in ``DOC/`` and what was kept."""

    id: str
    sha256: str
    content_type: str
    size: int
    filename: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class _Held:
    owner: str  # the ORI that attached it
    document: Document
    expires: datetime


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


class Attachments:
    """Attached documents by id, each for its owner only, bounded in age and in total bytes."""

    def __init__(
        self,
        ttl: timedelta = timedelta(hours=1),
        capacity: int = 64 * MAX_DOCUMENT,
        new_id: Callable[[], str] = document_ids,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.new_id = new_id
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._bytes = 0

    def attach(
        self, owner: str, content: bytes, filename: str | None, now: datetime
    ) -> Receipt | DocumentRefusal:
        """Keep a document for ``owner``; the oldest ones go when the store is full."""
        checked = check_document(content)
        if isinstance(checked, DocumentRefusal):
            return checked
        document = Document(content, checked, clean_filename(filename))
        doc_id = self.new_id()
        held = _Held(owner, document, now + self.ttl)
        self._held[doc_id] = held
        self._bytes += len(content)
        while self._bytes > self.capacity and len(self._held) > 1:
            _, dropped = self._held.popitem(last=False)
            self._bytes -= len(dropped.document.content)
        ref = document.ref
        return Receipt(doc_id, ref.sha256, ref.content_type, ref.size, ref.filename, held.expires)

    def get(self, doc_id: str, owner: str, now: datetime) -> Document | None:
        """The document ``doc_id`` if ``owner`` attached it and it has not expired."""
        held = self._held.get(doc_id)
        if held is None or held.owner != owner:
            return None
        if held.expires < now:
            del self._held[doc_id]
            self._bytes -= len(held.document.content)
            return None
        return held.document
