"""Retries: the same message sent again gets its first answer, never a second disclosure."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from stateline.bootstrap import System
from stateline.hub.mailbox import Keeping
from stateline.hub.retries import RetryRefused, control_key, input_digest, valid_key
from stateline.ledger.entries import Disclosure
from stateline.node.records.model import Person

LOCAL = "NYSTP0000"


def disclosures(system: System, message_id: str) -> int:
    ledger = system.nodes["NY"].ledger
    return sum(
        1
        for index in range(ledger.size)
        if isinstance(entry := ledger.entry(index), Disclosure) and entry.message_id == message_id
    )


def test_keys_are_short_printable_ascii() -> None:
    assert valid_key("9f1c-2026-12-07T10:00:00Z")
    assert not valid_key("")
    assert not valid_key("x" * 101)
    assert not valid_key("retry\n1")
    assert not valid_key("clé")
    digest = input_digest("DQ.NYSTP0000.NY.CASE1.TXT\nOLN/1")
    assert control_key("CASE1", digest) == f"control/CASE1/{digest[:40]}"


def test_a_retry_under_its_key_gets_the_first_answer(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][2].oln}"

    async def twice() -> tuple[object, object]:
        first = await system.exchange.submit(raw, tokens[LOCAL], key="k-42")
        again = await system.exchange.submit(raw, tokens[LOCAL], key="k-42")
        return first, again

    first, again = asyncio.run(twice())
    assert (again.id, again.replies, again.accepted) == (first.id, first.replies, True)  # type: ignore[attr-defined]
    assert again.replayed and not first.replayed  # type: ignore[attr-defined]
    assert disclosures(system, first.id) == 1  # type: ignore[attr-defined]
    record = system.log.get(first.id)  # type: ignore[attr-defined]
    assert record is not None and record.idempotency_key == "k-42"


def test_copies_in_flight_together_are_answered_once(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][3].oln}"

    async def together() -> list[object]:
        sent = [system.exchange.submit(raw, tokens[LOCAL], key="k-43") for _ in range(5)]
        return list(await asyncio.gather(*sent))

    answers = asyncio.run(together())
    ids = {a.id for a in answers}  # type: ignore[attr-defined]
    assert len(ids) == 1
    assert [a.replayed for a in answers].count(False) == 1  # type: ignore[attr-defined]
    assert disclosures(system, ids.pop()) == 1


def test_the_control_field_and_text_name_a_retry(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    raw = f"DQ.{LOCAL}.NY.CASE77.TXT\nOLN/{people['NY'][4].oln}"
    other = f"DQ.{LOCAL}.NY.CASE77.TXT\nOLN/{people['NY'][5].oln}"
    plain = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][4].oln}"

    async def run() -> list[object]:
        return [
            await system.exchange.submit(r, tokens[LOCAL]) for r in (raw, raw, other, plain, plain)
        ]

    first, again, different, once, twice = asyncio.run(run())
    assert again.id == first.id and again.replayed  # type: ignore[attr-defined]
    assert different.id != first.id and not different.replayed  # type: ignore[attr-defined]
    # Without a control field or a key, the same text twice is two messages, as it may be.
    assert once.id != twice.id and not twice.replayed  # type: ignore[attr-defined]


def test_a_key_sent_again_with_another_message_is_refused(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    first = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][6].oln}"
    other = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][7].oln}"
    asyncio.run(system.exchange.submit(first, tokens[LOCAL], key="k-44"))
    with pytest.raises(RetryRefused) as refused:
        asyncio.run(system.exchange.submit(other, tokens[LOCAL], key="k-44"))
    assert refused.value.status == 422
    # Another agency's key is its own.
    asyncio.run(
        system.exchange.submit(first.replace(LOCAL, "NJSTP0000"), tokens["NJSTP0000"], key="k-44")
    )


def test_once_the_first_answer_is_gone_a_key_is_refused_and_a_control_field_starts_anew(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    system.exchange.keeping = Keeping(reply_ttl=timedelta(0))  # kept for no time at all
    keyed = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][8].oln}"
    controlled = f"DQ.{LOCAL}.NY.CASE88.TXT\nOLN/{people['NY'][8].oln}"
    asyncio.run(system.exchange.submit(keyed, tokens[LOCAL], key="k-45"))
    with pytest.raises(RetryRefused) as refused:
        asyncio.run(system.exchange.submit(keyed, tokens[LOCAL], key="k-45"))
    assert refused.value.status == 409 and "no longer held" in refused.value.detail
    first = asyncio.run(system.exchange.submit(controlled, tokens[LOCAL]))
    second = asyncio.run(system.exchange.submit(controlled, tokens[LOCAL]))
    assert second.id != first.id and not second.replayed
    third = system.log.get(second.id)
    assert third is not None and third.idempotency_key is not None  # the key moved on
