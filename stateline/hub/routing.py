"""Route plans: which nodes a message goes to, which destinations cannot serve it, or why not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stateline.wire.errors import ErReason, Rejection
from stateline.wire.grammar import ALL_STATES, MKE, REGION_CODES
from stateline.wire.messages import Header

NODE_FUNCTIONS: dict[str, frozenset[MKE]] = {
    "OLN0000": frozenset({MKE.DQ, MKE.KQ, MKE.AM}),  # licence bureau
    "LIC0000": frozenset({MKE.RQ, MKE.AM}),  # registration agency, by plate
    "VIN0000": frozenset({MKE.RQ, MKE.AM}),  # registration agency, by VIN
}
"""What each of a state's function ORIs serves (NLETS-FORMAT.md, "A message", item 3)."""


@dataclass(frozen=True, slots=True)
class Route:
    """One state to ask: its code and the ORI the query is delivered to."""

    state: str
    ori: str


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """Where a message goes.

    ``routes`` are the nodes to deliver to; ``unserved`` the destinations that exist but do not
    serve this key (each gets an SM); ``mailboxes`` the agency ORIs an AM is left for; ``multi``
    whether the answers are merged with a summary.
    """

    routes: tuple[Route, ...] = ()
    unserved: tuple[str, ...] = ()
    mailboxes: tuple[str, ...] = ()
    multi: bool = False


def node_function_ori(state: str, mke: MKE) -> str:
    """The ORI in ``state`` that serves ``mke`` when a query names only the state code."""
    return f"{state}LIC0000" if mke is MKE.RQ else f"{state}OLN0000"


def plan_route(
    header: Header, raw: str, nodes: frozenset[str], agencies: Mapping[str, object]
) -> RoutePlan | Rejection:
    """Plan delivery of a checked message.

    ``nodes`` are the state codes that run a node; ``agencies`` the directory by ORI (only
    membership is used). A destination that is neither is an invalid destination (ER .19.).
    """
    mke = header.mke
    if header.destinations == (ALL_STATES,):
        if mke is MKE.AM:
            return Rejection.of(ErReason.NOT_ALLOWED_TO_DESTINATION, raw, ori=header.ori)
        every = tuple(Route(s, node_function_ori(s, mke)) for s in sorted(nodes))
        return RoutePlan(routes=every, multi=True)

    routes: list[Route] = []
    unserved: list[str] = []
    mailboxes: list[str] = []
    for destination in header.destinations:
        if len(destination) == 2:
            if destination in nodes:
                routes.append(Route(destination, node_function_ori(destination, mke)))
            elif destination in REGION_CODES:
                unserved.append(destination)
            else:
                return Rejection.of(ErReason.INVALID_DESTINATION, raw, ori=header.ori)
            continue
        state, function = destination[:2], destination[2:]
        if state in nodes and function in NODE_FUNCTIONS:
            if mke in NODE_FUNCTIONS[function]:
                routes.append(Route(state, destination))
            else:
                unserved.append(destination)
        elif destination in agencies:
            if mke is MKE.AM:
                mailboxes.append(destination)
            else:
                unserved.append(destination)
        else:
            return Rejection.of(ErReason.INVALID_DESTINATION, raw, ori=header.ori)
    # The same state named twice (NY and NYOLN0000) is asked once.
    unique = tuple({route.state: route for route in routes}.values())
    return RoutePlan(
        routes=unique,
        unserved=tuple(unserved),
        mailboxes=tuple(mailboxes),
        multi=len(header.destinations) > 1,
    )
