"""The composition root: the one place that picks storage, transports and policies from config."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from stateline.config import Config
from stateline.hub.exchange import Exchange
from stateline.hub.mailbox import Mailbox
from stateline.hub.switch import Directory, Switch
from stateline.ledger.keys import NodeKeys
from stateline.ledger.log import open_ledger
from stateline.ledger.witnessing import Site, witness_round
from stateline.node.policy.decide import CedarPolicy
from stateline.node.review_service import ReviewService
from stateline.node.reviewed import NodeReview
from stateline.node.service import GroupCommit, StateNode
from stateline.storage.directory import DirectoryStore
from stateline.storage.engine import open_engine
from stateline.storage.messages import MessageLog
from stateline.storage.records import RecordStore
from stateline.storage.review import ReviewStore
from stateline.transport.base import Transport
from stateline.transport.local import LocalTransport


@dataclass
class System:
    """A running exchange: the hub's stores, the nodes, and the exchange service over them."""

    config: Config
    hub_engine: Engine
    directory: DirectoryStore
    log: MessageLog
    nodes: dict[str, StateNode]
    transports: dict[str, LocalTransport]
    exchange: Exchange
    keys: dict[str, NodeKeys]

    def witness_round(self, now: int) -> list[str]:
        """Every node publishes a checkpoint; the next state in the ring cosigns it."""
        sites = [Site(node.ledger, self.keys[state]) for state, node in self.nodes.items()]
        return witness_round(sites, now)

    def reload_directory(self) -> None:
        """Take agencies and credentials changed since start (suspensions, new tokens)."""
        self.exchange.switch.directory = load_directory(self.directory)

    def close(self) -> None:
        self.log.flush()
        self.hub_engine.dispose()
        for node in self.nodes.values():
            node.ledger.close()
            node.records.engine.dispose()


def open_node_engine(config: Config, state: str) -> Engine:
    """A node's database. PostgreSQL without ``{state}`` in the URL: one schema per node."""
    url = config.node_url(state)
    if url.startswith("sqlite"):
        (config.data_dir / "nodes").mkdir(parents=True, exist_ok=True)
        return open_engine(url)
    engine = open_engine(url)
    if config.node_database_url and "{state}" not in config.node_database_url:
        schema = f"node_{state.lower()}"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


def open_hub(config: Config) -> tuple[Engine, DirectoryStore, MessageLog]:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_engine(config.hub_url)
    directory = DirectoryStore(engine)
    directory.create_schema()
    log = MessageLog(engine)
    log.create_schema()
    return engine, directory, log


def load_directory(store: DirectoryStore) -> Directory:
    return Directory(store.snapshot(), store.credential_map())


def attach_review(node: StateNode, exchange: Exchange) -> ReviewService:
    """Give a node its review queue, answering through the exchange once a person decides."""
    store = ReviewStore(node.records.engine)
    store.create_schema()
    hooks = NodeReview(node, exchange)
    node.review = ReviewService(store, hooks.records, hooks, hooks.audit)
    node.review.resume()
    return node.review


def build(config: Config) -> System:
    """Open every store and wire hub, transports and nodes together on the embedded default."""
    hub_engine, directory, log = open_hub(config)
    nodes: dict[str, StateNode] = {}
    transports: dict[str, LocalTransport] = {}
    keys: dict[str, NodeKeys] = {}
    policies: dict[str, CedarPolicy] = {}  # one engine per bundle, shared by its states
    commits = GroupCommit()  # one group commit for every node of the process
    for state in config.states:
        bundle = config.bundle_for(state)
        if bundle not in policies:
            policies[bundle] = CedarPolicy.load(bundle)
        engine = open_node_engine(config, state)
        records = RecordStore(engine)
        records.create_schema()
        ledger, keys[state] = open_ledger(engine, config.keys_dir / state, state)
        nodes[state] = StateNode(
            state, records, policies[bundle], ledger, keys[state].subject_secret, commits=commits
        )
        transports[state] = LocalTransport(nodes[state])
    routes: dict[str, Transport] = dict(transports)
    switch = Switch(load_directory(directory), routes, deadline=config.deadline)
    exchange = Exchange(switch, log, Mailbox())
    for node in nodes.values():
        attach_review(node, exchange)
    return System(config, hub_engine, directory, log, nodes, transports, exchange, keys)
