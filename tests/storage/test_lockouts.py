"""Tests for stateline/storage/lockouts.py: the backoff rule, and the counts on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from stateline.storage.lockouts import (
    ACCOUNT_BACKOFF,
    ADDRESS_BACKOFF,
    Backoff,
    Failure,
    Kind,
    Lockouts,
    Subject,
    signin_failures,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def lockouts(engine: Engine) -> Lockouts:
    made = Lockouts(engine)
    made.create_schema()
    return made


def test_the_account_rule_doubles_from_the_fifth_failure_up_to_an_hour() -> None:
    waits = [ACCOUNT_BACKOFF.lock_for(n) for n in range(1, 14)]
    assert waits == [timedelta(0)] * 4 + [MINUTE * m for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert ACCOUNT_BACKOFF.lock_for(10_000) == timedelta(hours=1)


def test_the_address_rule_allows_more_failures_than_an_account() -> None:
    assert ADDRESS_BACKOFF.lock_for(19) == timedelta(0)
    assert ADDRESS_BACKOFF.lock_for(20) == MINUTE
    assert ADDRESS_BACKOFF.lock_for(21) == 2 * MINUTE
    assert ADDRESS_BACKOFF.lock_for(30) == 30 * MINUTE  # at most half an hour
    assert ADDRESS_BACKOFF.forget == timedelta(hours=1)  # an office's typos do not pile up


def test_an_address_quiet_for_an_hour_starts_again(lockouts: Lockouts) -> None:
    office = Subject.address("203.0.113.9")
    for _ in range(19):
        lockouts.fail(office, NOW)
    assert lockouts.fail(office, NOW + timedelta(minutes=59)).locked_until is not None
    later = NOW + timedelta(minutes=59) + timedelta(hours=1, seconds=1)
    assert lockouts.fail(office, later) == Failure(office, 1, None)


def test_a_rule_that_forgets_before_its_longest_lock_is_refused() -> None:
    with pytest.raises(ValueError):
        Backoff(5, MINUTE, timedelta(hours=2), timedelta(hours=1))
    with pytest.raises(ValueError):
        Backoff(0, MINUTE, timedelta(hours=1), timedelta(days=1))


def test_names_and_addresses_are_kept_only_hashed(lockouts: Lockouts, engine: Engine) -> None:
    lockouts.fail(Subject.account("Rita"), NOW)
    lockouts.fail(Subject.address("203.0.113.9"), NOW)
    with engine.connect() as conn:
        kept = conn.execute(select(signin_failures.c.kind, signin_failures.c.subject)).all()
    assert {kind for kind, _ in kept} == {"account", "address"}
    assert all(len(subject) == 64 and "rita" not in subject for _, subject in kept)
    assert Subject.account(" RITA ") == Subject.account("rita")


def test_failures_lock_at_the_threshold_and_double(lockouts: Lockouts) -> None:
    rita = Subject.account("rita")
    for _ in range(4):
        assert lockouts.fail(rita, NOW).locked_until is None
    assert lockouts.locked([rita], NOW) == []
    fifth = lockouts.fail(rita, NOW)
    assert (fifth.failures, fifth.locked_until) == (5, NOW + MINUTE)
    [held] = lockouts.locked([rita, Subject.address("203.0.113.9")], NOW)
    assert held.subject == rita and held.locked_until == NOW + MINUTE
    assert lockouts.locked([rita], NOW + MINUTE) == []  # the lock has ended
    later = NOW + MINUTE
    assert lockouts.fail(rita, later).locked_until == later + 2 * MINUTE


def test_a_quiet_day_forgets_the_count(lockouts: Lockouts) -> None:
    rita = Subject.account("rita")
    for _ in range(4):
        lockouts.fail(rita, NOW)
    next_day = NOW + timedelta(days=1, seconds=1)
    assert lockouts.fail(rita, next_day).failures == 1


def test_a_lock_is_never_shortened(lockouts: Lockouts) -> None:
    rita = Subject.account("rita")
    for _ in range(7):
        lockouts.fail(rita, NOW)  # the 7th locks for 4 minutes
    # A failure counted while locked (two sign-ins racing) keeps the longer lock.
    assert lockouts.fail(rita, NOW).locked_until == NOW + 8 * MINUTE
    assert lockouts.fail(rita, NOW + MINUTE).locked_until == NOW + MINUTE + 16 * MINUTE


def test_clear_forgets_a_subject(lockouts: Lockouts) -> None:
    rita, sam = Subject.account("rita"), Subject.account("sam")
    for _ in range(5):
        lockouts.fail(rita, NOW)
        lockouts.fail(sam, NOW)
    lockouts.clear(rita)
    assert [f.subject for f in lockouts.locked([rita, sam], NOW)] == [sam]
    assert lockouts.fail(rita, NOW).failures == 1


def test_names_tried_once_long_ago_do_not_pile_up(lockouts: Lockouts, engine: Engine) -> None:
    for n in range(10):
        lockouts.fail(Subject.account(f"guess{n}"), NOW)
    lockouts.fail(Subject.account("today"), NOW + timedelta(days=2))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(signin_failures)).scalar() == 1


def test_counts_are_per_kind(lockouts: Lockouts) -> None:
    same = "203.0.113.9"
    assert Subject.account(same) != Subject.address(same)
    assert Subject.address(same).kind is Kind.ADDRESS
