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
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
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
    Mode,
    Outcome,
    PolicyRequest,
    Verdict,
)
from stateline.wire.grammar import DataClass

log = logging.getLogger(__name__)

EVERYTHING = tuple(DataClass)
_ORDER = {data_class: index for index, data_class in enumerate(DataClass)}
_ACTIONS = {(m, c): action_id(m, c) for m in Mode for c in DataClass}
_SEVERITY = {Verdict.RELEASE: 0, Verdict.REVIEW: 1, Verdict.DENY: 2}


_Key = tuple[PrincipalKey, str, str, str]
"""One authorization by what it depends on: requester, record, action and context."""


class _LRU:
    """A small least-recently-used map, safe to share between threads; ``size`` 0 keeps none."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[object, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: object, value: object) -> None:
        if self.size <= 0:
            return
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)


class CedarPolicy:
    """A ``Policy`` deciding by a Cedar bundle; ``reload`` swaps bundles, keeping the last good.

    ``cache_size`` bounds the memo of decisions by request facts, and (16 times larger) of
    single authorizations; 0 turns memos off, as the benchmark does to measure Cedar itself.
    It may be shared between threads: a reload swaps the bundle and its memos as one, and a
    decision under way finishes with the bundle it started with.
    """

    def __init__(self, bundle: Bundle, cache_size: int = 4096) -> None:
        self.cache_size = cache_size
        self._engine = _Engine(bundle, cache_size)

    @property
    def bundle(self) -> Bundle:
        return self._engine.bundle

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
        self._engine = _Engine(bundle, self.cache_size)
        return None

    def decide(self, request: PolicyRequest) -> Decision:
        """Decide one request (the ``Policy`` protocol)."""
        return self._engine.decide_many((request,))[0]

    def decide_many(self, requests: Sequence[PolicyRequest]) -> list[Decision]:
        """Decide many requests with one cedarpy call per policy set for all of them."""
        return self._engine.decide_many(requests)


class _Engine:
    """One bundle with its memos: what a reload replaces as a whole."""

    def __init__(self, bundle: Bundle, cache_size: int) -> None:
        self.bundle = bundle
        self._entities = _LRU(1024)
        self._decisions = _LRU(cache_size)
        self._classes = _LRU(cache_size * 16)
        self._duty_memo = _LRU(cache_size * 4)

    def decide_many(self, requests: Sequence[PolicyRequest]) -> list[Decision]:
        """Decide many requests with one cedarpy call per policy set for all of them."""
        if self._decisions.size <= 0:  # no memo: no key to build either
            return self._evaluate(requests)
        decisions: list[Decision | None] = []
        todo: list[int] = []
        keys = [self._facts(request) for request in requests]
        for index, key in enumerate(keys):
            cached = self._decisions.get(key)
            decisions.append(cached if isinstance(cached, Decision) else None)
            if cached is None:
                todo.append(index)
        if todo:
            fresh = self._evaluate([requests[i] for i in todo])
            for index, decision in zip(todo, fresh, strict=True):
                decisions[index] = decision
                self._decisions.put(keys[index], decision)
        return [d for d in decisions if d is not None]

    def _entities_for(
        self, principals: Iterable[PrincipalKey], states: Iterable[str]
    ) -> tuple[cedarpy.Entities, dict[PrincipalKey, str]]:
        """One entities handle holding these requesters and every record kind of these states."""
        uids = {key: f"p{i}" for i, key in enumerate(dict.fromkeys(principals))}
        places = tuple(sorted(set(states)))
        cache_key = (tuple(uids), places)
        cached = self._entities.get(cache_key)
        if isinstance(cached, cedarpy.Entities):
            return cached, uids
        delta = [agency_entity(uid, key) for key, uid in uids.items()]
        for state in places:
            delta += [record_entity(state, c.value) for c in (*KNOWN_CREDENTIALS, Credential.ANY)]
        # The schema already gave the action entities; the delta is built here, from the same
        # entity model the bundle's schema was checked against when it loaded.
        entities = self.bundle.actions.with_added_json_str(json.dumps(delta))
        self._entities.put(cache_key, entities)
        return entities, uids

    def _evaluate(self, requests: Sequence[PolicyRequest]) -> list[Decision]:
        # Every answer a request needs is one authorization, named by the facts it depends on;
        # equal facts are asked once per batch, and answers are kept across batches.
        wanted: list[list[tuple[DataClass, _Key]]] = []
        duty_wanted: list[list[_Key]] = []
        answers: dict[_Key, object] = {}
        misses: dict[_Key, tuple[PrincipalKey, str, str, str]] = {}
        duty_misses: dict[_Key, tuple[PrincipalKey, str, str, str]] = {}
        has_duties = bool(self.bundle.duty_sources)
        for request in requests:
            pk = self._principal(request)
            mine: list[tuple[DataClass, _Key]] = []
            my_duties: list[_Key] = []
            covered, uncovered = _context(request, True), _context(request, False)
            for credential in self._credentials(request):
                resource = record_uid(request.state, credential.value)
                for data_class in request.requested or EVERYTHING:
                    action = _ACTIONS[request.mode, data_class]
                    context = covered if request.covers(data_class) else uncovered
                    key = (pk, resource, action, context)
                    mine.append((data_class, key))
                    if key not in answers:
                        found = self._classes.get(key)
                        answers[key] = found
                        if found is None:
                            misses[key] = (pk, resource, action, context)
                if has_duties:
                    key = (pk, resource, DUTY_ACTION, covered)
                    my_duties.append(key)
                    if key not in answers:
                        found = self._duty_memo.get(key)
                        answers[key] = found
                        if found is None:
                            duty_misses[key] = key
            wanted.append(mine)
            duty_wanted.append(my_duties)
        if misses or duty_misses:
            self._authorize(misses, duty_misses, answers, {r.state for r in requests})
        decisions = []
        for request, mine, my_duties in zip(requests, wanted, duty_wanted, strict=True):
            per_class: dict[DataClass, list[ClassDecision]] = {}
            for data_class, key in mine:
                answer = answers[key]
                assert isinstance(answer, ClassDecision)
                per_class.setdefault(data_class, []).append(answer)
            duties: list[Duty] = []
            for key in my_duties:
                owed = answers[key]
                assert isinstance(owed, tuple)
                duties += owed
            decisions.append(_combine(request, per_class, duties))
        return decisions

    def _authorize(
        self,
        misses: dict[_Key, tuple[PrincipalKey, str, str, str]],
        duty_misses: dict[_Key, tuple[PrincipalKey, str, str, str]],
        answers: dict[_Key, object],
        states: set[str],
    ) -> None:
        """Ask cedarpy the authorizations no memo held: one batch call per policy set."""
        bundle = self.bundle
        principals = [v[0] for v in (*misses.values(), *duty_misses.values())]
        entities, uids = self._entities_for(principals, states)

        def call(pk: PrincipalKey, resource: str, action: str, context: str) -> dict[str, object]:
            return {
                "principal": {"type": "Agency", "id": uids[pk]},
                "action": {"type": "Action", "id": action},
                "resource": {"type": "Record", "id": resource},
                "context": context,
            }

        if misses:
            calls = [call(*v) for v in misses.values()]
            results = cedarpy.is_authorized_batch(calls, bundle.decisions, entities)
            for (key, (_pk, _r, action, _c)), result in zip(misses.items(), results, strict=True):
                answer = self._class_decision(DataClass(action.split("/", 1)[1]), result)
                answers[key] = answer
                self._classes.put(key, answer)
        if duty_misses:
            calls = [call(*v) for v in duty_misses.values()]
            results = cedarpy.is_authorized_batch(calls, bundle.duties, entities)
            for key, result in zip(duty_misses, results, strict=True):
                owed = tuple(self._duties(result))
                answers[key] = owed
                self._duty_memo.put(key, owed)

    def _principal(self, request: PolicyRequest) -> PrincipalKey:
        """The requester's facts; without its ORI when no policy names one, so that requests
        from thousands of agencies with the same facts share entities and memo entries."""
        key = principal_key(request)
        return key if self.bundle.names_requester else ("", *key[1:])

    def _facts(self, request: PolicyRequest) -> tuple[object, ...]:
        return (self._principal(request), *_request_facts(request))

    def _credentials(self, request: PolicyRequest) -> tuple[Credential, ...]:
        # "any" means the answer must hold for every credential type: ask each one, but only
        # when some policy looks at the record at all.
        if request.subject_credential is Credential.ANY and self.bundle.credential_sensitive:
            return KNOWN_CREDENTIALS
        return (request.subject_credential,)

    def _class_decision(self, data_class: DataClass, result: cedarpy.AuthzResult) -> ClassDecision:
        # Cedar lists the determining policies in no fixed order; keep the bundle's order.
        reasons = sorted(result.diagnostics.reasons, key=lambda r: int(r[6:]))
        sources = [self.bundle.decision_sources[r] for r in reasons]
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
        reasons = sorted(result.diagnostics.reasons, key=lambda r: int(r[6:]))
        sources: list[PolicySource] = [self.bundle.duty_sources[r] for r in reasons]
        return [s.duty for s in sources if s.duty is not None]


def facts(request: PolicyRequest) -> tuple[object, ...]:
    """What a decision depends on: equal facts, equal decisions (the memo's key)."""
    return (principal_key(request), *_request_facts(request))


def _request_facts(request: PolicyRequest) -> tuple[object, ...]:
    """The facts besides the requester's."""
    return (
        request.state,
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
    classes = tuple(_strictest(per_class[c]) for c in sorted(per_class, key=_ORDER.__getitem__))
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
