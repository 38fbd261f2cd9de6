"""What a refused request lacks: the facts that, added alone, would release what was denied.

The answer comes from the state's own policy, asked again with one fact changed at a time: a
stated purpose, the use certification on file, a kind of legal process, a legal process naming
every class. A fact that turns a denied class into a release is missing for that class. No state
is named here and no policy is read as text, so every bundle, the shipped ones and a state's
own, explains its denials the same way. Classes no single change releases (a state that never
opens them) get no line: nothing the requester could add would help.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from stateline.node.policy.model import (
    Decision,
    LegalProcess,
    Outcome,
    Policy,
    PolicyRequest,
    Purpose,
    Verdict,
)
from stateline.wire.grammar import DataClass

_STATED = tuple(p for p in Purpose if p is not Purpose.UNSTATED)
_KINDS = tuple(k for k in LegalProcess if k is not LegalProcess.NONE)
_ORDER = {data_class: index for index, data_class in enumerate(DataClass)}


class Lack(StrEnum):
    """A fact a request did not carry (or carried short) that the state's law asks for."""

    PURPOSE = "purpose"  # no stated purpose (PRP/)
    CERTIFICATION = "certification"  # no current use certification on file with the state
    PURPOSE_AND_CERTIFICATION = "purpose-and-certification"  # both, where neither alone does
    LEGAL_PROCESS = "legal-process"  # no legal process, or one of a kind that does not open it
    COVERAGE = "coverage"  # the legal process does not name the class (LPS/)


Option = Purpose | LegalProcess


@dataclass(frozen=True, slots=True)
class Missing:
    """One lack and the denied classes it alone would release (or, with ``review``, have a
    person in the state decide); for a purpose or a legal process, the values that would, in
    vocabulary order."""

    lack: Lack
    classes: frozenset[DataClass]
    options: tuple[Option, ...] = ()
    review: bool = False


def denied_classes(decision: Decision) -> frozenset[DataClass]:
    """The classes a decision denied outright: neither released, nor held, nor lost to a policy
    error (an error is the operator's to fix, not something the requester lacks)."""
    if decision.outcome not in (Outcome.DENY, Outcome.WITHHOLD):
        return frozenset()
    if decision.classes:
        return frozenset(
            c.data_class for c in decision.classes if c.verdict is Verdict.DENY and not c.error
        )
    return decision.withheld - decision.held


def _trials(request: PolicyRequest) -> list[tuple[Lack, Option | None, PolicyRequest]]:
    """Each change worth asking the policy about, with the lack it stands for.

    A purpose is tried only where none was stated: suggesting another purpose than the one the
    requester gave would invite a false one. A legal process of another kind keeps the classes
    the request's process names, so that a kind and a scope are never blamed for each other.
    """
    trials: list[tuple[Lack, Option | None, PolicyRequest]] = []
    uncertified = not request.certification_on_file
    if request.purpose is Purpose.UNSTATED:
        for purpose in _STATED:
            trials.append((Lack.PURPOSE, purpose, replace(request, purpose=purpose)))
            if uncertified:
                both = replace(request, purpose=purpose, certification_on_file=True)
                trials.append((Lack.PURPOSE_AND_CERTIFICATION, purpose, both))
    if uncertified:
        trials.append((Lack.CERTIFICATION, None, replace(request, certification_on_file=True)))
    for kind in _KINDS:
        if kind is not request.legal_process:
            trials.append((Lack.LEGAL_PROCESS, kind, replace(request, legal_process=kind)))
    if request.legal_process is not LegalProcess.NONE and request.legal_process_covers is not None:
        trials.append((Lack.COVERAGE, None, replace(request, legal_process_covers=None)))
    return trials


def _verdicts(decision: Decision) -> dict[DataClass, Verdict]:
    if decision.classes:
        return {c.data_class: c.verdict for c in decision.classes}
    verdicts = dict.fromkeys(decision.held, Verdict.REVIEW)
    return verdicts | dict.fromkeys(decision.released, Verdict.RELEASE)


