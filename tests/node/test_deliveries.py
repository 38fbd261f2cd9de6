"""A delivery that comes again (a transport that delivers at least once) is decided once,
written to the ledger once and disclosed once: answered as before when it was answered,
decided afresh when the node stopped before its ledger entries were written, and answered with
the kept answer when it stopped after them but before marking it sent."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from stateline.bootstrap import System
from stateline.ledger.entries import answer_digest
from stateline.node.deliveries import Kept, disclosed
from stateline.node.records.model import Person
from stateline.node.service import StateNode
from stateline.storage.deliveries import SqlDeliveryStore
from stateline.transport.base import Delivery
from stateline.wire import text
from stateline.wire.grammar import MKE
from stateline.wire.messages import Header, Query, Response

LOCAL = "NYSTP0000"  # a police department in the demo directory


@pytest.fixture
def system(own_system: System) -> System:
    """An exchange of this module's tests' own: deliveries here reach nodes without passing
    through the hub's log, and the shared exchange's reconciliations must not see them."""
    return own_system


@pytest.fixture
def node(redelivered_ny: StateNode) -> StateNode:
    return redelivered_ny


def delivery(system: System, person: Person, message_id: str) -> Delivery:
    query = text.parse(f"DQ.{LOCAL}.NY.TXT\nOLN/{person.oln}")
    assert isinstance(query, Query)
    requester = system.exchange.switch.directory.agencies[LOCAL]
    return Delivery(message_id, query, requester, "NYOLN0000")


def store(system: System) -> SqlDeliveryStore:
    return SqlDeliveryStore(system.engines["NY"])


def test_a_delivery_that_comes_again_gets_the_same_answer_and_no_new_entry(
    system: System, node: StateNode, people: dict[str, list[Person]]
) -> None:
    sent = delivery(system, people["NY"][7], "m-again-1")
    first = asyncio.run(node.handle(sent))
    size = node.ledger.size
    again = asyncio.run(node.handle(sent))
    assert again == first and first.records
    assert node.ledger.size == size  # nothing decided or written the second time
    kept = store(system).get("NY", "m-again-1")
    assert kept is not None and kept.sent and kept.reply == text.encode(first)


def test_a_node_stopped_before_its_entries_decides_again(
    system: System, node: StateNode, people: dict[str, list[Person]]
) -> None:
    # What a node that stopped after keeping an answer, before writing its entries, left.
    unsent = Response(Header(MKE.DR, "NYOLN0000", (LOCAL,), None), (), ("NOT ON FILE",))
    at = node.clock()
    stopped = Kept("NY", "m-again-2", text.encode(unsent), node.ledger.size, at)
    store(system).keep(stopped)
    size = node.ledger.size
    answer = asyncio.run(node.handle(delivery(system, people["NY"][8], "m-again-2")))
    assert answer.records  # decided afresh: the person's record, not the unsent answer
    assert node.ledger.size > size  # and written this time
    bodies = [node.ledger.entry_bytes(i) for i in range(size, node.ledger.size)]
    assert disclosed(bodies, "NY", "m-again-2", _digest(answer))
    kept = store(system).get("NY", "m-again-2")
    assert kept is not None and kept.sent and kept.reply == text.encode(answer)


def test_a_node_stopped_after_its_entries_sends_the_answer_they_record(
    system: System, node: StateNode, people: dict[str, list[Person]]
) -> None:
    sent = delivery(system, people["NY"][9], "m-again-3")
    first = asyncio.run(node.handle(sent))
    kept = store(system).get("NY", "m-again-3")
    assert kept is not None
    store(system).keep(replace(kept, sent=False))  # stopped before marking it sent
    size = node.ledger.size
    again = asyncio.run(node.handle(sent))
    assert again == first
    assert node.ledger.size == size  # the ledger holds its disclosure once
    marked = store(system).get("NY", "m-again-3")
    assert marked is not None and marked.sent


def test_kept_answers_are_removed_once_old(system: System) -> None:
    kept = store(system)
    kept.create_schema()
    answer = Response(Header(MKE.DR, "NYOLN0000", (LOCAL,), None), (), ("NOT ON FILE",))
    old = datetime(2020, 1, 1, tzinfo=UTC)
    kept.keep(Kept("NY", "m-old", text.encode(answer), 0, old, sent=True))
    assert kept.purge(datetime(2020, 1, 2, tzinfo=UTC)) >= 1
    assert kept.get("NY", "m-old") is None


def _digest(answer: Response) -> str:
    return answer_digest(text.encode(answer).encode())
