"""The review deadline while the server runs: a held request left past its deadline is
escalated by the timer ``stateline serve`` starts, with nobody reading the queue, and its
requester gets nothing more than the held answer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stateline.bootstrap import build
from stateline.cli.serve import escalate_every
from stateline.config import Config
from stateline.ledger.entries import ReviewAction
from stateline.node.records.model import Person
from stateline.node.review.model import Action, Reviewer, ReviewState, Role
from stateline.wire.messages import Response

from .test_review import photo_bundle


def test_the_server_escalates_on_a_timer_and_releases_nothing(
    prepared: Config, tokens: dict[str, str], people: dict[str, list[Person]], tmp_path: Path
) -> None:
    system = build(replace(prepared, policy=f"NY={photo_bundle(tmp_path)}"))
    try:
        raw = f"DQ.NYSTP0000.NY.TXT\nOLN/{people['NY'][11].oln}.IMQ/Y"
        submission = asyncio.run(system.exchange.submit(raw, tokens["NYSTP0000"]))
        review = system.nodes["NY"].review
        assert review is not None
        # A day and an hour later, as the queue's clock reads it.
        review.clock = lambda: datetime.now(UTC) + timedelta(hours=25)
        timer = escalate_every(system, 0.05)
        try:
            end = time.monotonic() + 20  # a bound on waiting, not a speed requirement
            while review.get(submission.id).state is not ReviewState.ESCALATED:
                assert time.monotonic() < end, "the deadline timer did not escalate"
                time.sleep(0.02)
        finally:
            timer.stop()
        replies = system.exchange.replies(submission.id, "NYSTP0000")
        assert replies is not None and len(replies) == 1  # the held answer, nothing late
        (held,) = replies
        assert isinstance(held, Response) and held.records == ()
        ledger = system.nodes["NY"].ledger
        actions = [
            entry
            for entry in (ledger.entry(i) for i in range(ledger.size))
            if isinstance(entry, ReviewAction) and entry.message_id == submission.id
        ]
        assert [(a.action, a.reviewer, a.outcome) for a in actions] == [
            ("escalate", "system", "escalated")
        ]
        # Counsel decides it, which also leaves the queue the other tests share as it was.
        review.decide(submission.id, Reviewer("carl", Role.COUNSEL), Action.DENY, reason="late")
        assert submission.id not in {item.message_id for item in review.queue()}
    finally:
        system.close()
