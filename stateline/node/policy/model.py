"""The facts a policy decides on, the decision it returns, and the interface every policy meets."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from stateline.directory.model import Agency
from stateline.wire.grammar import MKE, DataClass

# The purpose and legal-process vocabularies travel on the wire (PRP/, LPK/), so the wire
# defines them; the policy names them from here as it always has.
from stateline.wire.vocabulary import LegalProcess as LegalProcess
from stateline.wire.vocabulary import Purpose as Purpose


class Outcome(StrEnum):
    """What happens to a request as a whole; the values are the scenario vocabulary's."""

    RELEASE = "release"
    WITHHOLD = "release-redacted"  # release, with some data classes withheld
    RELEASE_REDACTED = "release-redacted"  # the scenario name for WITHHOLD (an alias)
    DENY = "deny"
    REVIEW = "review"  # hold for a person to review; nothing is released yet


class Verdict(StrEnum):
    """What happens to one data class of a request."""

    RELEASE = "release"
    DENY = "deny"
    REVIEW = "review"


class Mode(StrEnum):
    """How the subject is found: one by identifiers, many, a wildcard plate, or a face probe."""

    SINGLE = "single"
    BULK = "bulk"
    PARTIAL_PLATE = "partial-plate"
    FACE_SEARCH = "face-search"


class Credential(StrEnum):
    """The subject's credential type; ``any`` when it is not known (yet)."""

    REAL_ID = "real-id"
    STANDARD = "standard"
    DRIVER_PRIVILEGE_CARD = "driver-privilege-card"
    ANY = "any"


KNOWN_CREDENTIALS = (Credential.REAL_ID, Credential.STANDARD, Credential.DRIVER_PRIVILEGE_CARD)
"""The credential types a record can hold; ``any`` stands for all of them at once."""


class DutyKind(StrEnum):
    """A duty the law attaches to a request (scenario vocabulary)."""

    LOG = "log"
    NOTIFY_SUBJECT = "notify-subject"
    ANNUAL_REPORT = "annual-report"
    ESCALATE_COUNSEL = "escalate-counsel"


@dataclass(frozen=True, slots=True)
class Duty:
    """One duty: notify the subject within ``within_days`` (business days if so), count, ..."""

    duty: DutyKind
    within_days: int | None = None
    business_days: bool = False
    policy_id: str | None = None  # the @id of the policy that attached it, if any

    def as_json(self) -> dict[str, object]:
        """The scenario form: ``{"duty": ..., "within_days": ..., "business_days": true}``."""
        out: dict[str, object] = {"duty": self.duty.value}
        if self.within_days is not None:
            out["within_days"] = self.within_days
        if self.business_days:
            out["business_days"] = True
        return out


LOG = Duty(DutyKind.LOG)
"""Every request is logged, whatever its outcome."""


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """Everything a policy may know about a request, and nothing read from the records.

    The fields after ``requested`` are the scenario vocabulary's facts; their defaults describe
    a query that carries none of them (no stated purpose, no legal process, no certification,
    the subject's credential not yet known), so code that predates them keeps working.
    """

    state: str
    mke: MKE
    requester: Agency
    reason_code: str | None = None  # RSN/
    purpose_code: str | None = None  # PUR/
    attention: str | None = None  # ATN/
    photo_requested: bool = False
    requested: frozenset[DataClass] = field(default_factory=frozenset)
    acting_for_missions: frozenset[str] = frozenset()  # Mission values
    mode: Mode = Mode.SINGLE
    purpose: Purpose = Purpose.UNSTATED
    legal_process: LegalProcess = LegalProcess.NONE
    legal_process_covers: frozenset[DataClass] | None = None  # None: the whole request
    certification_on_file: bool = False
    notice_delay_requested: bool = False
    subject_credential: Credential = Credential.ANY

    def covers(self, data_class: DataClass) -> bool:
        """True if the legal process names ``data_class`` (or names no classes at all)."""
        return self.legal_process_covers is None or data_class in self.legal_process_covers


@dataclass(frozen=True, slots=True)
class ClassDecision:
    """The verdict on one data class and the ``@id`` of each policy that decided it."""

    data_class: DataClass
    verdict: Verdict
    policy_ids: tuple[str, ...] = ()
    review: tuple[str, ...] = ()  # the @review reasons of the deciding policies
    escalate: bool = False  # a deciding review policy sends it to the state's legal counsel
    error: bool = False  # a policy failed to evaluate: denied, fail closed


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's answer: the outcome, the classes released and withheld, why, and the duties.

    On ``review`` nothing is released yet: ``held`` names the classes a person must decide and
    ``withheld`` every requested class. ``depends_on_credential`` is true when the answer for
    some class differs between credential types and the request did not say which one the
    subject holds; the node then decides again once it knows (docs/policy.md).
    """

    outcome: Outcome
    released: frozenset[DataClass]
    withheld: frozenset[DataClass] = frozenset()
    policy_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    duties: tuple[Duty, ...] = (LOG,)
    classes: tuple[ClassDecision, ...] = ()
    held: frozenset[DataClass] = frozenset()
    depends_on_credential: bool = False

    @classmethod
    def deny(cls, reason: str, *policy_ids: str) -> Decision:
        return cls(Outcome.DENY, frozenset(), policy_ids=policy_ids, reasons=(reason,))


class Policy(Protocol):
    """A state's policy decision point: one request in, one decision out."""

    def decide(self, request: PolicyRequest) -> Decision: ...
