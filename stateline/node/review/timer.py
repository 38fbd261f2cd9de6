"""The review deadline on a clock: held requests past their deadline are escalated while the
server runs, not only when someone opens the queue. Escalated, never released.

One thread beside the server calls ``ReviewService.escalate_overdue`` for every node, once at
start (requests that passed their deadline while the server was down) and then every
``interval`` seconds. A failure (the queue or the ledger unreachable, a reviewer deciding the
same item at that moment) is logged and retried at the next tick; nothing is released by it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from stateline.errors import StorageError
from stateline.node.review.model import ReviewError
from stateline.node.review.service import ReviewService

log = logging.getLogger(__name__)


class DeadlineTimer:
    """Escalates every queue's overdue held requests every ``interval`` seconds."""

    def __init__(self, services: Sequence[ReviewService], interval: float) -> None:
        if interval <= 0:
            raise ValueError("the review deadline interval must be positive")
        self.services = tuple(services)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        """Escalate what is overdue in every queue now; returns how many were escalated."""
        escalated = 0
        for service in self.services:
            try:
                escalated += len(service.escalate_overdue())
            except (StorageError, ReviewError) as error:
                log.error("review deadlines: escalation failed, retried next tick: %s", error)
            except Exception:
                # The timer must outlive a fault: a stopped timer would let deadlines pass.
                log.exception("review deadlines: escalation failed, retried next tick")
        return escalated

    def start(self) -> None:
        """Run ``tick`` now and then every ``interval`` seconds on a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="review-deadlines", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, waiting for a tick under way to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        self.tick()
        while not self._stop.wait(self.interval):
            self.tick()
