"""Deliveries and replies over a real NATS server with JetStream: a query answered through it
gets the answer the in-process transport gives; a node that does not take its delivery in time
is unavailable, and its later answer goes to the mailbox's callback, never nowhere; bytes on a
node's subject that are not a delivery are dead-lettered and the next delivery is answered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from stateline.bootstrap import System, load_directory
from stateline.hub.switch import Switch
from stateline.node.records.model import Person
from stateline.node.service import StateNode
from stateline.transport.base import Delivery, NodeUnavailable
from stateline.transport.jetstream import (
    NatsTransport,
    NodeConsumer,
    Replies,
    connect,
    deliver_subject,
)
from stateline.wire import text
from stateline.wire.messages import Query, Reply, Response
from tests.broker import nats_server

LOCAL = "NYSTP0000"  # a police department in the demo directory


@pytest.fixture
def system(own_system: System) -> System:
    """An exchange of this module's tests' own: deliveries here reach nodes without passing
    through the hub's log, and the shared exchange's reconciliations must not see them."""
    return own_system


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    with nats_server(tmp_path / "jetstream") as url:
        yield url


def answers(replies: tuple[Reply, ...]) -> list[tuple[object, ...]]:
    """What a reply says, without its stamps (output sequence numbers, times)."""
    return [
        (type(r).__name__, r.header.mke, r.records, r.text)
        for r in replies
        if isinstance(r, Response)
    ]


def test_a_query_over_jetstream_gets_the_answer_the_local_transport_gives(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]], broker: str
) -> None:
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][3].oln}"

    async def run() -> tuple[tuple[Reply, ...], tuple[Reply, ...]]:
        client, js = await connect(broker)
        late: list[tuple[str, str, Reply]] = []
        replies = Replies(js, lambda *got: late.append(got))
        node = NodeConsumer(js, "NY", system.nodes["NY"])
        await replies.start()
        await node.start()
        try:
            remote = Switch(
                load_directory(system.directory),
                {"NY": NatsTransport(js, replies, "NY", deadline=10.0)},
            )
            over_nats = await remote.submit(raw, tokens[LOCAL])
            in_process = await system.exchange.switch.submit(raw, tokens[LOCAL])
        finally:
            await node.stop()
            await replies.stop()
            await client.close()
        assert late == []
        assert node.counters["answered"] == 1
        return over_nats.replies, in_process.replies

    over_nats, in_process = asyncio.run(run())
    assert answers(over_nats) == answers(in_process)
    assert answers(over_nats)[0][2]  # the person's record came back


def delivery_for(system: System, people: dict[str, list[Person]], message_id: str) -> Delivery:
    query = text.parse(f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][5].oln}")
    assert isinstance(query, Query)
    requester = system.exchange.switch.directory.agencies[LOCAL]
    return Delivery(message_id, query, requester, "NYOLN0000")


def test_a_node_that_does_not_take_its_delivery_is_unavailable_and_answers_late(
    system: System, people: dict[str, list[Person]], broker: str
) -> None:
    async def run() -> list[tuple[str, str, Reply]]:
        client, js = await connect(broker)
        late: list[tuple[str, str, Reply]] = []
        replies = Replies(js, lambda *got: late.append(got))
        await replies.start()
        node = NodeConsumer(js, "NY", system.nodes["NY"])
        try:
            transport = NatsTransport(js, replies, "NY", deadline=0.5)
            with pytest.raises(NodeUnavailable):  # at its deadline, not never
                await transport.deliver(delivery_for(system, people, "m-down-1"))
            await node.start()  # the node comes back: the queued delivery is decided then
            for _ in range(200):
                if late:
                    break
                await asyncio.sleep(0.05)
        finally:
            await node.stop()
            await replies.stop()
            await client.close()
        return late

    late = asyncio.run(run())
    assert [(message_id, state) for message_id, state, _ in late] == [("m-down-1", "NY")]
    assert isinstance(late[0][2], Response) and late[0][2].records


def test_bytes_that_are_not_a_delivery_are_dead_lettered_and_the_next_is_answered(
    system: System, people: dict[str, list[Person]], broker: str
) -> None:
    async def run() -> tuple[Reply, NodeConsumer]:
        client, js = await connect(broker)
        replies = Replies(js, lambda *_: None)
        node = NodeConsumer(js, "NY", system.nodes["NY"])
        await replies.start()
        await node.start()
        try:
            await js.publish(deliver_subject("NY"), b"\x00 not a delivery")
            transport = NatsTransport(js, replies, "NY", deadline=10.0)
            reply = await transport.deliver(delivery_for(system, people, "m-after-junk"))
        finally:
            await node.stop()
            await replies.stop()
            await client.close()
        return reply, node

    reply, node = asyncio.run(run())
    assert isinstance(reply, Response) and reply.records
    assert node.counters["dead-lettered"] == 1
    assert node.counters["answered"] == 1


def test_two_hub_workers_each_get_the_replies_to_their_own_deliveries(
    system: System, people: dict[str, list[Person]], broker: str
) -> None:
    async def run() -> tuple[Reply, Reply, list[object]]:
        client, js = await connect(broker)
        late: list[object] = []
        first = Replies(js, lambda *got: late.append(got), worker="hub-1")
        second = Replies(js, lambda *got: late.append(got), worker="hub-2")
        node = NodeConsumer(js, "NY", system.nodes["NY"])
        for part in (first, second, node):
            await part.start()
        try:
            one = NatsTransport(js, first, "NY", deadline=10.0)
            two = NatsTransport(js, second, "NY", deadline=10.0)
            replies = await asyncio.gather(
                one.deliver(delivery_for(system, people, "m-worker-1")),
                two.deliver(delivery_for(system, people, "m-worker-2")),
            )
        finally:
            for part in (node, second, first):
                await part.stop()
            await client.close()
        return replies[0], replies[1], late

    one, two, late = asyncio.run(run())
    assert isinstance(one, Response) and one.records
    assert isinstance(two, Response) and two.records
    assert late == []  # neither worker took the other's reply for a late one


def test_a_delivery_that_names_no_reply_subject_of_its_state_is_dead_lettered(
    system: System, people: dict[str, list[Person]], broker: str
) -> None:
    from stateline.transport.codec import delivery_bytes
    from stateline.transport.jetstream import REPLY_TO

    async def run() -> NodeConsumer:
        client, js = await connect(broker)
        node = NodeConsumer(js, "NY", system.nodes["NY"])
        await node.start()
        try:
            data = delivery_bytes(delivery_for(system, people, "m-elsewhere"))
            for headers in ({}, {REPLY_TO: "stateline.reply.hub.CA"}, {REPLY_TO: "other.subject"}):
                await js.publish(deliver_subject("NY"), data, headers=headers)
            for _ in range(200):
                if node.counters["dead-lettered"] == 3:
                    break
                await asyncio.sleep(0.05)
        finally:
            await node.stop()
            await client.close()
        return node

    node = asyncio.run(run())
    assert node.counters["dead-lettered"] == 3
    assert node.counters["answered"] == 0  # nothing decided, nothing disclosed


def test_a_delivery_the_stream_brings_twice_is_decided_once(
    system: System, people: dict[str, list[Person]], broker: str, redelivered_ny: StateNode
) -> None:
    """The same delivery stored twice (a hub that published again after losing its
    acknowledgement beyond the stream's duplicate window): one decision, one set of ledger
    entries, and the same answer both times."""
    from stateline.transport.codec import delivery_bytes
    from stateline.transport.jetstream import REPLY_TO, reply_subject

    async def run() -> tuple[list[tuple[str, str, Reply]], int, int, NodeConsumer]:
        client, js = await connect(broker)
        late: list[tuple[str, str, Reply]] = []
        replies = Replies(js, lambda *got: late.append(got), worker="hub-9")
        node = NodeConsumer(js, "NY", redelivered_ny)
        before = redelivered_ny.ledger.size
        await replies.start()
        try:
            data = delivery_bytes(delivery_for(system, people, "m-twice"))
            headers = {REPLY_TO: reply_subject("hub-9", "NY")}
            for copy in ("a", "b"):  # two stored copies: their stream ids differ
                await js.publish(
                    deliver_subject("NY"), data, headers=headers | {"Nats-Msg-Id": copy}
                )
            await node.start()
            for _ in range(200):
                if len(late) == 2:  # nobody waits: both replies come to the mailbox's callback
                    break
                await asyncio.sleep(0.05)
        finally:
            await node.stop()
            await replies.stop()
            await client.close()
        return late, before, redelivered_ny.ledger.size, node

    late, before, after, node = asyncio.run(run())
    assert [(m, s) for m, s, _ in late] == [("m-twice", "NY"), ("m-twice", "NY")]
    assert late[0][2] == late[1][2]  # the same answer, byte for byte
    assert node.counters["answered"] == 2
    kinds = [
        entry["kind"]
        for body in (redelivered_ny.ledger.entry_bytes(i) for i in range(before, after))
        if body is not None and (entry := orjson.loads(body)).get("message_id") == "m-twice"
    ]
    assert sorted(kinds) == ["decision", "disclosure", "request"]  # each written once


def test_the_same_reply_twice_reaches_the_waiting_delivery_once(
    system: System, people: dict[str, list[Person]], broker: str
) -> None:
    from stateline.transport.codec import reply_bytes
    from stateline.transport.jetstream import MESSAGE_ID, reply_subject
    from stateline.wire.grammar import MKE
    from stateline.wire.messages import Header

    answer = Response(Header(MKE.DR, "NYOLN0000", (LOCAL,), None), (), ("NOT ON FILE",))

    async def run() -> tuple[Reply, list[object], Replies]:
        client, js = await connect(broker)
        late: list[object] = []
        replies = Replies(js, lambda *got: late.append(got), worker="hub-7")
        await replies.start()
        try:
            waiting = replies.expect("m-dup", "NY")
            for _ in range(2):  # a node that sent its answer twice
                await js.publish(
                    reply_subject("hub-7", "NY"), reply_bytes(answer), headers={MESSAGE_ID: "m-dup"}
                )
            got = await asyncio.wait_for(waiting, 30)
            for _ in range(100):
                if replies.counters["repeated"]:
                    break
                await asyncio.sleep(0.05)
        finally:
            await replies.stop()
            await client.close()
        return got, late, replies

    got, late, replies = asyncio.run(run())
    assert got == answer
    assert replies.counters["repeated"] == 1
    assert late == []  # the copy was not taken for a late answer
