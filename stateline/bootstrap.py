"""The composition root: the one place that picks storage, transports and policies from config."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, text

from stateline.config import Config
from stateline.directory.model import Agency
from stateline.errors import StorageError
from stateline.hub.attachments import Attachments
from stateline.hub.exchange import Exchange
from stateline.hub.mailbox import Keeping
from stateline.hub.switch import Directory, Switch
from stateline.ledger.checkpoint import Verifier
from stateline.ledger.group import GroupCommit
from stateline.ledger.keys import (
    NodeKeys,
    load_or_create,
    load_or_create_witness,
    origin_for,
    witness_name,
)
from stateline.ledger.lock import Holder, LedgerBusy, WriterLock
from stateline.ledger.log import Ledger
from stateline.ledger.witness.rounds import Observer, Site, witness_round
from stateline.ledger.writer import Committer
from stateline.node.notices.owed import NodeNotices
from stateline.node.notices.service import Outbox
from stateline.node.policy.decide import CedarPolicy
from stateline.node.records.model import Person
from stateline.node.review.hooks import NodeReview
from stateline.node.review.service import LateReplies, Relay, ReviewService
from stateline.node.service import StateNode
from stateline.oversight.alert_settings import read_settings, settings_path
from stateline.oversight.alerts import Detector
from stateline.oversight.watch import FederalOris, Watch
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import AlertStore, open_alerts
from stateline.storage.delays import delays_beside
from stateline.storage.deliveries import SqlDeliveryStore
from stateline.storage.directory import DirectoryStore
from stateline.storage.documents import DocumentStore
from stateline.storage.engine import open_engine
from stateline.storage.ledger.database import PAGE_SIZE, SqlLedgerDatabase
from stateline.storage.ledger.journal import SqlJournal
from stateline.storage.ledger.store import SqlLedgerStore
from stateline.storage.locks import AdvisoryLock
from stateline.storage.messages import MessageLog
from stateline.storage.notices import SqlNoticeStore
from stateline.storage.records import SqlRecordStore
from stateline.storage.resident import ResidentStore
from stateline.storage.review import SqlReviewStore
from stateline.storage.witness_memory import WitnessMemory
from stateline.transport.base import Transport
from stateline.transport.local import LocalTransport

log = logging.getLogger(__name__)

DIRECTORY_POLL = 0.25
"""Seconds between a serving process's looks at the directory's generation."""


@dataclass
class System:
    """A running exchange: the hub's stores, the nodes, and the exchange service over them."""

    config: Config
    hub_engine: Engine
    directory: DirectoryStore
    log: MessageLog
    nodes: dict[str, StateNode]
    engines: dict[str, Engine]  # each node's database: records, reviews, notices, accounts
    transports: dict[str, LocalTransport]
    exchange: Exchange
    keys: dict[str, NodeKeys]
    committers: dict[str, Committer] = field(default_factory=dict)
    hub_witness: Observer | None = None
    locks: list[Lock] = field(default_factory=list)
    generation: int = 0  # the directory's generation the switch's copy was read at
    watch: Watch | None = None  # raises abuse alerts as entries become durable
    _following: threading.Event | None = None

    def announce(self, url: str) -> None:
        """Name the URL this process serves in its ledger locks, so that commands run beside
        it on the same data directory send their work here."""
        for lock in self.locks:
            if isinstance(lock, WriterLock):
                lock.announce(replace(lock.holder, url=url))

    def witness_round(self, now: int) -> list[str]:
        """Every node publishes a checkpoint; the next state in the ring and the hub cosign it."""
        sites = [Site(node.ledger, self.keys[state]) for state, node in self.nodes.items()]
        observers = [self.hub_witness] if self.hub_witness is not None else []
        return witness_round(sites, now, observers)

    def logs(self) -> dict[str, tuple[Verifier, ...]]:
        """Every node's log origin and the keys its checkpoints verify with."""
        return {
            node.ledger.origin: self.keys[state].verifiers for state, node in self.nodes.items()
        }

    def accounts(self, state: str) -> AccountStore:
        """The staff accounts of ``state``'s node, in its database."""
        return open_accounts(self.engines[state])

    def alerts(self, state: str) -> AlertStore:
        """The abuse alerts raised for ``state``'s node, in its database."""
        return open_alerts(self.engines[state])

    def codes(self) -> dict[str, ResidentStore]:
        """The residents' access codes of every node, each in its node's database."""
        found = {state: ResidentStore(engine) for state, engine in self.engines.items()}
        for store in found.values():
            store.create_schema()
        return found

    def reload_directory(self) -> None:
        """Take agencies and credentials changed since start (suspensions, new tokens)."""
        generation = self.directory.generation()
        self.exchange.switch.directory = load_directory(self.directory)
        self.generation = generation

    def follow_directory(self, every: float = DIRECTORY_POLL) -> None:
        """Apply changes other processes make to the directory (``stateline agency suspend``,
        certifications, credentials) within ``every`` seconds, until :meth:`close`."""
        if self._following is not None:
            return
        stop = threading.Event()

        def follow() -> None:
            while not stop.wait(every):
                try:
                    if self.directory.generation() != self.generation:
                        self.reload_directory()
                except StorageError:
                    # The old copy goes on serving; a refusal that is late is logged loudly.
                    log.exception("the directory could not be read; will try again")

        self._following = stop
        threading.Thread(target=follow, name="directory", daemon=True).start()

    def close(self) -> None:
        if self._following is not None:
            self._following.set()
        if self.watch is not None:
            self.watch.close()
        self.log.close()
        self.exchange.switch.attachments.close()
        self.hub_engine.dispose()
        for node in self.nodes.values():
            node.ledger.close()
        for committer in self.committers.values():
            committer.close()
        for state, node in self.nodes.items():
            node.ledger.store.close()
            node.records.close()
            self.engines[state].dispose()
        for lock in self.locks:
            lock.release()


