"""Settings: where the data lives, which databases to use, and the exchange's knobs.

Every setting has an embedded default (one data directory of SQLite files). A TOML file named by
``STATELINE_CONFIG`` may set any of them, and the environment overrides the file:
``STATELINE_DATA``, ``STATELINE_DATABASE_URL`` (the hub's database),
``STATELINE_NODE_DATABASE_URL`` (the nodes'; ``{state}`` in it is replaced by the state code,
and a PostgreSQL URL without it gives each node its own schema), ``STATELINE_LEDGER_DATABASE_URL``
(the nodes' audit ledgers; by default beside the records on a configured node database, and
one shared ``ledgers.sqlite`` on the embedded default), ``STATELINE_STATES`` (the nodes this
process serves), ``STATELINE_DEADLINE`` (seconds a multi-state query waits),
``STATELINE_POLICY`` (which policy bundle each node loads), ``STATELINE_REPLY_TTL`` and
``STATELINE_LATE_REPLY_TTL`` (how long the hub keeps replies). An unknown key or a value that
is not what its setting takes is a :class:`ConfigError` naming it, before anything starts.
docs/configuration.md lists them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from stateline.wire.grammar import US_STATES

FILE = "STATELINE_CONFIG"
"""The environment variable naming the configuration file."""


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and says why, in one line."""


Number = TypeVar("Number", int, float)


def positive(name: str, raw: object, kind: type[Number]) -> Number:
    """``raw`` (a string from the environment, or a file's value) as a number above 0."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ConfigError(f"{name} must be a number, not {raw!r}")
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, not {raw!r}")
    return value


def _text(name: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{name} must be a non-empty string, not {raw!r}")
    return raw.strip()


def _states(name: str, raw: object) -> tuple[str, ...]:
    listed = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(listed, list | tuple) or not all(isinstance(s, str) for s in listed):
        raise ConfigError(f"{name} must list state codes, such as NY,CA, not {raw!r}")
    codes = tuple(dict.fromkeys(s.strip().upper() for s in listed if s.strip()))
    unknown = [code for code in codes if code not in US_STATES]
    if unknown or not codes:
        named = ", ".join(unknown) if unknown else repr(raw)
        raise ConfigError(f"{name} names no state or an unknown one: {named}")
    return codes


_READ: dict[str, tuple[str, Callable[[str, object], Any]]] = {
    "data_dir": ("STATELINE_DATA", lambda n, r: Path(_text(n, r))),
    "database_url": ("STATELINE_DATABASE_URL", _text),
    "node_database_url": ("STATELINE_NODE_DATABASE_URL", _text),
    "ledger_database_url": ("STATELINE_LEDGER_DATABASE_URL", _text),
    "deadline": ("STATELINE_DEADLINE", lambda n, r: positive(n, r, float)),
    "states": ("STATELINE_STATES", _states),
    "policy": ("STATELINE_POLICY", _text),
    "checkpoint_interval": ("STATELINE_CHECKPOINT_INTERVAL", lambda n, r: positive(n, r, float)),
    "review_interval": ("STATELINE_REVIEW_INTERVAL", lambda n, r: positive(n, r, float)),
    "reply_ttl": ("STATELINE_REPLY_TTL", lambda n, r: positive(n, r, float)),
    "late_reply_ttl": ("STATELINE_LATE_REPLY_TTL", lambda n, r: positive(n, r, float)),
}
"""Each setting: the environment variable that sets it, and how its value is read."""


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
    def from_env(
        cls, data_dir: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Config:
        """The settings: the defaults, then the file ``STATELINE_CONFIG`` names, then the
        environment, then ``data_dir`` (a command's ``--data``). Raises :class:`ConfigError`."""
        env = os.environ if environ is None else environ
        document: dict[str, Any] = {}
        if env.get(FILE):
            document = read_file(Path(env[FILE]))
        config = settings(document, env)
        return config if data_dir is None else replace(config, data_dir=data_dir)

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


def read_file(path: Path) -> dict[str, Any]:
    """A configuration file's settings, as TOML; raises :class:`ConfigError` naming the file."""
    try:
        return tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read the configuration file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the configuration file {path} is not TOML: {error}") from None


def settings(document: Mapping[str, Any], environ: Mapping[str, str]) -> Config:
    """The settings a file's ``document`` and the environment give, over the defaults: pure,
    and strict (an unknown key, or a value a setting cannot take, is a :class:`ConfigError`)."""
    unknown = sorted(set(document) - set(_READ))
    if unknown:
        known = ", ".join(sorted(_READ))
        raise ConfigError(f"unknown setting {', '.join(unknown)} in the file (known: {known})")
    chosen: dict[str, Any] = {}
    for key, (variable, read) in _READ.items():
        if environ.get(variable):
            chosen[key] = read(variable, environ[variable])
        elif key in document:
            chosen[key] = read(key, document[key])
    return Config(**chosen)