def missing(policy: Policy, request: PolicyRequest, decision: Decision) -> tuple[Missing, ...]:
    """What ``request`` lacks for the classes ``decision`` (the policy's own) denied."""
    denied = denied_classes(decision)
    if not denied:
        return ()
    # Each class is decided on its own, so asking about the denied ones alone gives the same
    # answers for them at a fraction of the cost.
    asked = replace(request, requested=denied)
    # lack -> class -> verdict it would get -> the options that give it (None: no option)
    opened: dict[Lack, dict[DataClass, dict[Verdict, list[Option | None]]]] = {
        lack: {} for lack in Lack
    }
    for lack, option, trial in _trials(asked):
        for data_class, verdict in _verdicts(policy.decide(trial)).items():
            if data_class in denied and verdict is not Verdict.DENY:
                by_verdict = opened[lack].setdefault(data_class, {})
                by_verdict.setdefault(verdict, []).append(option)
    # Both together count only where neither alone would do.
    for single in (Lack.PURPOSE, Lack.CERTIFICATION):
        for data_class, by_verdict in opened[single].items():
            for verdict in by_verdict:
                opened[Lack.PURPOSE_AND_CERTIFICATION].get(data_class, {}).pop(verdict, None)
    items: list[Missing] = []
    for lack in Lack:
        for verdict in (Verdict.RELEASE, Verdict.REVIEW):
            groups: dict[tuple[Option, ...], set[DataClass]] = {}
            for data_class in _sorted(opened[lack]):
                given = opened[lack][data_class].get(verdict)
                if given is not None:
                    options = tuple(o for o in given if o is not None)
                    groups.setdefault(options, set()).add(data_class)
            review = verdict is Verdict.REVIEW
            items += [Missing(lack, frozenset(c), opts, review) for opts, c in groups.items()]
    return tuple(items)


def _sorted(classes: Iterable[DataClass]) -> list[DataClass]:
    return sorted(classes, key=_ORDER.__getitem__)


def _names(classes: Iterable[DataClass]) -> str:
    return ", ".join(c.value.upper() for c in _sorted(classes))


def _words(value: str) -> str:
    return value.replace("-", " ").upper()


def _one_of(options: tuple[Option, ...]) -> str:
    words = [_words(option.value) for option in options]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} OR {words[-1]}"


def _purpose(options: tuple[Option, ...]) -> str:
    # Name the shorter list: the purposes that would do, or those that would not.
    others = tuple(p for p in _STATED if p not in options)
    if not others:
        return "A STATED PURPOSE (PRP/)"
    if len(others) < len(options):
        return f"A STATED PURPOSE (PRP/) OTHER THAN {_one_of(others)}"
    return f"A STATED PURPOSE (PRP/): {_one_of(options)}"


def _phrase(item: Missing, state: str, every: bool) -> str:
    certification = f"A USE CERTIFICATION ON FILE WITH {state}"
    if item.lack is Lack.PURPOSE:
        return _purpose(item.options)
    if item.lack is Lack.CERTIFICATION:
        return certification
    if item.lack is Lack.PURPOSE_AND_CERTIFICATION:
        return f"{certification} AND {_purpose(item.options)}"
    if item.lack is Lack.LEGAL_PROCESS:
        return f"LEGAL PROCESS (LPK/): {_one_of(item.options)}"
    them = _names(item.classes) if every else "THEM"
    return f"LEGAL PROCESS THAT NAMES {them} (LPS/)"


def missing_lines(items: Iterable[Missing], denied: frozenset[DataClass], state: str) -> list[str]:
    """The answer's note lines, in capitals like every note on the wire.

    Lines for the same classes are alternatives: the first reads ``MISSING:`` (or ``MISSING
    FOR PHOTO, SSN:`` when it concerns only some of the denied classes), the others ``OR:``.
    What would have the request held for a person to decide says so.
    """
    groups: dict[frozenset[DataClass], list[Missing]] = {}
    for item in items:
        groups.setdefault(item.classes, []).append(item)
    lines: list[str] = []
    for classes, alternatives in groups.items():
        every = classes == denied
        lead = "MISSING" if every else f"MISSING FOR {_names(classes)}"
        for position, item in enumerate(alternatives):
            label = lead if position == 0 else "OR"
            then = f", THEN REVIEWED BY {state}" if item.review else ""
            lines.append(f"{label}: {_phrase(item, state, every)}{then}")
    return lines


def missing_notes(policy: Policy, request: PolicyRequest, decision: Decision) -> list[str]:
    """What a denial or withholding answer says is missing, for ``request.state``."""
    found = missing(policy, request, decision)
    return missing_lines(found, denied_classes(decision), request.state) if found else []