def _state_engine(url: str, state: str, shared: bool, page_size: int | None = None) -> Engine:
    """A state's database at ``url``; on a PostgreSQL database ``shared`` by every state, the
    state's own schema in it."""
    engine = open_engine(url, page_size=page_size)
    if shared and not url.startswith("sqlite"):
        schema = f"node_{state.lower()}"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def open_node_engine(config: Config, state: str) -> Engine:
    """A node's database. PostgreSQL without ``{state}`` in the URL: one schema per node."""
    url = config.node_url(state)
    if url.startswith("sqlite"):
        (config.data_dir / "nodes").mkdir(parents=True, exist_ok=True)
    shared = bool(config.node_database_url) and "{state}" not in (config.node_database_url or "")
    return _state_engine(url, state, shared)


def fill_records(
    config: Config, state: str, count: int, people: Callable[[], Iterable[Person]]
) -> None:
    """Load ``state``'s node with ``people()`` unless it holds ``count`` people already."""
    store = SqlRecordStore(open_node_engine(config, state))
    try:
        store.create_schema()
        if store.count() != count:
            store.clear()
            store.insert_people(people())
    finally:
        store.close()
        store.engine.dispose()


def ledger_shared(config: Config) -> bool:
    """Whether every node's ledger is in one database (and so can share its commits)."""
    return "{state}" not in config.ledger_template


def ledger_prefix(config: Config, state: str) -> str:
    """The ledger's table prefix: a state code where several ledgers share a SQLite file
    (PostgreSQL gives each its own schema instead)."""
    shared_file = ledger_shared(config) and config.ledger_template.startswith("sqlite")
    return f"{state.lower()}_" if shared_file else ""


def open_ledger_engine(config: Config, state: str) -> Engine:
    """The database of a state's ledger (see :attr:`Config.ledger_template`)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    if config.ledger_url(state) == config.node_url(state):
        return open_node_engine(config, state)
    return _state_engine(config.ledger_url(state), state, ledger_shared(config), PAGE_SIZE)


def open_ledger_store(config: Config, state: str) -> SqlLedgerStore:
    """The tables of ``state``'s ledger where the configuration puts them (made if need be),
    to read or to open a :class:`Ledger` over."""
    store = SqlLedgerStore(open_ledger_engine(config, state), ledger_prefix(config, state))
    store.create_schema()
    return store


def ledger_lock_path(config: Config, state: str) -> Path:
    """The file whose lock a process holds while it writes ``state``'s ledger."""
    return config.data_dir / "locks" / f"ledger-{state}.lock"


class Lock(Protocol):
    def release(self) -> None: ...


def lock_ledgers(
    config: Config, states: Sequence[str], holder: Holder, wait: float = 0.0
) -> list[Lock]:
    """Take the writer lock of every state's ledger, or none: raises
    :class:`~stateline.ledger.lock.LedgerBusy` naming the process that writes one already.

    Ledgers on PostgreSQL are locked in the database too, for processes of other data
    directories (other machines) that write them."""
    locks: list[Lock] = []
    try:
        for state in states:
            path = ledger_lock_path(config, state)
            locks.append(WriterLock.acquire(path, state, holder, wait))
        by_url: dict[str, list[str]] = {}
        for state in states:
            url = config.ledger_url(state)
            if not url.startswith("sqlite"):
                by_url.setdefault(url, []).append(state)
        for url, on_it in by_url.items():
            held = AdvisoryLock.acquire(url, [origin_for(state) for state in on_it])
            if isinstance(held, str):
                raise LedgerBusy(held.rsplit("/", 1)[-1], None)
            locks.append(held)
    except BaseException:
        for lock in locks:
            lock.release()
        raise
    return locks


