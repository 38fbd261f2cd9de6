"""Carrying deliveries to state nodes and their replies back over NATS JetStream.

Two durable streams hold what is in flight, so neither a hub worker nor a node that restarts
loses it:

- ``STATELINE_DELIVERIES`` (``stateline.deliver.<STATE>``, a work queue): the hub publishes each
  delivery with the message id and state as its ``Nats-Msg-Id``, so a publish the hub repeats
  is stored once. Each state's node takes its own subject through a durable consumer and
  acknowledges a delivery once its reply is published.
- ``STATELINE_REPLIES`` (``stateline.reply.<WORKER>.<STATE>``): a node's replies, each on the
  subject of the hub worker that sent its delivery (the delivery names it in a header), so
  several workers can serve side by side. A worker's :class:`Replies` hands each reply to the
  delivery waiting for it; one nobody waits for any more (it came after the deadline, or the
  worker restarted: its durable consumer takes up where it stopped) goes to the ``late``
  callback, the requester's mailbox, never nowhere.

A delivery a node does not take within the deadline is answered ``NodeUnavailable`` (the hub
says the state is temporarily unavailable); if the node takes it later, its answer arrives
late, as a multi-state query's late answer does. Bytes on a subject that are not a delivery
are dead-lettered (terminated, counted, logged without content) and never stop a consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import RetentionPolicy, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError

from stateline.transport.base import Delivery, NodeUnavailable
from stateline.transport.codec import (
    CodecError,
    delivery_bytes,
    delivery_from,
    reply_bytes,
    reply_from,
)
from stateline.wire.messages import Reply

log = logging.getLogger(__name__)

DELIVERIES = "STATELINE_DELIVERIES"
REPLIES = "STATELINE_REPLIES"
MESSAGE_ID = "Stateline-Message-Id"
"""The header naming the hub's message id on a reply."""
REPLY_TO = "Stateline-Reply-To"
"""The header naming, on a delivery, the subject its reply goes to."""

REMEMBERED = 10_000
"""Replies a hub worker remembers having handed on, to drop the same one coming again."""

Late = Callable[[str, str, Reply], None]
"""Takes a reply nobody waits for any more: (message id, state, reply)."""


def deliver_subject(state: str) -> str:
    return f"stateline.deliver.{state.upper()}"


def reply_subject(worker: str, state: str) -> str:
    return f"stateline.reply.{worker}.{state.upper()}"


async def ensure_streams(js: JetStreamContext) -> None:
    """Create the two streams, or leave them as they are if they exist."""
    for config in (
        StreamConfig(
            name=DELIVERIES,
            subjects=["stateline.deliver.*"],
            retention=RetentionPolicy.WORK_QUEUE,
            duplicate_window=120.0,
        ),
        StreamConfig(
            name=REPLIES,
            subjects=["stateline.reply.*.*"],
            retention=RetentionPolicy.WORK_QUEUE,
        ),
    ):
        with contextlib.suppress(BadRequestError):  # it exists: its settings stand
            await js.add_stream(config)


class _Pulling:
    """A durable pull consumer's loop, on a task of its own: each message to ``take``."""

    def __init__(self, name: str, batch: int, take: Callable[[Any], Awaitable[None]]) -> None:
        self._name = name
        self._batch = batch
        self._take = take
        self._task: asyncio.Task[None] | None = None

    async def start(self, js: JetStreamContext, subject: str, durable: str, stream: str) -> None:
        sub = await js.pull_subscribe(subject, durable, stream=stream)
        self._task = asyncio.create_task(self._run(sub), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, sub: Any) -> None:
        while True:
            try:
                messages = await sub.fetch(self._batch, timeout=1.0)
            except NatsTimeout:
                continue
            for message in messages:
                await self._take(message)


class Replies:
    """One hub worker's side of the replies stream: each reply to the delivery that waits for
    it. ``worker`` names the worker, the same across its restarts (letters, digits, ``-``)."""

    def __init__(self, js: JetStreamContext, late: Late, *, worker: str = "hub") -> None:
        if not _worker_name(worker):
            raise ValueError(f"a hub worker's name is letters, digits and '-', not {worker!r}")
        self._js = js
        self.late = late
        self.worker = worker
        self._waiting: dict[tuple[str, str], asyncio.Future[Reply]] = {}
        # The replies handed to a waiting delivery lately, by message and state, with their
        # bytes: the same reply again (a node that sent it twice) is dropped, not made late.
        self._answered: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._pulling = _Pulling("stateline replies", 64, self._message)
        self.counters: Counter[str] = Counter()

    def expect(self, message_id: str, state: str) -> asyncio.Future[Reply]:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[message_id, state.upper()] = future
        return future

    def forget(self, message_id: str, state: str) -> None:
        self._waiting.pop((message_id, state.upper()), None)

    async def start(self) -> None:
        subject = f"stateline.reply.{self.worker}.*"
        await self._pulling.start(self._js, subject, f"hub-{self.worker}", REPLIES)

    async def stop(self) -> None:
        await self._pulling.stop()

    async def _message(self, message: Any) -> None:
        self._take(message.subject.rsplit(".", 1)[-1], message.headers or {}, message.data)
        await message.ack()

    def _take(self, state: str, headers: dict[str, str], data: bytes) -> None:
        message_id = headers.get(MESSAGE_ID, "")
        try:
            reply = reply_from(data)
        except CodecError:
            self.counters["dead-lettered"] += 1
            log.error("a reply from %s to message %s is not a reply: dropped", state, message_id)
            return
        key = (message_id, state)
        if self._answered.get(key) == data:
            self.counters["repeated"] += 1
            return
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(reply)
            self._answered[key] = data
            if len(self._answered) > REMEMBERED:
                self._answered.popitem(last=False)
            return
        self.counters["late"] += 1
        self.late(message_id, state, reply)


