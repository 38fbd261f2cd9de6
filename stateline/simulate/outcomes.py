"""Deciding each distinct combination of request attributes once, with the real Cedar bundles.

A decision depends on the request's facts, never on the person asked about, so a year of
queries holds only so many distinct questions. A combination is the ``KEY`` columns, in the
form the replay's group-by gives them: the requester's home as ``in`` (the state asked),
``out`` or ``US`` unless the state's bundle names a state code, the subject's credential as
``any`` unless the bundle looks at the record, the ORI empty unless the bundle names one.
Where a bundle looks neither at the record nor at any state code, equal facts asked of
different states are one question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from stateline.directory.model import FEDERAL, Agency, AgencyType, Mission
from stateline.node.policy.bundle import Bundle
from stateline.node.policy.model import (
    Credential,
    DutyKind,
    LegalProcess,
    Mode,
    PolicyRequest,
    Purpose,
)
from stateline.node.query import REQUESTED
from stateline.simulate.laws import Laws
from stateline.wire.grammar import MKE, REGION_CODES, US_STATES, DataClass

KEY = (
    "state",
    "agency_type",
    "home",
    "missions",
    "acting_for",
    "certified",
    "mke",
    "partial",
    "photo",
    "purpose",
    "process",
    "scope",
    "notice_delay",
    "credential",
    "ori",
)
"""The columns a combination of attributes is made of, in the group-by's order."""

Key = tuple[str, str, str, str, str, bool, str, bool, bool, str, str, str, bool, str, str]


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """What each state's bundle can tell apart: the record (so the subject's credential), the
    state codes its policies name (a requester from one of them keeps its home), a requester's
    ORI."""

    record: frozenset[str]
    places: Mapping[str, frozenset[str]]  # by state: the codes its bundle names, if any
    requester: frozenset[str]


def _places(bundle: Bundle, state: str) -> frozenset[str]:
    # A literal that is a region code may be one (or an agency type that spells one, as NJ
    # does): keeping such a home apart costs a few more combinations and is never wrong.
    return frozenset(bundle.literals & REGION_CODES) - {state, FEDERAL}


def sensitivity(laws: Laws) -> Sensitivity:
    """What each state's bundle can tell apart, so the group-by keeps only what matters."""
    bundles = {state: laws.policy_for(state).bundle for state in laws.by_state}
    return Sensitivity(
        record=frozenset(s for s, b in bundles.items() if b.credential_sensitive),
        places={s: p for s, b in bundles.items() if (p := _places(b, s))},
        requester=frozenset(s for s, b in bundles.items() if b.names_requester),
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a combination's decision comes to: its outcome and what it sets in motion."""

    outcome: str  # release, release-redacted, deny or review
    notify: bool  # the subject is owed a notice
    counsel: bool  # a held request goes to the state's legal counsel


def _other_state(state: str, named: frozenset[str]) -> str:
    """A state that is not ``state`` and that no policy of its bundle names."""
    return next(code for code in US_STATES if code != state and code not in named)


def request_for(key: Key, named: frozenset[str] = frozenset()) -> PolicyRequest:
    """The policy's facts for one combination; ``named`` are the codes the bundle names."""
    (state, agency_type, home, missions, acting_for, certified, mke, partial, photo,
     purpose, process, scope, delay, credential, ori) = key  # fmt: skip
    home_state = {"in": state, "out": _other_state(state, named), FEDERAL: FEDERAL}.get(home, home)
    requester = Agency(
        ori or "XX0000000",
        "simulated requester",
        AgencyType(agency_type),
        home_state,
        frozenset(Mission(m) for m in missions.split(",") if m),
    )
    key_mke = MKE(mke)
    return PolicyRequest(
        state=state,
        mke=key_mke,
        requester=requester,
        photo_requested=photo,
        requested=REQUESTED[key_mke] | (frozenset({DataClass.PHOTO}) if photo else frozenset()),
        acting_for_missions=frozenset({acting_for}) if acting_for else frozenset(),
        mode=Mode.PARTIAL_PLATE if partial else Mode.SINGLE,
        purpose=Purpose(purpose),
        legal_process=LegalProcess(process),
        legal_process_covers=frozenset({DataClass(scope)}) if scope else None,
        certification_on_file=certified,
        notice_delay_requested=delay,
        subject_credential=Credential(credential),
    )


def _question(key: Key, laws: Laws, sense: Sensitivity) -> tuple[object, ...]:
    """The key under which equal questions to one bundle are decided once."""
    state = key[0]
    keeps_state = state in sense.record or state in sense.places
    return (laws.by_state[state], state if keeps_state else "", *key[1:])


def decide(keys: Sequence[Key], laws: Laws, batch: int = 4096) -> list[Verdict]:
    """The verdict of each combination, deciding each distinct question once."""
    sense = sensitivity(laws)
    questions = [_question(key, laws, sense) for key in keys]
    first: dict[tuple[object, ...], Key] = {}
    for question, key in zip(questions, keys, strict=True):
        first.setdefault(question, key)
    answers: dict[tuple[object, ...], Verdict] = {}
    by_bundle: dict[str, list[tuple[tuple[object, ...], Key]]] = {}
    for question, key in first.items():
        by_bundle.setdefault(laws.by_state[key[0]], []).append((question, key))
    for name, todo in by_bundle.items():
        policy = laws.loaded[name]
        for at in range(0, len(todo), batch):
            chunk = todo[at : at + batch]
            requests = [request_for(key, sense.places.get(key[0], frozenset())) for _, key in chunk]
            decisions = policy.decide_many(requests)
            for (question, _), decision in zip(chunk, decisions, strict=True):
                kinds = {d.duty for d in decision.duties}
                answers[question] = Verdict(
                    decision.outcome.value,
                    DutyKind.NOTIFY_SUBJECT in kinds,
                    DutyKind.ESCALATE_COUNSEL in kinds,
                )
    return [answers[q] for q in questions]


def distinct_questions(keys: Iterable[Key], laws: Laws) -> int:
    """How many distinct questions ``keys`` ask of the bundles (for the report)."""
    sense = sensitivity(laws)
    return len({_question(key, laws, sense) for key in keys})