def open_ledger(
    engine: Engine,
    keys_dir: Path,
    state: str,
    *,
    prefix: str = "",
    committer: Committer | None = None,
) -> tuple[Ledger, NodeKeys]:
    """A state's ledger with its keys (generated on first use): its tables in ``engine``'s
    database, under ``prefix`` when several ledgers share it, written through ``committer``
    when given (its own writer thread otherwise)."""
    store = SqlLedgerStore(engine, prefix)
    store.create_schema()
    keys = load_or_create(keys_dir, state)
    return Ledger(store, keys.signer, origin_for(state), committer=committer), keys


def open_state_ledger(
    config: Config, state: str, committer: Committer | None = None
) -> tuple[Ledger, NodeKeys]:
    """A state's ledger where the configuration puts it, with the node's keys (the caller
    holds its writer lock: :func:`lock_ledgers`)."""
    engine = open_ledger_engine(config, state)
    prefix = ledger_prefix(config, state)
    return open_ledger(engine, config.keys_dir / state, state, prefix=prefix, committer=committer)


def open_hub(config: Config) -> tuple[Engine, DirectoryStore, MessageLog]:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_engine(config.hub_url)
    directory = DirectoryStore(engine)
    directory.create_schema()
    log = MessageLog(engine)
    log.create_schema()
    return engine, directory, log


class _Hub:
    """The hub's directory and message log, open to read (oversight's ``Hub``)."""

    def __init__(self, directory: DirectoryStore, log: MessageLog) -> None:
        self._directory = directory
        self.log = log

    def agencies(self) -> dict[str, Agency]:
        return self._directory.snapshot()


class StoreSources:
    """Oversight's sources (:class:`stateline.oversight.ports.Sources`) where ``config`` puts
    the stores: each state's ledger, the hub's database, each node's accounts."""

    def __init__(self, config: Config) -> None:
        self.config = config

    @contextmanager
    def ledger(self, state: str) -> Iterator[tuple[SqlLedgerStore, SqlJournal]]:
        engine = open_ledger_engine(self.config, state)
        try:
            yield SqlLedgerStore(engine, ledger_prefix(self.config, state)), SqlJournal(engine)
        finally:
            engine.dispose()

    @contextmanager
    def hub(self) -> Iterator[_Hub]:
        engine, directory, log = open_hub(self.config)
        try:
            yield _Hub(directory, log)
        finally:
            log.close()
            engine.dispose()

    def roles(self, state: str) -> dict[str, str]:
        engine = open_node_engine(self.config, state)
        try:
            store = AccountStore(engine)
            store.create_schema()
            return {s.account.username: s.account.role.value for s in store.list_accounts()}
        except StorageError:
            return {}  # no accounts: reviews keep their reviewer, with no role
        finally:
            engine.dispose()


def load_directory(store: DirectoryStore) -> Directory:
    return Directory(store.snapshot(), store.credential_map())


def open_accounts(engine: Engine) -> AccountStore:
    """The staff accounts kept in a node's database ``engine``."""
    store = AccountStore(engine)
    store.create_schema()
    return store


def open_outbox(engine: Engine, ledger: Ledger) -> Outbox:
    """The notices outbox kept in a node's database ``engine``, audited in ``ledger``."""
    store = SqlNoticeStore(engine)
    store.create_schema()
    return Outbox(store, ledger.append, delays=delays_beside(store))


def open_node(
    state: str,
    engine: Engine,
    policy: CedarPolicy,
    ledger: Ledger,
    keys: NodeKeys,
    commits: GroupCommit,
    replies: LateReplies,
    *,
    redelivered: bool = False,
) -> StateNode:
    """A state's node over its database ``engine``: its records, its notices outbox and its
    review queue there, answering late through ``replies``. Call :func:`resume_node` once
    ``replies`` reaches the hub. ``redelivered``: its transport may bring a delivery again
    (JetStream), so it keeps its answers there to answer it once."""
    records = SqlRecordStore(engine)
    records.create_schema()
    outbox = open_outbox(engine, ledger)
    notices = NodeNotices(state, keys.subject_secret, policy, records, outbox)
    review_store = SqlReviewStore(engine)
    review_store.create_schema()
    hooks = NodeReview(
        state,
        keys.subject_secret,
        records,
        ledger,
        review_store.get,
        replies,
        notices=notices,
        commits=commits,
    )
    review = ReviewService(review_store, hooks.records, hooks, hooks.audit)
    deliveries = None
    if redelivered:
        deliveries = SqlDeliveryStore(engine)
        deliveries.create_schema()
    return StateNode(
        state,
        records,
        policy,
        ledger,
        keys.subject_secret,
        commits=commits,
        review=review,
        notices=notices,
        deliveries=deliveries,
    )


