"""The finite space of requests two bundles can be asked, enumerated to find where they differ.

The vocabulary is closed, so the space is finite, but its full product (12 agency types, every
set of 9 missions, 10 purposes, 9 kinds of process, ...) is far too large to walk. It is pruned
in two ways, both stated in ``policy diff``'s output:

- requesters are a catalogue of realistic profiles (``PROFILES``: ICE, HSI, CBP, the FBI, local
  police in and out of state, an officer acting for ICE, a court, DMVs, election offices, child
  welfare, a member of the public), each with and without the certification on file;
- a value that no policy of either bundle names (a purpose, a kind of process, a mode, a data
  class) cannot be told apart from another unnamed one, so one stands for all of them; the
  credential type is walked only if a bundle looks at the record, the notice-delay flag only if
  a bundle names it. Whether the process covers the class is walked whenever there is process.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import product

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.bundle import Bundle
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.model import (
    KNOWN_CREDENTIALS,
    Credential,
    Decision,
    DutyKind,
    LegalProcess,
    Mode,
    PolicyRequest,
    Purpose,
    Verdict,
)
from stateline.wire.grammar import MKE, DataClass


@dataclass(frozen=True, slots=True)
class Profile:
    """A kind of requester: its type, where it is from, its missions, whom it acts for."""

    label: str
    agency_type: AgencyType
    home: str  # "in" (the deciding state), "out" (another state) or "US"
    missions: frozenset[Mission]
    acting_for: frozenset[str] = frozenset()


def _m(*missions: Mission) -> frozenset[Mission]:
    return frozenset(missions)


_CLE, _IMM = Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.IMMIGRATION_ENFORCEMENT
_MVA = Mission.MOTOR_VEHICLE_ADMINISTRATION
_FOR_ICE = frozenset({_IMM.value})

PROFILES: tuple[Profile, ...] = (
    Profile("ICE ERO", AgencyType.FE, "US", _m(_IMM)),
    Profile("ICE HSI", AgencyType.FE, "US", _m(_IMM, _CLE)),
    Profile("CBP", AgencyType.FE, "US", _m(Mission.BORDER_CUSTOMS)),
    Profile("FBI", AgencyType.FE, "US", _m(_CLE)),
    Profile("police, in state", AgencyType.PD, "in", _m(_CLE, Mission.TRAFFIC_ENFORCEMENT)),
    Profile("police, other state", AgencyType.PD, "out", _m(_CLE, Mission.TRAFFIC_ENFORCEMENT)),
    Profile("officer for ICE, in state", AgencyType.SO, "in", _m(_CLE), frozenset({_IMM.value})),
    Profile(
        "officer for ICE, other state", AgencyType.SO, "out", _m(_CLE), frozenset({_IMM.value})
    ),
    Profile("court", AgencyType.JJ, "in", _m(Mission.NON_LAW_ENFORCEMENT)),
    Profile("DMV, in state", AgencyType.NJ, "in", _m(_MVA)),
    Profile("DMV, other state", AgencyType.NJ, "out", _m(_MVA)),
    Profile("elections, in state", AgencyType.NJ, "in", _m(Mission.ELECTIONS)),
    Profile("elections, other state", AgencyType.NJ, "out", _m(Mission.ELECTIONS)),
    Profile("child welfare, in state", AgencyType.NJ, "in", _m(Mission.CHILD_WELFARE)),
    Profile("member of the public", AgencyType.PU, "in", _m(Mission.PUBLIC)),
)


@dataclass(frozen=True, slots=True)
class Axis:
    """The values walked for one attribute, and the unnamed ones a representative stands for."""

    name: str
    values: tuple[str, ...]
    alike: tuple[str, ...] = ()  # unnamed values, all behaving as values[-1]


def _axis(name: str, all_values: Sequence[str], named: set[str], prefer: Sequence[str]) -> Axis:
    """The named values, then one unnamed value (the first of ``prefer`` that is unnamed)."""
    walked = [v for v in all_values if v in named]
    rest = [v for v in all_values if v not in named]
    if rest:
        walked.append(next((v for v in prefer if v in rest), rest[0]))
    return Axis(name, tuple(walked), tuple(rest))


def axes(a: Bundle, b: Bundle) -> dict[str, Axis]:
    """The pruned axes of the space two bundles are compared over."""
    literals = set(a.literals | b.literals)
    actions = set(a.action_refs | b.action_refs)
    sensitive = a.credential_sensitive or b.credential_sensitive
    credentials = [c.value for c in KNOWN_CREDENTIALS] if sensitive else [Credential.ANY.value]
    named_delay = any("notice_delay" in bundle.text for bundle in (a, b))
    return {
        "purpose": _axis(
            "purpose", [p.value for p in Purpose], literals, ["criminal-investigation"]
        ),
        "process": _axis("process", [p.value for p in LegalProcess], literals, ["none"]),
        "mode": _axis("mode", [m.value for m in Mode], actions, ["single"]),
        "data": _axis("data", [c.value for c in DataClass], actions, []),
        "credential": Axis("credential", tuple(credentials)),
        "notice_delay": Axis("notice_delay", ("false", "true") if named_delay else ("false",)),
    }


def _other_state(state: str) -> str:
    return "NE" if state == "KS" else "KS"


def requests(a: Bundle, b: Bundle, state: str) -> Iterator[tuple[Profile, PolicyRequest]]:
    """Every request of the pruned space, with the profile it was built from."""
    space = axes(a, b)
    data = frozenset(DataClass(v) for v in space["data"].values)
    for index, profile in enumerate(PROFILES):
        home = {"in": state, "out": _other_state(state), "US": "US"}[profile.home]
        agency = Agency(
            f"XX{index:07d}", profile.label, profile.agency_type, home, profile.missions
        )
        for certified, mode, purpose, process, credential, delay in product(
            (False, True),
            space["mode"].values,
            space["purpose"].values,
            space["process"].values,
            space["credential"].values,
            space["notice_delay"].values,
        ):
            covers: tuple[frozenset[DataClass] | None, ...] = (
                (None,) if process == LegalProcess.NONE else (None, frozenset())
            )
            for covered in covers:
                yield (
                    profile,
                    PolicyRequest(
                        state=state,
                        mke=MKE.DQ,
                        requester=agency,
                        requested=data,
                        acting_for_missions=profile.acting_for,
                        mode=Mode(mode),
                        purpose=Purpose(purpose),
                        legal_process=LegalProcess(process),
                        legal_process_covers=covered,
                        certification_on_file=certified,
                        notice_delay_requested=delay == "true",
                        subject_credential=Credential(credential),
                    ),
                )


@dataclass(frozen=True, slots=True)
class Difference:
    """One request whose answer differs: the classes whose verdict changed, and the duties."""

    profile: Profile
    request: PolicyRequest
    classes: tuple[tuple[DataClass, Verdict, Verdict], ...]
    duties: tuple[frozenset[DutyKind], frozenset[DutyKind]] | None


def _verdicts(decision: Decision) -> dict[DataClass, Verdict]:
    return {c.data_class: c.verdict for c in decision.classes}


def diff(
    a: Bundle, b: Bundle, state: str, duties: bool = False, batch: int = 2000
) -> Iterator[Difference]:
    """Every request of the pruned space whose per-class verdicts (or duties) differ."""
    policy_a, policy_b = CedarPolicy(a, cache_size=0), CedarPolicy(b, cache_size=0)
    pending: list[tuple[Profile, PolicyRequest]] = []

    def flush() -> Iterator[Difference]:
        reqs = [r for _, r in pending]
        for (profile, request), da, db in zip(
            pending, policy_a.decide_many(reqs), policy_b.decide_many(reqs), strict=True
        ):
            va, vb = _verdicts(da), _verdicts(db)
            changed = tuple((c, va[c], vb[c]) for c in DataClass if c in va and va[c] != vb[c])
            ka = frozenset(d.duty for d in da.duties)
            kb = frozenset(d.duty for d in db.duties)
            duty_change = (ka, kb) if duties and ka != kb else None
            if changed or duty_change:
                yield Difference(profile, request, changed, duty_change)
        pending.clear()

    for item in requests(a, b, state):
        pending.append(item)
        if len(pending) >= batch:
            yield from flush()
    if pending:
        yield from flush()


AXES = ("requester", "certified", "mode", "purpose", "process", "covers", "credential", "delay")
"""The attributes a region of differing requests is described by, in display order."""


@dataclass(frozen=True, slots=True)
class Region:
    """A set of requests, one set of values per axis, whose answers all differ the same way."""

    values: tuple[frozenset[str], ...]  # per AXES
    classes: tuple[tuple[DataClass, Verdict, Verdict], ...]
    duties: tuple[frozenset[DutyKind], frozenset[DutyKind]] | None

    def axis(self, name: str) -> frozenset[str]:
        return self.values[AXES.index(name)]


def point(difference: Difference) -> tuple[str, ...]:
    """A difference's request as one value per axis."""
    request = difference.request
    return (
        difference.profile.label,
        "yes" if request.certification_on_file else "no",
        request.mode.value,
        request.purpose.value,
        request.legal_process.value,
        "-"
        if request.legal_process is LegalProcess.NONE
        else ("all" if request.legal_process_covers is None else "none"),
        request.subject_credential.value,
        "yes" if request.notice_delay_requested else "no",
    )


def regions(differences: Sequence[Difference]) -> list[Region]:
    """Merge differences into as few exact regions as a greedy pass finds.

    Two regions that differ the same way and agree on every axis but one become one region
    whose set on that axis is the union; repeated until nothing merges, so every region is a
    product of its sets and contains only requests that really differ.
    """
    rows = list(
        dict.fromkeys(
            Region(tuple(frozenset({v}) for v in point(d)), d.classes, d.duties)
            for d in differences
        )
    )
    changed = True
    while changed:
        changed = False
        for axis in range(len(AXES)):
            groups: dict[object, list[Region]] = {}
            for row in rows:
                rest = (*row.values[:axis], *row.values[axis + 1 :])
                groups.setdefault((rest, row.classes, row.duties), []).append(row)
            merged: list[Region] = []
            for members in groups.values():
                first = members[0]
                if len(members) > 1:
                    changed = True
                union = frozenset().union(*(m.values[axis] for m in members))
                values = (*first.values[:axis], union, *first.values[axis + 1 :])
                merged.append(Region(values, first.classes, first.duties))
            rows = merged
    return rows
