"""Policy decisions per second: ``CedarPolicy`` beside cedarpy re-parsing the bundle every call.

Builds a mix of realistic requests (local and state police, federal and immigration agencies,
officers acting for ICE, DMVs and the public; purposes, legal process, DQ/RQ/KQ data classes,
credential types) and times, interleaved so machine noise hits every kind alike, on one core:

- baseline: one ``cedarpy.is_authorized_batch`` per request (its classes, then its duties) given
  the policy text, the entities JSON and the schema text, so cedarpy parses them every call;
- ``CedarPolicy.decide`` one request at a time, memos off (parsed handles reused);
- ``CedarPolicy.decide_many`` in batches, memos off;
- ``CedarPolicy.decide`` and ``decide_many`` with memos on, over a traffic stream that repeats
  request facts the way a day of traffic does (a few agencies and query kinds make most of it);
- loading and validating every shipped bundle.

A "class decision" is one Cedar authorization (one data class of one request, per credential
type where the answer may depend on it); a "request" is one whole ``Decision``.

    .venv/bin/python benchmarks/policy.py [--bundle ny] [--requests 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import cedarpy

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.bundle import Bundle, load_bundle, names
from stateline.node.policy.decide import CedarPolicy
from stateline.node.policy.entities import (
    DUTY_ACTION,
    action_id,
    agency_entity,
    context_json,
    principal_key,
    record_entity,
)
from stateline.node.policy.model import (
    KNOWN_CREDENTIALS,
    Credential,
    LegalProcess,
    Mode,
    PolicyRequest,
    Purpose,
)
from stateline.wire.grammar import MKE, DataClass

_CLE, _IMM = Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.IMMIGRATION_ENFORCEMENT
REQUESTERS: list[tuple[float, AgencyType, str, frozenset[Mission], frozenset[str]]] = [
    # weight, type, home ("in", "out" or "US"), missions, acting for
    (0.50, AgencyType.PD, "in", frozenset({_CLE, Mission.TRAFFIC_ENFORCEMENT}), frozenset()),
    (0.15, AgencyType.SA, "in", frozenset({_CLE, Mission.TRAFFIC_ENFORCEMENT}), frozenset()),
    (0.12, AgencyType.PD, "out", frozenset({_CLE}), frozenset()),
    (0.06, AgencyType.FE, "US", frozenset({_CLE}), frozenset()),
    (0.05, AgencyType.FE, "US", frozenset({_IMM}), frozenset()),
    (0.04, AgencyType.FE, "US", frozenset({_IMM, _CLE}), frozenset()),
    (0.02, AgencyType.SO, "out", frozenset({_CLE}), frozenset({_IMM.value})),
    (0.03, AgencyType.NJ, "in", frozenset({Mission.MOTOR_VEHICLE_ADMINISTRATION}), frozenset()),
    (0.03, AgencyType.PU, "in", frozenset({Mission.PUBLIC}), frozenset()),
]
QUERIES = [  # what DQ, DQ with a photo, RQ and KQ ask for
    (DataClass.IDENTITY, DataClass.CREDENTIAL_TYPE, DataClass.ADDRESS, DataClass.PHYSICAL,
     DataClass.SSN),
    (DataClass.IDENTITY, DataClass.ADDRESS, DataClass.PHYSICAL, DataClass.PHOTO),
    (DataClass.VEHICLES, DataClass.IDENTITY, DataClass.ADDRESS),
    (DataClass.IDENTITY, DataClass.HISTORY),
]  # fmt: skip


def make_requests(state: str, count: int, seed: int) -> list[PolicyRequest]:
    """``count`` requests with distinct facts where the mix allows, drawn deterministically."""
    rng = random.Random(seed)
    weights = [r[0] for r in REQUESTERS]
    out = []
    for n in range(count):
        _w, agency_type, home, missions, acting = rng.choices(REQUESTERS, weights)[0]
        home_state = {"in": state, "out": "KS", "US": "US"}[home]
        immigration = _IMM in missions or bool(acting)
        purpose = rng.choice(
            [Purpose.CIVIL_IMMIGRATION_ENFORCEMENT, Purpose.CRIMINAL_INVESTIGATION]
            if immigration
            else [Purpose.CRIMINAL_INVESTIGATION, Purpose.TRAFFIC_ENFORCEMENT, Purpose.UNSTATED]
        )
        process = rng.choices(
            [LegalProcess.NONE, LegalProcess.JUDICIAL_WARRANT, LegalProcess.ADMINISTRATIVE_WARRANT],
            [0.9, 0.05, 0.05],
        )[0]
        out.append(
            PolicyRequest(
                state=state,
                mke=MKE.DQ,
                # Distinct ORIs, as thousands of agencies send; the facts repeat, not the ORI.
                requester=Agency(f"XX{n:07d}", "agency", agency_type, home_state, missions),
                requested=frozenset(rng.choice(QUERIES)),
                acting_for_missions=acting,
                mode=Mode.SINGLE,
                purpose=purpose,
                legal_process=process,
                certification_on_file=rng.random() < 0.8,
                subject_credential=rng.choice([*KNOWN_CREDENTIALS, Credential.ANY]),
            )
        )
    return out


def traffic(requests: list[PolicyRequest], count: int, seed: int) -> list[PolicyRequest]:
    """A day's stream: a few request kinds (one agency, one query) make most of the traffic."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(requests))]  # Zipf-like
    return rng.choices(requests, weights, k=count)


