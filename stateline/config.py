"""Settings: where the data lives, which databases to use, and the exchange's knobs.

Every setting has an embedded default (one data directory of SQLite files) and can be set from
the environment: ``STATELINE_DATA``, ``STATELINE_DATABASE_URL`` (the hub's database),
``STATELINE_NODE_DATABASE_URL`` (the nodes'; ``{state}`` in it is replaced by the state code,
and a PostgreSQL URL without it gives each node its own schema), ``STATELINE_LEDGER_DATABASE_URL``
(the nodes' audit ledgers; by default beside the records on a configured node database, and
one shared ``ledgers.sqlite`` on the embedded default), ``STATELINE_DEADLINE``
(seconds a multi-state query waits), ``STATELINE_POLICY`` (which policy bundle each node
loads), ``STATELINE_REPLY_TTL`` and ``STATELINE_LATE_REPLY_TTL`` (how long the hub keeps
replies). docs/configuration.md lists them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stateline.wire.grammar import US_STATES


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path = Path("stateline-data")
    database_url: str | None = None
    node_database_url: str | None = None
    ledger_database_url: str | None = None
    deadline: float = 60.0
    states: tuple[str, ...] = field(default_factory=lambda: tuple(US_STATES))
    policy: str = "status-quo"
    checkpoint_interval: float = 300.0
    review_interval: float = 60.0  # seconds between escalations of overdue held requests
    reply_ttl: float = 3600.0  # seconds the hub keeps replies sent at once (for a retry)
    late_reply_ttl: float = 7 * 86400.0  # seconds it keeps late replies and AMs to be fetched

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Config:
        env = os.environ
        return cls(
            data_dir=data_dir or Path(env.get("STATELINE_DATA", "stateline-data")),
            database_url=env.get("STATELINE_DATABASE_URL") or None,
            node_database_url=env.get("STATELINE_NODE_DATABASE_URL") or None,
            ledger_database_url=env.get("STATELINE_LEDGER_DATABASE_URL") or None,
            deadline=float(env.get("STATELINE_DEADLINE", "60")),
            policy=env.get("STATELINE_POLICY", "status-quo"),
            checkpoint_interval=float(env.get("STATELINE_CHECKPOINT_INTERVAL", "300")),
            review_interval=float(env.get("STATELINE_REVIEW_INTERVAL", "60")),
            reply_ttl=float(env.get("STATELINE_REPLY_TTL", "3600")),
            late_reply_ttl=float(env.get("STATELINE_LATE_REPLY_TTL", str(7 * 86400))),
        )

    @property
    def hub_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hub.sqlite'}"

    def node_url(self, state: str) -> str:
        if self.node_database_url:
            return self.node_database_url.replace("{state}", state.lower())
        return f"sqlite:///{self.data_dir / 'nodes' / f'{state}.sqlite'}"

    @property
    def ledger_template(self) -> str:
        """The ledgers' database URL, ``{state}`` standing for a state code where each ledger
        has a database of its own.

        On the embedded default every node's ledger shares ``ledgers.sqlite``, each under its
        own table names: one commit, one fsync, then makes a burst of answers durable across
        states. A node running on its own (a ``{state}`` URL) keeps its ledger to itself.
        """
        if self.ledger_database_url:
            return self.ledger_database_url
        if self.node_database_url:
            return self.node_database_url
        return f"sqlite:///{self.data_dir / 'ledgers.sqlite'}"

    def ledger_url(self, state: str) -> str:
        return self.ledger_template.replace("{state}", state.lower())

    def bundle_for(self, state: str) -> str:
        """The policy bundle a state's node loads.

        ``policy`` is ``status-quo`` (every state, today's practice), ``statute`` (each state's
        own statute bundle where Stateline has one, else the status quo), or a list such as
        ``NY=ny,WA=wa`` (named states take those bundles, the rest the status quo).
        """
        if self.policy == "statute":
            from stateline.node.policy.bundle import bundle_for_state

            return bundle_for_state(state)
        if "=" in self.policy:
            chosen = dict(item.split("=", 1) for item in self.policy.split(",") if "=" in item)
            return chosen.get(state, "status-quo")
        return self.policy

    @property
    def keys_dir(self) -> Path:
        """Each node's signing keys and subject secret, one folder per state, mode 0700."""
        return self.data_dir / "keys"

    @property
    def credentials_file(self) -> Path:
        """Where the demo keeps the agencies' tokens (mode 0600): a demo convenience only."""
        return self.data_dir / "credentials.json"
