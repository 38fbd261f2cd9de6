"""Which Cedar bundle decides for each state in a replay: today's practice, each state's own
statute, and any bundle swapped in ("what if Texas adopted New York's law")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stateline.node.policy.bundle import STATUS_QUO, BundleError, bundle_for_state
from stateline.node.policy.decide import CedarPolicy
from stateline.simulate.errors import SimulationError
from stateline.wire.grammar import US_STATES

POLICIES = ("statute", "status-quo")
"""``statute``: each state's own bundle where Stateline has one, else the status quo;
``status-quo``: every state as over Nlets today."""

_DECISION_MEMO = 1 << 16


@dataclass(frozen=True, slots=True)
class Laws:
    """The bundle name each state decides by, and each bundle loaded once."""

    policy: str
    swaps: Mapping[str, str]
    by_state: Mapping[str, str]
    loaded: Mapping[str, CedarPolicy]

    def policy_for(self, state: str) -> CedarPolicy:
        return self.loaded[self.by_state[state]]


def parse_swaps(items: Iterable[str]) -> dict[str, str]:
    """``TX=ny`` items as a state-to-bundle map; an item of another shape or an unknown state
    is a ``SimulationError``."""
    swaps: dict[str, str] = {}
    for item in items:
        state, sep, bundle = item.partition("=")
        code = state.strip().upper()
        if not sep or not bundle.strip():
            raise SimulationError(f"--state {item!r} is not STATE=BUNDLE (e.g. TX=ny)")
        if code not in US_STATES:
            raise SimulationError(f"--state {item}: {state.strip()!r} is not a US state or DC")
        swaps[code] = bundle.strip()
    return swaps


def choose_laws(policy: str, swaps: Mapping[str, str] | None = None) -> Laws:
    """Load the bundles a replay needs; an unknown policy or bundle is a ``SimulationError``."""
    if policy not in POLICIES:
        raise SimulationError(f"--policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    swaps = dict(swaps or {})
    for state in swaps:
        if state not in US_STATES:
            raise SimulationError(f"--state {state}: not a US state or DC")
    by_state = {
        state: swaps.get(state, bundle_for_state(state) if policy == "statute" else STATUS_QUO)
        for state in US_STATES
    }
    loaded: dict[str, CedarPolicy] = {}
    for state, name in sorted(by_state.items()):
        if name in loaded:
            continue
        try:
            loaded[name] = CedarPolicy.load(name, cache_size=_DECISION_MEMO)
        except BundleError as error:
            where = f"--state {state}={name}" if state in swaps else f"bundle {name}"
            raise SimulationError(f"{where}: {error.message}") from error
    return Laws(policy, swaps, by_state, loaded)
