"""Policy scenario files (scenarios/FORMAT.md): read them strictly, decide them, compare.

Every value is checked against the format's closed vocabulary; a bad one raises
``ScenarioError`` naming the scenario id and the field, so ``policy check`` can exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.node.policy.model import (
    Credential,
    Decision,
    Duty,
    DutyKind,
    LegalProcess,
    Mode,
    Outcome,
    PolicyRequest,
    Purpose,
)
from stateline.wire.grammar import MKE, REGION_CODES, US_STATES, DataClass

STATES = frozenset(US_STATES) | {"AS", "GU", "MP", "PR", "VI"}
"""A scenario's state: a US state or territory code, or DC."""

E = TypeVar("E", bound=StrEnum)


class ScenarioError(ValueError):
    """A scenario that is not valid in the format: which one, which field, what is wrong."""

    def __init__(self, scenario: str, field: str, message: str) -> None:
        super().__init__(f"scenario {scenario}: {field}: {message}")
        self.scenario = scenario
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Expected:
    """What the statute says must happen: outcome, classes released, duties."""

    outcome: Outcome
    released: frozenset[DataClass]
    duties: tuple[Duty, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario: the request a state receives and, usually, what must happen to it."""

    id: str
    state: str
    request: PolicyRequest
    expected: Expected | None
    legal_basis: tuple[str, ...] = ()
    confidence: str | None = None
    notes: str = ""


class _Reader:
    """Reads one scenario object, naming the field of every problem."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario

    def fail(self, field: str, message: str) -> ScenarioError:
        return ScenarioError(self.scenario, field, message)

    def get(self, obj: dict[str, Any], key: str, field: str, required: bool = True) -> Any:
        if key not in obj:
            if required:
                raise self.fail(field, "missing")
            return None
        return obj[key]

    def obj(self, value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, "must be an object")
        return value

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(field, "must be a non-empty string")
        return value

    def boolean(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(field, "must be true or false")
        return value

    def one_of(self, enum: type[E], value: Any, field: str) -> E:
        allowed = [m.value for m in enum]
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(field, f"{value!r} is not one of {', '.join(allowed)}")
        return enum(value)

    def many(self, enum: type[E], value: Any, field: str) -> list[E]:
        if not isinstance(value, list):
            raise self.fail(field, "must be a list")
        return [self.one_of(enum, v, f"{field}[{i}]") for i, v in enumerate(value)]

    def strings(self, value: Any, field: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "must be a list of strings")
        return tuple(value)


def _requester(read: _Reader, raw: Any) -> Agency:
    requester = read.obj(raw, "request.requester")
    ori = read.string(read.get(requester, "ori", "request.requester.ori"), "request.requester.ori")
    name = read.get(requester, "name", "request.requester.name", required=False)
    agency_type = read.one_of(
        AgencyType, read.get(requester, "type", "request.requester.type"), "request.requester.type"
    )
    home = read.get(requester, "home_state", "request.requester.home_state")
    if not isinstance(home, str) or home not in REGION_CODES:
        raise read.fail("request.requester.home_state", f"{home!r} is not a state code or US")
    missions = read.many(
        Mission,
        read.get(requester, "missions", "request.requester.missions"),
        "request.requester.missions",
    )
    label = name if isinstance(name, str) and name else ori
    return Agency(ori, label, agency_type, home, frozenset(missions))


def _duty(read: _Reader, raw: Any, field: str) -> Duty:
    duty = read.obj(raw, field)
    unknown = set(duty) - {"duty", "within_days", "business_days"}
    if unknown:
        raise read.fail(f"{field}.{sorted(unknown)[0]}", "unknown field")
    kind = read.one_of(DutyKind, read.get(duty, "duty", f"{field}.duty"), f"{field}.duty")
    days = duty.get("within_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise read.fail(f"{field}.within_days", "must be a positive whole number")
    business = read.boolean(duty.get("business_days", False), f"{field}.business_days")
    return Duty(kind, days, business)


def _expected(read: _Reader, raw: Any, data: Sequence[DataClass]) -> Expected:
    expected = read.obj(raw, "expected")
    outcome = read.one_of(
        Outcome, read.get(expected, "outcome", "expected.outcome"), "expected.outcome"
    )
    released = read.many(
        DataClass, read.get(expected, "released", "expected.released"), "expected.released"
    )
    extra = set(released) - set(data)
    if extra:
        raise read.fail("expected.released", f"{sorted(extra)[0]} was not requested")
    duties_raw = read.get(expected, "duties", "expected.duties")
    if not isinstance(duties_raw, list):
        raise read.fail("expected.duties", "must be a list")
    duties = tuple(_duty(read, d, f"expected.duties[{i}]") for i, d in enumerate(duties_raw))
    return Expected(outcome, frozenset(released), duties)


def parse_scenario(raw: Any, index: int = 0) -> Scenario:
    """One scenario object; raises ``ScenarioError`` on the first invalid field."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"#{index + 1}", "scenario", "must be an object")
    sid = raw.get("id")
    read = _Reader(sid if isinstance(sid, str) and sid else f"#{index + 1}")
    scenario_id = read.string(sid, "id")
    state = read.get(raw, "state", "state")
    if state not in STATES:
        raise read.fail("state", f"{state!r} is not a US state or territory code, or DC")
    request = read.obj(read.get(raw, "request", "request"), "request")

    def field(key: str, parse: Callable[[Any, str], Any], default: Any = None) -> Any:
        name = f"request.{key}"
        if key not in request:
            if default is None:
                raise read.fail(name, "missing")
            return default
        return parse(request[key], name)

    agency = _requester(read, read.get(request, "requester", "request.requester"))
    acting_for = field("acting_for_missions", lambda v, n: read.many(Mission, v, n), [])
    mode = field("mode", lambda v, n: read.one_of(Mode, v, n), Mode.SINGLE)
    purpose = field("purpose", lambda v, n: read.one_of(Purpose, v, n))
    process = field("legal_process", lambda v, n: read.one_of(LegalProcess, v, n))
    covers_raw = request.get("legal_process_covers")
    covers = (
        None
        if covers_raw is None
        else frozenset(read.many(DataClass, covers_raw, "request.legal_process_covers"))
    )
    certified = field("certification_on_file", read.boolean, False)
    delay = field("notice_delay_requested", read.boolean, False)
    data = field("data", lambda v, n: read.many(DataClass, v, n))
    if not data:
        raise read.fail("request.data", "asks for no data class")
    credential = field("subject_credential", lambda v, n: read.one_of(Credential, v, n))
    policy_request = PolicyRequest(
        state=state,
        mke=MKE.RQ if DataClass.VEHICLES in data else MKE.DQ,
        requester=agency,
        requested=frozenset(data),
        acting_for_missions=frozenset(m.value for m in acting_for),
        mode=mode,
        purpose=purpose,
        legal_process=process,
        legal_process_covers=covers,
        certification_on_file=certified,
        notice_delay_requested=delay,
        subject_credential=credential,
        photo_requested=DataClass.PHOTO in data,
    )
    expected = _expected(read, raw["expected"], data) if raw.get("expected") is not None else None
    confidence = raw.get("confidence")
    if confidence is not None and confidence not in ("high", "medium", "low"):
        raise read.fail("confidence", f"{confidence!r} is not one of high, medium, low")
    basis = read.strings(raw.get("legal_basis", []), "legal_basis")
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        raise read.fail("notes", "must be a string")
    return Scenario(scenario_id, state, policy_request, expected, basis, confidence, notes)


def parse_scenarios(raw: Any) -> list[Scenario]:
    """A scenario file's JSON: a list of scenario objects (a single object is one scenario)."""
    items = raw if isinstance(raw, list) else [raw]
    scenarios = [parse_scenario(item, i) for i, item in enumerate(items)]
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(scenario.id, "id", "is used by another scenario in the file")
        seen.add(scenario.id)
    return scenarios


def load_scenarios(path: Path) -> list[Scenario]:
    """Read a scenario file; invalid JSON is a ``ScenarioError`` too (field ``file``)."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ScenarioError(str(path), "file", str(error)) from error
    return parse_scenarios(raw)


def ordered_released(scenario: Scenario, decision: Decision) -> list[str]:
    """The released classes, in the vocabulary's order."""
    return [
        c.value for c in DataClass if c in decision.released and c in scenario.request.requested
    ]


def duties_match(expected: Sequence[Duty], actual: Sequence[Duty]) -> bool:
    """Same set of duty names; where the scenario gives ``within_days``, the same days too."""
    if {d.duty for d in expected} != {d.duty for d in actual}:
        return False
    by_kind = {d.duty: d for d in actual}
    for duty in expected:
        if duty.within_days is not None:
            got = by_kind[duty.duty]
            if (got.within_days, got.business_days) != (duty.within_days, duty.business_days):
                return False
    return True


def passes(expected: Expected, decision: Decision) -> bool:
    """The checker of FORMAT.md: outcome, the set released, the duties."""
    return (
        decision.outcome is expected.outcome
        and decision.released == expected.released
        and duties_match(expected.duties, decision.duties)
    )


def result_json(scenario: Scenario, decision: Decision, bundle: str) -> dict[str, object]:
    """One line of ``policy check --json``."""
    out: dict[str, object] = {
        "id": scenario.id,
        "outcome": decision.outcome.value,
        "released": ordered_released(scenario, decision),
        "duties": [d.as_json() for d in decision.duties],
        "policies": list(decision.policy_ids),
        "pass": passes(scenario.expected, decision) if scenario.expected else None,
        "bundle": bundle,
    }
    if decision.held:
        out["held"] = [c.value for c in DataClass if c in decision.held]
    if decision.reasons:
        out["reasons"] = list(decision.reasons)
    if scenario.expected is not None and not out["pass"]:
        out["expected"] = {
            "outcome": scenario.expected.outcome.value,
            "released": [c.value for c in DataClass if c in scenario.expected.released],
            "duties": [d.as_json() for d in scenario.expected.duties],
        }
    return out
