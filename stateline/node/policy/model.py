"""The facts a policy decides on, the decision it returns, and the interface every policy meets."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from stateline.directory.model import Agency
from stateline.wire.grammar import MKE, DataClass


class Outcome(StrEnum):
    """What happens to a request as a whole."""

    RELEASE = "release"
    WITHHOLD = "withhold"  # release, with some data classes withheld
    DENY = "deny"
    REVIEW = "review"  # hold for a person to review


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """Everything a policy may know about a request, and nothing read from the records."""

    state: str
    mke: MKE
    requester: Agency
    reason_code: str | None = None  # RSN/
    purpose_code: str | None = None  # PUR/
    attention: str | None = None  # ATN/
    photo_requested: bool = False
    requested: frozenset[DataClass] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's answer: the outcome, the classes released and withheld, and why."""

    outcome: Outcome
    released: frozenset[DataClass]
    withheld: frozenset[DataClass] = frozenset()
    policy_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @classmethod
    def deny(cls, reason: str, *policy_ids: str) -> Decision:
        return cls(Outcome.DENY, frozenset(), policy_ids=policy_ids, reasons=(reason,))


class Policy(Protocol):
    """A state's policy decision point: one request in, one decision out."""

    def decide(self, request: PolicyRequest) -> Decision: ...
