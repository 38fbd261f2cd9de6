"""What oversight reads, as protocols it owns: each state's ledger, the hub's directory and
message log, and each node's console accounts.

Oversight reads the stores a serving exchange writes, and writes none of them. ``stateline.
bootstrap`` opens them where the configuration puts them (:class:`~stateline.bootstrap.
StoreSources`); a report, a reconciliation or a public release is handed a :class:`Sources`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from stateline.directory.model import Agency
from stateline.ledger.ports import Journal, LedgerStore


class Answered(Protocol):
    """A node's answer the hub logged: which message, from which state, the answer's hash."""

    @property
    def message_id(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def answer_sha256(self) -> str: ...


class Routed(Protocol):
    """A message the hub logged, as far as oversight asks: where it was sent."""

    @property
    def destinations(self) -> str: ...


class MessageLog(Protocol):
    """The hub's message log, read."""

    def answered(self) -> Iterator[Sequence[Answered]]:
        """Every answer logged, a batch at a time."""
        ...

    def answers_to(self, message_ids: Sequence[str]) -> Sequence[Answered]:
        """Every answer logged to these messages."""
        ...

    def routed(self, message_ids: Sequence[str]) -> Mapping[str, Routed]:
        """These messages' records, by id (those the log holds)."""
        ...


class Hub(Protocol):
    """The hub's stores, opened to read."""

    def agencies(self) -> dict[str, Agency]:
        """The directory as it stands, by ORI."""
        ...

    @property
    def log(self) -> MessageLog: ...


class Sources(Protocol):
    """Where oversight reads from. Each context closes what it opened."""

    def ledger(self, state: str) -> AbstractContextManager[tuple[LedgerStore, Journal]]:
        """``state``'s ledger: its tables and the journal beside them."""
        ...

    def hub(self) -> AbstractContextManager[Hub]: ...

    def roles(self, state: str) -> dict[str, str]:
        """Each console account of ``state``'s node and its role (none: no accounts)."""
        ...