class Baseline:
    """cedarpy given text every call: policies, entities and schema are parsed each time."""

    def __init__(self, bundle: Bundle) -> None:
        self.decisions = "\n".join(
            s.text for s in _statements(bundle) if s.policy_id in _ids(bundle, duty=False)
        )
        self.duties = "\n".join(
            s.text for s in _statements(bundle) if s.policy_id in _ids(bundle, duty=True)
        )
        self.schema = bundle.schema_source
        self.sensitive = bundle.credential_sensitive

    def decide(self, request: PolicyRequest) -> int:
        credentials = (
            KNOWN_CREDENTIALS
            if request.subject_credential is Credential.ANY and self.sensitive
            else (request.subject_credential,)
        )
        entities = [agency_entity("p", principal_key(request))] + [
            record_entity(request.state, c.value) for c in credentials
        ]
        calls, duty_calls = [], []
        for credential in credentials:
            resource = {"type": "Record", "id": f"{request.state}/{credential.value}"}
            principal = {"type": "Agency", "id": "p"}
            for data_class in request.requested:
                context = context_json(
                    request.purpose.value,
                    request.legal_process.value,
                    request.covers(data_class),
                    request.notice_delay_requested,
                )
                calls.append(
                    {
                        "principal": principal,
                        "action": {"type": "Action", "id": action_id(request.mode, data_class)},
                        "resource": resource,
                        "context": context,
                    }
                )
            duty_calls.append(
                {
                    "principal": principal,
                    "action": {"type": "Action", "id": DUTY_ACTION},
                    "resource": resource,
                    "context": context_json(
                        request.purpose.value, request.legal_process.value, True, False
                    ),
                }
            )
        # The schema must come with the entities too, or cedarpy knows no action groups.
        text = json.dumps(entities)
        cedarpy.is_authorized_batch(calls, self.decisions, text, self.schema)
        if self.duties:
            cedarpy.is_authorized_batch(duty_calls, self.duties, text, self.schema)
        return len(calls)


@dataclass
class _Text:
    policy_id: str
    text: str


def _statements(bundle: Bundle) -> list[_Text]:
    from stateline.node.policy.bundle import split_statements

    out = []
    for path in bundle.files:
        for statement in split_statements(path, path.read_text()):
            policy_id = statement.text.split('@id("', 1)[1].split('"', 1)[0]
            out.append(_Text(policy_id, statement.text))
    return out