class NatsTransport:
    """Carries deliveries to one state's node over JetStream (the hub's side)."""

    def __init__(
        self, js: JetStreamContext, replies: Replies, state: str, *, deadline: float
    ) -> None:
        self._js = js
        self._replies = replies
        self.state = state.upper()
        self.deadline = deadline

    async def deliver(self, delivery: Delivery) -> Reply:
        waiting = self._replies.expect(delivery.message_id, self.state)
        try:
            await self._js.publish(
                deliver_subject(self.state),
                delivery_bytes(delivery),
                headers={
                    "Nats-Msg-Id": f"{delivery.message_id}.{self.state}",
                    REPLY_TO: reply_subject(self._replies.worker, self.state),
                },
            )
            return await asyncio.wait_for(asyncio.shield(waiting), self.deadline)
        except (TimeoutError, NatsTimeout) as error:
            # The delivery stays queued: a node that takes it later answers late.
            raise NodeUnavailable(f"{self.state}: no answer within {self.deadline} s") from error
        except Exception as error:  # the broker itself: the state is unreachable
            raise NodeUnavailable(f"{self.state}: {type(error).__name__}") from error
        finally:
            self._replies.forget(delivery.message_id, self.state)


def _replies_here(subject: str, state: str) -> bool:
    """Whether ``subject`` is a hub worker's reply subject for ``state``."""
    parts = subject.split(".")
    worker = parts[2] if len(parts) == 4 else ""
    return _worker_name(worker) and parts[:2] == ["stateline", "reply"] and parts[3] == state


def _worker_name(name: str) -> bool:
    """Whether ``name`` may name a hub worker: letters, digits and ``-``, one subject token."""
    return bool(name) and all(c.isalnum() or c == "-" for c in name)


class Handler(Protocol):
    async def handle(self, delivery: Delivery) -> Reply: ...


class NodeConsumer:
    """A state's node taking its deliveries from JetStream and publishing its replies."""

    def __init__(self, js: JetStreamContext, state: str, node: Handler) -> None:
        self._js = js
        self.state = state.upper()
        self._node = node
        self._pulling = _Pulling(f"node {self.state}", 16, self._one)
        self.counters: Counter[str] = Counter()

    async def start(self) -> None:
        subject = deliver_subject(self.state)
        await self._pulling.start(self._js, subject, f"node-{self.state}", DELIVERIES)

    async def stop(self) -> None:
        await self._pulling.stop()

    async def _one(self, message: Any) -> None:
        reply_to = (message.headers or {}).get(REPLY_TO, "")
        try:
            delivery = delivery_from(message.data)
            if not _replies_here(reply_to, self.state):
                raise CodecError("a delivery names the subject of its reply, this state's")
        except CodecError as error:
            # Never retried: the same bytes would fail the same way.
            self.counters["dead-lettered"] += 1
            log.error("%s: a message on its subject is not a delivery (%s)", self.state, error)
            await message.term()
            return
        try:
            reply = await self._node.handle(delivery)
        except NodeUnavailable:
            # Nothing was disclosed (the node fails closed): try again a little later.
            self.counters["refused"] += 1
            await message.nak(delay=1.0)
            return
        except Exception:
            # A fault of the node's must not stop its consumer; the delivery comes again, and
            # a node that keeps its answers (node/deliveries.py) decides it once.
            self.counters["failed"] += 1
            log.exception(
                "%s: message %s failed; it will come again", self.state, delivery.message_id
            )
            await message.nak(delay=1.0)
            return
        await self._js.publish(
            reply_to, reply_bytes(reply), headers={MESSAGE_ID: delivery.message_id}
        )
        await message.ack()
        self.counters["answered"] += 1


async def connect(url: str) -> tuple[Client, JetStreamContext]:
    """A connection to the NATS server at ``url`` and its JetStream, with the streams made."""
    import nats

    client = await nats.connect(servers=[url], name="stateline")
    js = client.jetstream()
    await ensure_streams(js)
    return client, js
