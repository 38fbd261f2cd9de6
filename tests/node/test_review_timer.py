"""Tests for stateline/node/review/timer.py: overdue held requests are escalated on a timer,
without anyone reading the queue, and nothing is ever released by it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from stateline.errors import StorageError
from stateline.node.review.model import Action, ReviewState
from stateline.node.review.service import ReviewService
from stateline.node.review.timer import DeadlineTimer

from .test_review_service import T0, World, held, make_world


@pytest.fixture
def world(engine: Engine) -> World:
    """A real queue over real records, the late replies in a list (as in test_review_service)."""
    return make_world(engine, people_count=2, seed=6)


def wait_for(condition: object, seconds: float = 10.0) -> None:
    """Poll a condition the timer thread makes true (a bound on waiting, not on speed)."""
    end = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "the timer did not act in time"
        time.sleep(0.01)


def test_a_tick_escalates_only_what_passed_its_deadline(world: World) -> None:
    held(world, "m-old")
    world.clock.now = T0 + timedelta(hours=12)
    held(world, "m-new")
    timer = DeadlineTimer([world.service], interval=60)
    assert timer.tick() == 0
    world.clock.now = T0 + timedelta(hours=24)
    assert timer.tick() == 1
    assert world.store.get("m-old").state is ReviewState.ESCALATED  # type: ignore[union-attr]
    assert world.store.get("m-new").state is ReviewState.HELD  # type: ignore[union-attr]
    assert timer.tick() == 0  # escalated once
    [record] = world.audited
    assert (record.action, record.actor, record.reason) == (
        Action.ESCALATE,
        "system",
        "REVIEW DEADLINE PASSED",
    )
    assert world.sink.delivered == []  # never released, no late reply


def test_the_timer_escalates_on_its_own_thread(world: World) -> None:
    held(world, "m1")
    world.clock.now = T0 + timedelta(days=3)
    timer = DeadlineTimer([world.service], interval=0.05)
    timer.start()
    try:
        wait_for(lambda: world.store.get("m1").state is ReviewState.ESCALATED)  # type: ignore[union-attr]
        held(world, "m2")  # received now: its deadline is tomorrow
        world.clock.now += timedelta(hours=25)
        wait_for(lambda: world.store.get("m2").state is ReviewState.ESCALATED)  # type: ignore[union-attr]
    finally:
        timer.stop()
    assert [a.message_id for a in world.audited] == ["m1", "m2"]
    assert world.sink.delivered == []
    assert {i.state for i in world.store.list()} == {ReviewState.ESCALATED}


def test_a_failing_queue_does_not_stop_the_others(world: World) -> None:
    held(world, "m1")
    world.clock.now = T0 + timedelta(days=2)

    class Broken(ReviewService):
        def escalate_overdue(self) -> list:  # type: ignore[type-arg]
            raise StorageError("queue unreachable")

    broken = Broken(world.store, world.service.records, world.sink, world.service.audit)
    timer = DeadlineTimer([broken, world.service], interval=60)
    assert timer.tick() == 1
    assert world.store.get("m1").state is ReviewState.ESCALATED  # type: ignore[union-attr]


def test_an_audit_failure_leaves_the_request_escalated_for_resume(world: World) -> None:
    held(world, "m1")
    world.clock.now = T0 + timedelta(days=2)
    world.service.audit = lambda _record: (_ for _ in ()).throw(StorageError("ledger down"))
    timer = DeadlineTimer([world.service], interval=60)
    assert timer.tick() == 0  # logged, retried later
    item = world.store.get("m1")
    assert item is not None and item.state is ReviewState.ESCALATED  # still not released
    assert len(world.store.unaudited()) == 1  # resume audits it


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DeadlineTimer([], interval=0)