def _ids(bundle: Bundle, duty: bool) -> set[str]:
    sources = bundle.duty_sources if duty else bundle.decision_sources
    return {s.policy_id for s in sources.values()}


def class_decisions(bundle: Bundle, requests: list[PolicyRequest]) -> int:
    """How many Cedar authorizations the requests need (classes x credential types)."""
    total = 0
    for request in requests:
        many = request.subject_credential is Credential.ANY and bundle.credential_sensitive
        total += len(request.requested) * (len(KNOWN_CREDENTIALS) if many else 1)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default="ny")
    parser.add_argument("--state", default=None)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--traffic", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    bundle = load_bundle(args.bundle)
    state = args.state or (bundle.states[0] if bundle.states else "TX")
    requests = make_requests(state, args.requests, args.seed)
    stream = traffic(requests, args.traffic, args.seed)
    classes = class_decisions(bundle, requests)
    baseline = Baseline(bundle)
    print(
        f"bundle {bundle.name} ({len(bundle.policies)} policies), state {state}: "
        f"{len(requests):,} requests needing {classes:,} class decisions; "
        f"{len(stream):,} requests of traffic ({len(set(stream)):,} distinct)"
    )

    def run_baseline() -> float:
        sample = requests[: max(1, len(requests) // 5)]  # it is slow; a fifth is plenty
        start = time.perf_counter()
        for request in sample:
            baseline.decide(request)
        return (time.perf_counter() - start) * len(requests) / len(sample)

    def run_single() -> float:
        policy = CedarPolicy(bundle, cache_size=0)
        start = time.perf_counter()
        for request in requests:
            policy.decide(request)
        return time.perf_counter() - start

    def run_batches() -> float:
        policy = CedarPolicy(bundle, cache_size=0)
        start = time.perf_counter()
        for i in range(0, len(requests), args.batch):
            policy.decide_many(requests[i : i + args.batch])
        return time.perf_counter() - start

    def run_traffic() -> float:
        policy = CedarPolicy(bundle)  # memos on, starting cold
        start = time.perf_counter()
        for request in stream:
            policy.decide(request)
        return time.perf_counter() - start

    def run_traffic_batches() -> float:
        policy = CedarPolicy(bundle)
        start = time.perf_counter()
        for i in range(0, len(stream), args.batch):
            policy.decide_many(stream[i : i + args.batch])
        return time.perf_counter() - start

    def run_load() -> float:
        start = time.perf_counter()
        for name in names():
            load_bundle(name)
        return time.perf_counter() - start

    runs: dict[str, tuple[Callable[[], float], int, int]] = {
        "baseline: re-parse every call": (run_baseline, len(requests), classes),
        "CedarPolicy.decide, one at a time": (run_single, len(requests), classes),
        f"CedarPolicy.decide_many, batches of {args.batch}": (run_batches, len(requests), classes),
        "CedarPolicy.decide, memos on, traffic": (run_traffic, len(stream), 0),
        "CedarPolicy.decide_many, memos on, traffic": (run_traffic_batches, len(stream), 0),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    loads: list[float] = []
    for _ in range(args.repeats):
        for name, (run, _n, _c) in runs.items():
            times[name].append(run())
        loads.append(run_load())

    base = statistics.median(times["baseline: re-parse every call"])
    print(f"\nmedians of {args.repeats} runs, one core")
    print(f"{'':44} {'requests/s':>12} {'class dec./s':>13} {'vs baseline':>12}")
    for name, (_run, count, n_classes) in runs.items():
        median = statistics.median(times[name])
        per_request = base / len(requests) / (median / count)
        class_rate = f"{n_classes / median:13,.0f}" if n_classes else f"{'-':>13}"
        print(f"{name:44} {count / median:12,.0f} {class_rate} {per_request:11.1f}x")
    print(
        f"\nload and validate all {len(names())} bundles: median {statistics.median(loads):.3f} s "
        f"(min {min(loads):.3f} s)"
    )


if __name__ == "__main__":
    main()
