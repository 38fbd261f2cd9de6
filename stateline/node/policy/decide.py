"""``CedarPolicy``: a state's bundle decides each requested data class through cedarpy.

Per request, one ``is_authorized_batch`` call asks every requested class (and, when the subject's
credential type is not known and the bundle looks at it, every credential type), and a second
asks for the duties. The bundle's policy sets, schema and action entities are parsed once; the
entities of a requester are parsed once per distinct set of facts and kept (LRU), and so are
whole decisions, since a decision is a pure function of the request's facts.

Fail closed: a class is released only on Allow with no evaluation error. A forbid that fails to
evaluate can leave Cedar saying Allow with errors; that is a deny, logged without personal data
(the entities carry none: agency facts, the state and a credential type).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cedarpy

from stateline.node.policy.bundle import Bundle, BundleError, PolicySource, load_bundle
from stateline.node.policy.entities import (
    DUTY_ACTION,
    PrincipalKey,
    action_id,
    agency_entity,
    context_json,
    principal_key,
    record_entity,
    record_uid,
)
from stateline.node.policy.model import (
    KNOWN_CREDENTIALS,
    LOG,
    ClassDecision,
    Credential,
    Decision,
    Duty,
    DutyKind,
    Outcome,
    PolicyRequest,
    Verdict,
)
from stateline.wire.grammar import DataClass

log = logging.getLogger(__name__)

EVERYTHING = tuple(DataClass)
_SEVERITY = {Verdict.RELEASE: 0, Verdict.REVIEW: 1, Verdict.DENY: 2}


@dataclass(frozen=True, slots=True)
class _Ask:
    """One authorization in a batch: which request, class and credential it answers for."""

    request: int
    data_class: DataClass | None  # None: the duties
    credential: Credential


class _LRU:
    """A small least-recently-used map; ``size`` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[object, object] = OrderedDict()

    def get(self, key: object) -> object | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: object, value: object) -> None:
        if self.size <= 0:
            return
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)


