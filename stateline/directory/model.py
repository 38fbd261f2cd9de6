"""Agencies as plain values: their type code, missions, status and the ORI that names them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AgencyType(StrEnum):
    """Nlets agency type codes, each with a description and whether it is criminal justice."""

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

    @property
    def description(self) -> str:
        return _TYPE_DESCRIPTIONS[self]

    @property
    def criminal_justice(self) -> bool:
        """True for every type but NJ: state laws often allow criminal-justice agencies only."""
        return self is not AgencyType.NJ


_TYPE_DESCRIPTIONS: dict[AgencyType, str] = {
    AgencyType.PD: "police department",
    AgencyType.SO: "sheriff's office",
    AgencyType.SA: "state agency",
    AgencyType.LE: "other law enforcement",
    AgencyType.FE: "federal agency",
    AgencyType.JA: "prosecutor",
    AgencyType.JC: "corrections",
    AgencyType.JG: "probation or parole",
    AgencyType.JJ: "juvenile justice",
    AgencyType.JF: "court",
    AgencyType.NJ: "non-criminal-justice agency",
}


class Mission(StrEnum):
    """What an agency does; state policies allow or refuse requests by mission."""

    CRIMINAL_LAW_ENFORCEMENT = "criminal-law-enforcement"
    TRAFFIC_ENFORCEMENT = "traffic-enforcement"
    IMMIGRATION_ENFORCEMENT = "immigration-enforcement"
    BORDER_CUSTOMS = "border-customs"
    CORRECTIONS = "corrections"
    PROBATION_PAROLE = "probation-parole"
    JUVENILE_JUSTICE = "juvenile-justice"
    COURTS = "courts"
    PROSECUTION = "prosecution"
    LICENSING = "licensing"
    PUBLIC_SAFETY = "public-safety"
    REGULATORY = "regulatory"

    @property
    def description(self) -> str:
        return _MISSION_DESCRIPTIONS[self]


_MISSION_DESCRIPTIONS: dict[Mission, str] = {
    Mission.CRIMINAL_LAW_ENFORCEMENT: "investigating and enforcing criminal law",
    Mission.TRAFFIC_ENFORCEMENT: "enforcing traffic and motor-vehicle law",
    Mission.IMMIGRATION_ENFORCEMENT: "enforcing civil immigration law (arrest, detention, removal)",
    Mission.BORDER_CUSTOMS: "border and customs control at and near ports of entry",
    Mission.CORRECTIONS: "custody of people in jails and prisons",
    Mission.PROBATION_PAROLE: "supervising people on probation or parole",
    Mission.JUVENILE_JUSTICE: "juvenile courts, detention and supervision",
    Mission.COURTS: "adjudication: courts and their clerks",
    Mission.PROSECUTION: "prosecuting criminal cases",
    Mission.LICENSING: "issuing driver licences and vehicle registrations",
    Mission.PUBLIC_SAFETY: "emergency management, fire and rescue",
    Mission.REGULATORY: "civil regulation: motor carriers, insurance, licensing boards",
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