def resume_node(node: StateNode) -> None:
    """Finish what a node left half-done when it stopped: its notices first (finishing a
    review brings its notices up to date), then its reviews' audits and late replies."""
    if node.notices is not None:
        node.notices.outbox.resume()
    if node.review is not None:
        node.review.resume()


def watch_alerts(
    config: Config,
    nodes: dict[str, StateNode],
    engines: dict[str, Engine],
    watch: Watch,
    federal: FederalOris,
) -> None:
    """Have ``watch`` raise each node's abuse alerts, by the state's own settings file
    (docs/alerts.md), into the node's database, from the ledger's present size on."""
    for state, node in nodes.items():
        alerts = open_alerts(engines[state])
        detector = Detector(state, federal, read_settings(settings_path(config.data_dir, state)))
        watch.add(detector, alerts, node.ledger.store, node.ledger.size)
    watch.start()


def open_hub_witness(config: Config, engine: Engine) -> Observer:
    """The hub as a witness of every log: its cosigning key (``<data>/keys/hub``) and the
    checkpoints it cosigned, in the hub's database."""
    memory = WitnessMemory(engine)
    memory.create_schema()
    signer = load_or_create_witness(config.keys_dir / "hub", witness_name("hub"))
    return Observer("hub", signer, memory)


def freeze_heap() -> None:
    """Move everything built so far out of the garbage collector's view.

    A built exchange holds a large, long-lived heap (directories, policies, compiled
    statements); a full collection walking it stalls every request in flight for a tenth of a
    second. Frozen, collections only look at what requests allocate. Call it once, after
    :func:`build` and before serving.
    """
    gc.collect()
    gc.freeze()


def build(config: Config, holder: Holder | None = None, wait: float = 0.0) -> System:
    """Open every store and wire hub, transports and nodes together on the embedded default.

    The process becomes the one writer of every node's ledger (``holder`` says who it is); if
    another process writes one already, and has not let go within ``wait`` seconds, raises
    :class:`~stateline.ledger.lock.LedgerBusy` naming it, having opened nothing.
    """
    holder = holder or Holder.this_process("stateline")
    locks = lock_ledgers(config, config.states, holder, wait)
    try:
        return _build(config, locks)
    except BaseException:
        for lock in locks:
            lock.release()
        raise


def _build(config: Config, locks: list[Lock]) -> System:
    hub_engine, directory, log = open_hub(config)
    nodes: dict[str, StateNode] = {}
    engines: dict[str, Engine] = {}
    transports: dict[str, LocalTransport] = {}
    keys: dict[str, NodeKeys] = {}
    policies: dict[str, CedarPolicy] = {}  # one engine per bundle, shared by its states
    watch = Watch()
    commits = GroupCommit(observe=watch.feed)  # one group commit for every node of the process
    # The nodes answer late through the hub's exchange, which is built after them (it routes
    # to them); it is connected before any node resumes.
    late = Relay()
    # Ledgers in one database share its writer thread, so one commit serves them all.
    committers: dict[str, Committer] = {}
    for state in config.states:
        bundle = config.bundle_for(state)
        if bundle not in policies:
            policies[bundle] = CedarPolicy.load(bundle)
        engines[state] = open_node_engine(config, state)
        committer = None
        if ledger_shared(config):
            url = config.ledger_url(state)
            if url not in committers:
                database = SqlLedgerDatabase(open_ledger_engine(config, state))
                committers[url] = Committer(database, name="ledgers")
            committer = committers[url]
        ledger, keys[state] = open_state_ledger(config, state, committer)
        nodes[state] = open_node(
            state, engines[state], policies[bundle], ledger, keys[state], commits, late
        )
        transports[state] = LocalTransport(nodes[state])
    routes: dict[str, Transport] = dict(transports)
    generation = directory.generation()  # read first: a change meanwhile is taken next time
    documents = DocumentStore(hub_engine)  # attached documents survive a restart
    documents.create_schema()
    attachments = Attachments(documents)
    switch = Switch(
        load_directory(directory), routes, deadline=config.deadline, attachments=attachments
    )
    keeping = Keeping(timedelta(seconds=config.reply_ttl), timedelta(seconds=config.late_reply_ttl))
    exchange = Exchange(switch, log, keeping)
    late.connect(exchange)
    for node in nodes.values():
        resume_node(node)
    hub_witness = open_hub_witness(config, hub_engine)
    federal = FederalOris(lambda: switch.directory.agencies)
    watch_alerts(config, nodes, engines, watch, federal)
    return System(
        config,
        hub_engine,
        directory,
        log,
        nodes,
        engines,
        transports,
        exchange,
        keys,
        committers,
        hub_witness,
        locks,
        generation,
        watch,
    )