class CedarPolicy:
    """A ``Policy`` deciding by a Cedar bundle; ``reload`` swaps bundles, keeping the last good.

    ``cache_size`` bounds the memo of decisions by request facts (0 turns it off, as the
    benchmark does to measure Cedar itself).
    """

    def __init__(self, bundle: Bundle, cache_size: int = 4096) -> None:
        self.bundle = bundle
        self._entities = _LRU(1024)
        self._decisions = _LRU(cache_size)

    @classmethod
    def load(cls, name_or_path: str | Path, cache_size: int = 4096) -> CedarPolicy:
        return cls(load_bundle(name_or_path), cache_size)

    def reload(self, name_or_path: str | Path) -> BundleError | None:
        """Load another bundle; if it fails, keep the current one and return the error."""
        try:
            bundle = load_bundle(name_or_path)
        except BundleError as error:
            log.error("bundle refused, keeping %s: %s", self.bundle.name, error)
            return error
        self.bundle = bundle
        self._entities = _LRU(self._entities.size)
        self._decisions = _LRU(self._decisions.size)
        return None

    def decide(self, request: PolicyRequest) -> Decision:
        """Decide one request (the ``Policy`` protocol)."""
        return self.decide_many((request,))[0]

    def decide_many(self, requests: Sequence[PolicyRequest]) -> list[Decision]:
        """Decide many requests with one cedarpy call per policy set for all of them."""
        decisions: list[Decision | None] = []
        todo: list[int] = []
        for index, request in enumerate(requests):
            cached = self._decisions.get(facts(request))
            decisions.append(cached if isinstance(cached, Decision) else None)
            if cached is None:
                todo.append(index)
        if todo:
            fresh = self._evaluate([requests[i] for i in todo])
            for index, decision in zip(todo, fresh, strict=True):
                decisions[index] = decision
                self._decisions.put(facts(requests[index]), decision)
        return [d for d in decisions if d is not None]

    def _entities_for(
        self, requests: Sequence[PolicyRequest]
    ) -> tuple[cedarpy.Entities, list[str]]:
        """One entities handle holding every requester and record of ``requests``."""
        keys: dict[PrincipalKey, str] = {}
        uids = []
        for request in requests:
            key = principal_key(request)
            uids.append(keys.setdefault(key, f"p{len(keys)}"))
        states = sorted({r.state for r in requests})
        cache_key = (tuple(keys), tuple(states))
        cached = self._entities.get(cache_key)
        if isinstance(cached, cedarpy.Entities):
            return cached, uids
        delta = [agency_entity(uid, key) for key, uid in keys.items()]
        for state in states:
            delta += [record_entity(state, c.value) for c in (*KNOWN_CREDENTIALS, Credential.ANY)]
        entities = self.bundle.actions.with_added_json_str(json.dumps(delta), self.bundle.schema)
        self._entities.put(cache_key, entities)
        return entities, uids

    def _evaluate(self, requests: Sequence[PolicyRequest]) -> list[Decision]:
        bundle = self.bundle
        entities, uids = self._entities_for(requests)
        asks: list[_Ask] = []
        calls: list[dict[str, object]] = []
        duty_asks: list[_Ask] = []
        duty_calls: list[dict[str, object]] = []
        for index, request in enumerate(requests):
            credentials = self._credentials(request)
            principal = {"type": "Agency", "id": uids[index]}
            for credential in credentials:
                resource = {"type": "Record", "id": record_uid(request.state, credential.value)}
                for data_class in request.requested or EVERYTHING:
                    asks.append(_Ask(index, data_class, credential))
                    calls.append(
                        {
                            "principal": principal,
                            "action": {"type": "Action", "id": action_id(request.mode, data_class)},
                            "resource": resource,
                            "context": _context(request, request.covers(data_class)),
                        }
                    )
                duty_asks.append(_Ask(index, None, credential))
                duty_calls.append(
                    {
                        "principal": principal,
                        "action": {"type": "Action", "id": DUTY_ACTION},
                        "resource": resource,
                        "context": _context(request, True),
                    }
                )
        results = cedarpy.is_authorized_batch(calls, bundle.decisions, entities)
        # A bundle without duty policies owes only the log: no call needed.
        if not bundle.duty_sources:
            duty_asks = []
        duty_results = (
            cedarpy.is_authorized_batch(duty_calls, bundle.duties, entities) if duty_asks else []
        )
        per_class: list[dict[DataClass, list[ClassDecision]]] = [{} for _ in requests]
        for ask, result in zip(asks, results, strict=True):
            assert ask.data_class is not None
            verdict = self._class_decision(ask.data_class, result)
            per_class[ask.request].setdefault(ask.data_class, []).append(verdict)
        duties: list[list[Duty]] = [[] for _ in requests]
        for ask, result in zip(duty_asks, duty_results, strict=True):
            duties[ask.request] += self._duties(result)
        return [_combine(request, per_class[i], duties[i]) for i, request in enumerate(requests)]

    def _credentials(self, request: PolicyRequest) -> tuple[Credential, ...]:
        # "any" means the answer must hold for every credential type: ask each one, but only
        # when some policy looks at the record at all.
        if request.subject_credential is Credential.ANY and self.bundle.credential_sensitive:
            return KNOWN_CREDENTIALS
        return (request.subject_credential,)

    def _class_decision(self, data_class: DataClass, result: cedarpy.AuthzResult) -> ClassDecision:
        sources = [self.bundle.decision_sources[r] for r in result.diagnostics.reasons]
        ids = tuple(s.policy_id for s in sources)
        if result.diagnostics.errors or result.decision not in (
            cedarpy.Decision.Allow,
            cedarpy.Decision.Deny,
        ):
            log.error(
                "policy evaluation error in bundle %s, %s denied: %s",
                self.bundle.name,
                data_class.value,
                "; ".join(result.diagnostics.errors),
            )
            return ClassDecision(data_class, Verdict.DENY, ids, error=True)
        if result.decision is cedarpy.Decision.Allow:
            return ClassDecision(data_class, Verdict.RELEASE, ids)
        hard = [s for s in sources if s.review is None]
        if hard or not sources:
            return ClassDecision(data_class, Verdict.DENY, tuple(s.policy_id for s in hard))
        return ClassDecision(
            data_class,
            Verdict.REVIEW,
            ids,
            review=tuple(s.review for s in sources if s.review is not None),
            escalate=any(s.escalate for s in sources),
        )

    def _duties(self, result: cedarpy.AuthzResult) -> list[Duty]:
        if result.diagnostics.errors:
            # A duty policy that cannot be evaluated must not silently drop a duty the law
            # attaches; the request is still decided, and the error is logged for the operator.
            log.error(
                "duty evaluation error in bundle %s: %s",
                self.bundle.name,
                "; ".join(result.diagnostics.errors),
            )
        if result.decision is not cedarpy.Decision.Allow:
            return []
        sources: list[PolicySource] = [
            self.bundle.duty_sources[r] for r in result.diagnostics.reasons
        ]
        return [s.duty for s in sources if s.duty is not None]


