"""Agencies as plain values: their type code, missions, status and the ORI that names them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AgencyType(StrEnum):
    """Nlets agency type codes, each with a description and whether it is criminal justice.

    The codes are exactly the policy scenario vocabulary's (scenarios/FORMAT.md).
    """

    PD = "PD"
    SO = "SO"
    SA = "SA"
    LE = "LE"
    FE = "FE"
    JA = "JA"
    JC = "JC"
    JG = "JG"
    JJ = "JJ"
    JF = "JF"
    NJ = "NJ"
    PU = "PU"

    @property
    def description(self) -> str:
        return _TYPE_DESCRIPTIONS[self]

    @property
    def criminal_justice(self) -> bool:
        """False for NJ and PU: state laws often allow criminal-justice agencies only."""
        return self not in _NOT_CRIMINAL_JUSTICE


_NOT_CRIMINAL_JUSTICE = frozenset({AgencyType.NJ, AgencyType.PU})

_TYPE_DESCRIPTIONS: dict[AgencyType, str] = {
    AgencyType.PD: "city police department",
    AgencyType.SO: "sheriff's office",
    AgencyType.SA: "state-wide agency",
    AgencyType.LE: "other law enforcement",
    AgencyType.FE: "federal agency",
    AgencyType.JA: "prosecutor",
    AgencyType.JC: "corrections",
    AgencyType.JG: "probation or parole",
    AgencyType.JJ: "court",
    AgencyType.JF: "federal non-law-enforcement criminal justice",
    AgencyType.NJ: "non-criminal-justice agency",
    AgencyType.PU: "member of the public",
}


class Mission(StrEnum):
    """What an agency does; state policies allow or refuse requests by mission.

    The values are exactly the policy scenario vocabulary's (scenarios/FORMAT.md).
    """

    CRIMINAL_LAW_ENFORCEMENT = "criminal-law-enforcement"
    IMMIGRATION_ENFORCEMENT = "immigration-enforcement"
    BORDER_CUSTOMS = "border-customs"
    TRAFFIC_ENFORCEMENT = "traffic-enforcement"
    MOTOR_VEHICLE_ADMINISTRATION = "motor-vehicle-administration"
    ELECTIONS = "elections"
    CHILD_WELFARE = "child-welfare"
    NON_LAW_ENFORCEMENT = "non-law-enforcement"
    PUBLIC = "public"

    @property
    def description(self) -> str:
        return _MISSION_DESCRIPTIONS[self]


_MISSION_DESCRIPTIONS: dict[Mission, str] = {
    Mission.CRIMINAL_LAW_ENFORCEMENT: "investigating, prosecuting and enforcing criminal law",
    Mission.IMMIGRATION_ENFORCEMENT: "enforcing civil immigration law (arrest, detention, removal)",
    Mission.BORDER_CUSTOMS: "border and customs control at and near ports of entry",
    Mission.TRAFFIC_ENFORCEMENT: "enforcing traffic and motor-vehicle law",
    Mission.MOTOR_VEHICLE_ADMINISTRATION: "issuing driver licences and vehicle registrations",
    Mission.ELECTIONS: "keeping voter rolls and running elections",
    Mission.CHILD_WELFARE: "child protection and welfare services",
    Mission.NON_LAW_ENFORCEMENT: "government work that enforces no law: courts, regulators",
    Mission.PUBLIC: "a member of the public, a journalist or researcher",
}


class AgencyStatus(StrEnum):
    """Whether the switch accepts messages from an agency."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


FEDERAL = "US"
"""The home state of a federal agency: it belongs to no state."""


@dataclass(frozen=True, slots=True)
class Agency:
    """One directory entry, named by its ORI.

    ``home_state`` is the 2-letter code of the jurisdiction the agency answers to, or ``"US"``
    for a federal agency (whose ORI still starts with the code of where it sits). ``node`` marks
    a state's own bureau ORIs (``NYOLN0000``, ``NYLIC0000``, ``NYVIN0000``): the addresses of the
    state node rather than agencies that ask.
    """

    ori: str
    name: str
    agency_type: AgencyType
    home_state: str
    missions: frozenset[Mission]
    status: AgencyStatus = AgencyStatus.ACTIVE
    node: bool = False

    @property
    def federal(self) -> bool:
        return self.home_state == FEDERAL

    @property
    def active(self) -> bool:
        return self.status is AgencyStatus.ACTIVE
