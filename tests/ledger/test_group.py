"""Group commit on the event loop: a write waits until the loop is idle, then serves every
answer that reached it meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from stateline.ledger import group
from stateline.ledger.checkpoint import Signer
from stateline.ledger.entries import Entry
from stateline.ledger.group import GroupCommit
from stateline.ledger.log import Ledger
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.ledger.store import SqlLedgerStore
from tests.ledger.helpers import entries


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    store = SqlLedgerStore(open_engine(sqlite_url(str(tmp_path / "ledger.sqlite"))))
    store.create_schema()
    with Ledger(store, Signer.generate("stateline/ledger/NY")) as opened:
        yield opened


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each write the group commit makes carries."""
    made: list[int] = []
    real = group.submit_together

    def counted(appends: Sequence[tuple[Ledger, Sequence[Entry]]], **options: Any) -> Any:
        made.append(sum(len(e) for _, e in appends))
        return real(appends, **options)

    monkeypatch.setattr(group, "submit_together", counted)
    return made


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_an_answer_still_on_its_way_joins_the_write(
    ledger: Ledger, writes: list[int]
) -> None:
    first, second = entries(2)
    commits = GroupCommit()

    async def on_its_way() -> None:
        for _ in range(5):  # a few turns of the loop with work in each, as a request takes
            busy(GroupCommit.QUIET * 4)
            await asyncio.sleep(0)
        await commits.append(ledger, [second])

    late = asyncio.create_task(on_its_way())
    await commits.append(ledger, [first])
    await late
    assert writes == [2]  # one write for both, not one each
    assert [ledger.entry(i) for i in range(2)] == [first, second]


async def test_a_lone_answer_is_written_once_the_loop_is_idle(
    ledger: Ledger, writes: list[int]
) -> None:
    commits = GroupCommit(turns=1000)
    turns = 0
    done = False

    async def count_turns() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    await commits.append(ledger, entries(1))
    done = True
    await counter
    assert writes == [1]
    assert turns < 50  # it did not sit out its turns with nothing else to run


async def test_a_busy_loop_does_not_hold_the_write_back_for_ever(
    ledger: Ledger, writes: list[int]
) -> None:
    commits = GroupCommit(turns=3)
    done = False

    async def keep_busy() -> None:
        while not done:
            busy(GroupCommit.QUIET * 4)
            await asyncio.sleep(0)

    worker = asyncio.create_task(keep_busy())
    await commits.append(ledger, entries(1))  # returns: written after at most 3 turns
    done = True
    await worker
    assert writes == [1]