def facts(request: PolicyRequest) -> tuple[object, ...]:
    """What a decision depends on: equal facts, equal decisions (the memo's key)."""
    return (
        request.state,
        principal_key(request),
        request.requested,
        request.mode,
        request.purpose,
        request.legal_process,
        request.legal_process_covers,
        request.notice_delay_requested,
        request.subject_credential,
    )


def _context(request: PolicyRequest, covered: bool) -> str:
    return context_json(
        request.purpose.value,
        request.legal_process.value,
        covered,
        request.notice_delay_requested,
    )


def _strictest(decisions: list[ClassDecision]) -> ClassDecision:
    """Of one class's decisions across credential types, the one that releases least."""
    worst = max(decisions, key=lambda d: _SEVERITY[d.verdict])
    if len(decisions) == 1:
        return worst
    same = [d for d in decisions if d.verdict is worst.verdict]
    return replace(
        worst,
        policy_ids=_unique(i for d in same for i in d.policy_ids),
        review=_unique(r for d in same for r in d.review),
        escalate=any(d.escalate for d in same),
        error=any(d.error for d in decisions),
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def merge_duties(duties: Iterable[Duty]) -> tuple[Duty, ...]:
    """``log`` first, then one duty of each kind; of two notices, the sooner one stands."""
    chosen: dict[DutyKind, Duty] = {DutyKind.LOG: LOG}
    for duty in duties:
        held = chosen.get(duty.duty)
        if held is None or (
            duty.within_days is not None
            and (held.within_days is None or duty.within_days < held.within_days)
        ):
            chosen[duty.duty] = duty
    return tuple(chosen.values())


def _combine(
    request: PolicyRequest, per_class: dict[DataClass, list[ClassDecision]], duties: list[Duty]
) -> Decision:
    classes = tuple(_strictest(decisions) for decisions in per_class.values())
    depends = any(len({d.verdict for d in decisions}) > 1 for decisions in per_class.values())
    requested = frozenset(per_class)
    released = frozenset(c.data_class for c in classes if c.verdict is Verdict.RELEASE)
    held = frozenset(c.data_class for c in classes if c.verdict is Verdict.REVIEW)
    review_classes = [c for c in classes if c.verdict is Verdict.REVIEW]
    if held:
        outcome, released = Outcome.REVIEW, frozenset()
        deciding = review_classes
        if any(c.escalate for c in review_classes):
            duties = [*duties, Duty(DutyKind.ESCALATE_COUNSEL)]
    elif released == requested:
        outcome, deciding = Outcome.RELEASE, list(classes)
    elif released:
        outcome, deciding = Outcome.WITHHOLD, list(classes)
    else:
        outcome, deciding = Outcome.DENY, list(classes)
    reasons: list[str] = []
    if any(c.error for c in classes):
        reasons.append("POLICY ERROR")
    if outcome is Outcome.REVIEW:
        reasons += [r for c in review_classes for r in c.review]
    if outcome is Outcome.DENY and not any(c.policy_ids for c in classes):
        reasons.append("NO POLICY PERMITS THIS REQUEST")
    return Decision(
        outcome=outcome,
        released=released,
        withheld=requested - released,
        policy_ids=_unique(i for c in deciding for i in c.policy_ids),
        reasons=_unique(reasons),
        duties=merge_duties(duties),
        classes=classes,
        held=held,
        depends_on_credential=depends,
    )
