"""The notices outbox as a service: notices kept with their letters, every event audited.

Order of work, as for review actions: the store keeps the notice (or its new status) and the
event in one transaction; the audit callable appends the event's ledger entry and returns once
it is durable; then the event is marked logged. If the audit fails, the change stands and
``resume`` appends every event not yet logged. The node's answer path batches the ``created``
entries with the answer's own entries instead (``keep``, ``created_entries``, ``logged``).

A delay (``node.delays``) goes the other way round: its ledger entry first, then the outbox's
row. The entry is what hides the request from the person, so a failure between the two leaves
the request hidden, never shown by mistake, and counsel is told to grant it again. Counsel's
delay steps, sending and cancelling take one lock, so that a letter is never recorded sent
while a delay is being granted, and the ledger's steps come in the outbox's order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from stateline.clock import utc_now
from stateline.errors import StorageError
from stateline.ledger.entries import Entry
from stateline.node.deadlines import local_day
from stateline.node.notices import delays
from stateline.node.notices.delays import Delay, NoticeDelayed, Standing
from stateline.node.notices.letters import letter_pdf, letter_text
from stateline.node.notices.model import (
    Disclosed,
    Notice,
    NoticeError,
    NoticeEvent,
    NoticeStatus,
    UnknownNotice,
    close,
    decided,
    notice_entry,
)
from stateline.node.notices.ports import DelayStore, NoticeStore
from stateline.node.review.model import SYSTEM, Reviewer
from stateline.wire.grammar import DataClass

log = logging.getLogger(__name__)

Notices = list[Notice]

Audit = Callable[[list[Entry]], object]
"""Appends ledger entries and returns only once they are durable (``Ledger.append``)."""


class Outbox:
    """Notices to send: kept, listed, printed, marked sent or cancelled, every step audited."""

    def __init__(
        self,
        store: NoticeStore,
        audit: Audit,
        *,
        delays: DelayStore,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.delays = delays
        self._acting = threading.Lock()

    # Making notices -------------------------------------------------------------------------

    def keep(self, made: Sequence[Notice]) -> Notices:
        """Write each notice's letter and keep it; returns the notices new to the outbox.

        Their ``created`` events still wait for the ledger: append ``created_entries`` and
        then call ``logged``, or use ``create``.
        """
        return self.store.add([replace(n, letter=letter_text(n)) for n in made], SYSTEM)

    @staticmethod
    def created_entries(kept: Sequence[Notice]) -> list[Entry]:
        return [notice_entry(n, NoticeEvent.CREATED, n.created, SYSTEM) for n in kept]

    def logged(self, kept: Sequence[Notice], event: NoticeEvent = NoticeEvent.CREATED) -> None:
        now = self.clock()
        for notice in kept:
            self.store.mark_logged(notice.notice_id, event, now)

    def create(self, made: Sequence[Notice]) -> Notices:
        """Keep notices and audit their creation, before the caller goes on."""
        kept = self.keep(made)
        if kept:
            self.audit(self.created_entries(kept))
            self.logged(kept)
            log.info("notices: %d created", len(kept))
        return kept

    def decided(self, message_id: str, released: Mapping[str, frozenset[DataClass]]) -> Notices:
        """A held request was decided: its pending letters now say what each person's record
        gave (``released`` by subject key; a person missing from it got nothing).

        A letter already sent while the request was under review is left as it was sent.
        """
        rewritten: Notices = []
        for notice in self.store.for_message(message_id):
            if not notice.open or notice.disclosed is not Disclosed.UNDER_REVIEW:
                continue
            after = decided(notice, released.get(notice.subject))
            after = replace(after, letter=letter_text(after))
            if self.store.rewrite(after):
                rewritten.append(after)
        return rewritten

    # Working the outbox ---------------------------------------------------------------------

    def list(self, *statuses: NoticeStatus) -> Notices:
        """Notices in those statuses (all when none is given), soonest due first."""
        return self.store.list(*statuses)

    def get(self, notice_id: str) -> Notice:
        notice = self.store.get(notice_id)
        if notice is None:
            raise UnknownNotice(f"no notice {notice_id}")
        return notice

    def pdf(self, notice_id: str) -> bytes:
        """The notice's letter, as stored, set as a PDF."""
        return letter_pdf(self.get(notice_id))

    def overdue(self) -> Notices:
        """Letters not sent by their due date (a delayed one's: due again after the delay)."""
        pending = self.store.list(NoticeStatus.PENDING)
        standing = self.standing(pending)
        return [n for n in pending if standing[n.notice_id].overdue]

    def standing(self, notices: Sequence[Notice]) -> dict[str, Standing]:
        """Each notice's due date, overdue or not, and the delay holding it back, by id."""
        now = self.clock()
        latest = self.delays.latest(n.notice_id for n in notices)
        return {n.notice_id: delays.standing(n, latest.get(n.notice_id), now) for n in notices}

    def delay(self, notice_id: str) -> Delay | None:
        """The notice's latest delay step (granted or lifted), if it ever had one."""
        return self.delays.latest([notice_id]).get(notice_id)

    def today(self, notice: Notice) -> date:
        """Today in the notice's state's calendar, on the outbox's clock."""
        return local_day(self.clock(), notice.state)

    def mark_sent(self, notice_id: str, reviewer: Reviewer) -> Notice:
        """Record that the letter was sent, by whom; raises ``NoticeError``, and
        ``NoticeDelayed`` while a delay holds the letter back."""
        return self._close(notice_id, NoticeEvent.SENT, reviewer, None)

    def cancel(self, notice_id: str, reviewer: Reviewer, reason: str) -> Notice:
        """Counsel decides the notice is not to be sent, and says why; raises ``NoticeError``."""
        return self._close(notice_id, NoticeEvent.CANCELLED, reviewer, reason)

    def grant_delay(
        self,
        notice_id: str,
        reviewer: Reviewer,
        *,
        until: date,
        reason: str | None,
        court_order: str | None = None,
    ) -> Delay:
        """Counsel holds the letter back, and the request out of the person's view, through
        ``until``; on a court's order when ``court_order`` names it. Raises ``NoticeError``."""
        with self._acting:
            notice = self.get(notice_id)
            made = delays.grant(
                notice,
                reviewer,
                until=until,
                reason=reason,
                court_order=court_order,
                at=self.clock(),
            )
            return self._record(notice, made)

    def lift_delay(self, notice_id: str, reviewer: Reviewer, reason: str | None = None) -> Delay:
        """Counsel ends a delay today: the letter is due again, the request shown to the
        person. Raises ``NoticeError``."""
        with self._acting:
            notice = self.get(notice_id)
            made = delays.lift(
                notice, self.delay(notice_id), reviewer, reason=reason, at=self.clock()
            )
            return self._record(notice, made)

    def _record(self, notice: Notice, delay: Delay) -> Delay:
        try:
            self.audit([delays.ledger_entry(notice, delay)])
        except StorageError as error:
            raise DelayNotRecorded(
                "the ledger could not be written: nothing was recorded"
            ) from error
        try:
            self.delays.add(delay)
        except StorageError as error:
            log.exception(
                "notices: %s %s in the ledger, not in the outbox",
                notice.notice_id,
                delay.event.value,
            )
            raise DelayNotRecorded(
                f"the ledger records the delay {delay.event.value}, but the outbox could not: "
                "do it again"
            ) from error
        log.info("notices: %s delay %s by %s", notice.notice_id, delay.event.value, delay.actor)
        return delay

    def resume(self) -> int:
        """Append every event the ledger has not confirmed; returns how many. Call at start-up."""
        pending = self.store.unlogged()
        for item in pending:
            self.audit([notice_entry(item.notice, item.event, item.at, item.actor)])
            self.store.mark_logged(item.notice.notice_id, item.event, self.clock())
        return len(pending)

    def _close(
        self, notice_id: str, event: NoticeEvent, reviewer: Reviewer, reason: str | None
    ) -> Notice:
        with self._acting:
            notice = self.get(notice_id)
            if event is NoticeEvent.SENT:
                held = self.delay(notice_id)
                if held is not None and held.holds(self.today(notice)):
                    raise NoticeDelayed(
                        f"counsel delayed this notice until {held.until}: do not send it yet"
                    )
            closed = close(notice, event, reviewer, self.clock(), reason)
            self.store.close(closed, event)
            log.info("notices: %s %s by %s", notice_id, event.value, reviewer.username)
            assert closed.closed_at is not None  # close() sets it
            self.audit([notice_entry(closed, event, closed.closed_at, reviewer.username)])
            self.store.mark_logged(notice_id, event, self.clock())
        return closed


class DelayNotRecorded(NoticeError):
    """A delay step the ledger or the outbox could not keep; the message says which."""
