"""Pure checks of ORIs, directory entries and senders, with the ER reason for each refusal."""

from __future__ import annotations

from enum import Enum

from stateline.directory.model import FEDERAL, Agency
from stateline.wire.errors import ErReason
from stateline.wire.grammar import ORI_RE, REGION_CODES, SWITCH_ORI, US_STATES

ORI_LENGTH = 9
MAX_NAME = 100
"""Longest agency name the directory holds (Stateline's choice; it is shown, never parsed)."""

# The three bureau ORIs of a state node (NLETS-FORMAT.md, "A message", item 3): the licence
# bureau answers DQ and KQ, the registration agency RQ by plate or by VIN.
OLN_SUFFIX = "OLN0000"
LIC_SUFFIX = "LIC0000"
VIN_SUFFIX = "VIN0000"
NODE_SUFFIXES = (OLN_SUFFIX, LIC_SUFFIX, VIN_SUFFIX)


def state_of(ori: str) -> str:
    """The region code an ORI starts with (for a federal agency: where it sits, not ``US``)."""
    return ori[:2]


def check_ori(ori: str) -> str | None:
    """None if ``ori`` is a well-formed ORI, else a plain reason why not."""
    if len(ori) != ORI_LENGTH:
        return f"ORI must be {ORI_LENGTH} characters, not {len(ori)}"
    if not ORI_RE.fullmatch(ori):
        return "ORI must be 2 capital letters then 7 capital letters or digits"
    if state_of(ori) not in REGION_CODES:
        return f"ORI starts with {state_of(ori)!r}, which is not a state or region code"
    return None


def _node_state(state: str) -> str:
    if state not in US_STATES:
        raise ValueError(f"{state!r} is not one of the 50 states or DC, which run the nodes")
    return state


def node_ori(state: str) -> str:
    """The ORI of a state's licence bureau, ``xxOLN0000``, where DQ and KQ go."""
    return _node_state(state) + OLN_SUFFIX


def lic_ori(state: str) -> str:
    """The ORI of a state's registration agency for plate queries, ``xxLIC0000``."""
    return _node_state(state) + LIC_SUFFIX


def vin_ori(state: str) -> str:
    """The ORI of a state's registration agency for VIN queries, ``xxVIN0000``."""
    return _node_state(state) + VIN_SUFFIX


def node_oris(state: str) -> tuple[str, str, str]:
    """The three bureau ORIs of a state node: licence, plate, VIN."""
    return node_ori(state), lic_ori(state), vin_ori(state)


def is_node_ori(ori: str) -> bool:
    """True for the bureau ORIs of the 50 states and DC (``NYOLN0000`` and its two siblings)."""
    return state_of(ori) in US_STATES and ori[2:] in NODE_SUFFIXES


def check_agency(agency: Agency) -> str | None:
    """None if ``agency`` may stand in the directory, else a plain reason why not.

    Beyond a valid ORI: the switch's own ORI is never an agency; a state agency's ORI starts with
    its home state (a federal one, home ``US``, may sit anywhere); ``node`` is set exactly on
    the bureau ORIs, so routing can trust it; every agency has at least one mission, because
    state policies decide by mission and an agency without one could only ever be refused;
    its certifications pass ``check_certifications``.
    """
    problem = check_ori(agency.ori)
    if problem:
        return problem
    if agency.ori == SWITCH_ORI:
        return f"{SWITCH_ORI} is the switch's own ORI, not an agency"
    if not agency.name.strip():
        return "name is empty"
    if len(agency.name) > MAX_NAME:
        return f"name is longer than {MAX_NAME} characters"
    if agency.home_state not in REGION_CODES:
        return f"home state {agency.home_state!r} is not a state or region code, nor 'US'"
    if agency.home_state != FEDERAL and agency.home_state != state_of(agency.ori):
        return f"ORI starts with {state_of(agency.ori)!r} but home state is {agency.home_state!r}"
    if agency.node != is_node_ori(agency.ori):
        return "node must be true exactly for a state's xxOLN0000, xxLIC0000 and xxVIN0000 ORIs"
    if not agency.missions:
        return "no missions"
    return check_certifications(agency)


def check_certifications(agency: Agency) -> str | None:
    """None if the agency's certifications are each with a state that runs a node, at most one
    per state, in state order, and end after they start; else a plain reason why not."""
    states = [c.state for c in agency.certifications]
    for certification in agency.certifications:
        if certification.state not in US_STATES:
            return f"certification with {certification.state!r}, which runs no node"
        expires = certification.expires
        if expires is not None and expires <= certification.filed:
            return f"certification with {certification.state} expires before it is filed"
    if len(set(states)) != len(states):
        return "more than one certification with one state"
    if states != sorted(states):
        return "certifications are not in state order"
    return None


class SenderRefusal(Enum):
    """Why the switch refuses a message's sender; ``reason`` is the ER reason it answers with."""

    NO_CREDENTIAL = ErReason.NO_CREDENTIAL
    UNKNOWN_SENDER = ErReason.UNKNOWN_SENDER
    CREDENTIAL_MISMATCH = ErReason.CREDENTIAL_MISMATCH
    AGENCY_SUSPENDED = ErReason.AGENCY_SUSPENDED

    @property
    def reason(self) -> ErReason:
        reason: ErReason = self.value
        return reason


def check_sender(
    agency: Agency | None, presented_ori: str, credential_ori: str | None
) -> SenderRefusal | None:
    """None if the sender may send, else the first refusal in the switch's order.

    ``presented_ori`` is the sending ORI in the message header and ``agency`` its directory entry
    (None if there is none). ``credential_ori`` is the ORI the presented credential is bound to:
    None when no credential came, or when it matched no active credential (unknown or revoked),
    both of which mean the sender is unauthenticated. The order matters: nothing about the
    directory is told to a sender who has not authenticated.
    """
    if agency is not None and agency.ori != presented_ori:
        # A caller bug, not a bad message: the entry must be the one for the header's ORI.
        raise ValueError(f"agency {agency.ori} passed for sending ORI {presented_ori}")
    if credential_ori is None:
        return SenderRefusal.NO_CREDENTIAL
    if agency is None:
        return SenderRefusal.UNKNOWN_SENDER
    if credential_ori != presented_ori:
        return SenderRefusal.CREDENTIAL_MISMATCH
    if not agency.active:
        return SenderRefusal.AGENCY_SUSPENDED
    return None
