"""What the review service needs of the queue's store: held items, their action records and
documents, kept so that a decision is never lost between its steps.

``storage.review.SqlReviewStore`` implements it; bootstrap hands one to each node's service.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from stateline.documents import Document
from stateline.node.review.model import (
    HeldItem,
    RequesterHistory,
    ReviewAction,
    ReviewState,
)


class ReviewStore(Protocol):
    def hold(self, item: HeldItem, document: Document | None = None) -> HeldItem:
        """Put a held request in the queue, with its document; returns it as stored."""
        ...

    def get(self, message_id: str) -> HeldItem | None: ...

    def list(self, *states: ReviewState, limit: int = 500) -> builtins.list[HeldItem]:
        """Items in any of ``states`` (every state when none is given), oldest first."""
        ...

    def history(self, ori: str, now: datetime) -> RequesterHistory:
        """How many of ``ori``'s requests this node held lately, by state."""
        ...

    def document(self, message_id: str) -> Document | None: ...

    def actions(self, message_id: str) -> builtins.list[ReviewAction]:
        """Every action taken on an item, in order."""
        ...

    def apply(self, action: ReviewAction) -> HeldItem:
        """Move an item as ``action`` says, if it is still where the action found it
        (``ItemChanged`` if not): the move and its record in one transaction."""
        ...

    def overdue(self, now: datetime) -> builtins.list[HeldItem]:
        """Held items at or past their deadline, oldest first."""
        ...

    def unaudited(self) -> builtins.list[ReviewAction]:
        """Actions the audit ledger has not confirmed yet, oldest first."""
        ...

    def mark_audited(self, action: ReviewAction, now: datetime) -> None: ...

    def unreplied(self) -> builtins.list[HeldItem]:
        """Decided items whose late reply has not left yet, oldest first."""
        ...

    def mark_replied(self, message_id: str, now: datetime) -> None: ...

    def count_decided(
        self, *, message_id: str = "", requester: str = "", outcome: ReviewState | None = None
    ) -> int:
        """How many decided items match (``message_id`` anywhere in the id, ``requester`` at
        the start of the ORI), for the console's pages."""
        ...

    def decided(
        self,
        *,
        message_id: str = "",
        requester: str = "",
        outcome: ReviewState | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[HeldItem]:
        """Decided items that match, a page at a time."""
        ...
