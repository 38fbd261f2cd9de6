"""What the outbox needs of its stores: the notices with their events, and the delays counsel
granted.

``storage.notices.SqlNoticeStore`` and ``storage.delays.SqlDelayStore`` implement them;
bootstrap hands them to each node's outbox.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from stateline.node.notices.delays import Delay
from stateline.node.notices.model import LoggedEvent, Notice, NoticeEvent, NoticeStatus


class NoticeStore(Protocol):
    def add(self, new: Sequence[Notice], actor: str) -> builtins.list[Notice]:
        """Store notices with their ``created`` events; returns those not stored before."""
        ...

    def get(self, notice_id: str) -> Notice | None: ...

    def list(self, *statuses: NoticeStatus, limit: int = 500) -> builtins.list[Notice]:
        """Notices in any of ``statuses`` (all when none is given), soonest due first."""
        ...

    def for_message(self, message_id: str) -> builtins.list[Notice]: ...

    def rewrite(self, notice: Notice) -> bool:
        """Store a pending notice's new outcome and letter; False if it is no longer pending."""
        ...

    def close(self, notice: Notice, event: NoticeEvent) -> Notice:
        """Record a pending notice as sent or cancelled, with its event, in one transaction."""
        ...

    def unlogged(self) -> builtins.list[LoggedEvent]:
        """Events the ledger has not confirmed yet, oldest first, with their notices."""
        ...

    def mark_logged(self, notice_id: str, event: NoticeEvent, now: datetime) -> None: ...


class DelayStore(Protocol):
    def add(self, delay: Delay) -> None: ...

    def latest(self, notice_ids: Iterable[str]) -> dict[str, Delay]:
        """Each notice's delay as it stands now, where it has one."""
        ...
