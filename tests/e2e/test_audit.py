"""Audit before disclosure: every answer that leaves a node has its ledger entry, written first.

The ledger is killed in the middle of concurrent traffic; every answer the requesters got
before then has its disclosure entry (matched by the SHA-256 of its bytes), and after it no
answer carries a record.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace

import pytest

from stateline.bootstrap import System
from stateline.ledger import group
from stateline.ledger.entries import Disclosure, RequestReceived
from stateline.node.records.model import Person
from stateline.wire import text
from stateline.wire.grammar import TEMPORARILY_UNAVAILABLE
from stateline.wire.messages import Reply, Response, StatusMessage

LOCAL = "NYSTP0000"


def disclosures(system: System, state: str) -> dict[str, Disclosure]:
    ledger = system.nodes[state].ledger
    found = {}
    for index in range(ledger.size):
        entry = ledger.entry(index)
        if isinstance(entry, Disclosure):
            found[entry.answer_sha256] = entry
    return found


def digest(reply: Response) -> str:
    """The hash of the answer as the node sent it (the hub adds the output header after)."""
    return hashlib.sha256(text.encode(replace(reply, output=None)).encode()).hexdigest()


def test_every_answer_has_its_entries(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][0]
    submission = asyncio.run(
        system.exchange.submit(f"DQ.{LOCAL}.NY.TXT\nOLN/{person.oln}", tokens[LOCAL])
    )
    (reply,) = submission.replies
    assert isinstance(reply, Response) and reply.records
    entry = disclosures(system, "NY")[digest(reply)]
    assert entry.message_id == submission.id
    assert entry.recipient == LOCAL
    assert "identity" in entry.data_classes
    ledger = system.nodes["NY"].ledger
    kinds = [ledger.entry(i) for i in range(ledger.size)]
    request = next(
        e for e in kinds if isinstance(e, RequestReceived) and e.message_id == submission.id
    )
    # People are named by keyed hashes only.
    assert person.oln not in repr(request) and person.last not in repr(entry)
    assert request.subjects and request.subjects[0] in entry.subjects


def test_denied_requests_are_entries_too(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    non_cj = next(a for a in system.directory.list() if not a.agency_type.criminal_justice)
    raw = f"DQ.{non_cj.ori}.NY.TXT\nOLN/{people['NY'][1].oln}"
    submission = asyncio.run(system.exchange.submit(raw, tokens[non_cj.ori]))
    (reply,) = submission.replies
    assert isinstance(reply, Response) and not reply.records
    entry = disclosures(system, "NY")[digest(reply)]
    assert entry.data_classes == ()


def test_killing_the_ledger_mid_traffic_discloses_nothing_unrecorded(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    ledger = system.nodes["NY"].ledger
    # A control field apiece makes every answer's bytes, and so its hash, unique.
    raws = [f"DQ.{LOCAL}.NY.C{n}.TXT\nOLN/{people['NY'][n % 25].oln}" for n in range(200)]

    async def traffic() -> list[Response | StatusMessage]:
        answered: list[int] = []

        async def one(index: int, raw: str) -> Response | StatusMessage:
            await asyncio.sleep(index * 0.002)
            submission = await system.exchange.submit(raw, tokens[LOCAL])
            (reply,) = submission.replies
            assert isinstance(reply, Response | StatusMessage)
            answered.append(index)
            return reply

        async def kill() -> None:
            # Once some answers are out, whatever the machine's speed: the ledger dies in the
            # middle of the traffic, with most of it still to come.
            while len(answered) < 10:
                await asyncio.sleep(0.001)
            ledger.close()

        replies, _ = await asyncio.gather(
            asyncio.gather(*(one(i, raw) for i, raw in enumerate(raws))), kill()
        )
        return list(replies)

    replies = asyncio.run(traffic())
    answered = [r for r in replies if isinstance(r, Response)]
    refused = [r for r in replies if isinstance(r, StatusMessage)]
    assert answered and refused, "the ledger must die in the middle of the traffic"
    assert all(r.records for r in answered)
    # The node answers nothing at all: the switch says the state is unavailable.
    assert all(r.text == (f"NYOLN0000 {TEMPORARILY_UNAVAILABLE}",) for r in refused)

    # Reopen the node's database to read what was durably written before the kill.
    from stateline.bootstrap import open_state_ledger

    reopened, _keys = open_state_ledger(system.config, "NY")
    try:
        recorded = set()
        for index in range(reopened.size):
            entry = reopened.entry(index)
            if isinstance(entry, Disclosure):
                recorded.add(entry.answer_sha256)
        assert len({digest(reply) for reply in answered}) == len(answered)
        assert all(digest(reply) in recorded for reply in answered)
    finally:
        reopened.close()


def test_a_commit_that_fails_unexpectedly_withholds_its_answers_and_strands_none(
    system: System,
    tokens: dict[str, str],
    people: dict[str, list[Person]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not the database refusing (LedgerUnavailable) but a fault in the code around it: the
    # answers of the group must still be refused, not wait for ever.
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a fault in the commit")

    monkeypatch.setattr(group, "submit_together", broken)
    # Control fields of their own: the same field and text as an earlier test's would be a
    # retry of it, answered with its first answer.
    raws = [f"DQ.{LOCAL}.NY.F{n}.TXT\nOLN/{people['NY'][n].oln}" for n in range(3)]

    async def traffic() -> list[Reply]:
        submissions = await asyncio.wait_for(
            asyncio.gather(*(system.exchange.submit(raw, tokens[LOCAL]) for raw in raws)), 60
        )
        return [reply for s in submissions for reply in s.replies]

    replies = asyncio.run(traffic())
    assert len(replies) == 3
    assert all(isinstance(r, StatusMessage) for r in replies)
    assert all(r.text == (f"NYOLN0000 {TEMPORARILY_UNAVAILABLE}",) for r in replies)
