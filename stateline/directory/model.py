"""Agencies as plain values: their type code, missions, status, the use certifications they have
filed with states, and the ORI that names them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# Missions travel on the wire too (AFM/, an officer acting for another agency), so the wire's
# vocabulary defines them; the directory names them from here as it always has.
from stateline.wire.vocabulary import Mission as Mission


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


class AgencyStatus(StrEnum):
    """Whether the switch accepts messages from an agency."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


FEDERAL = "US"
"""The home state of a federal agency: it belongs to no state."""


@dataclass(frozen=True, slots=True)
class Certification:
    """A use certification an agency has filed with one state, as that state's law asks.

    Colorado's yearly certification of no immigration-enforcement use (C.R.S. 24-74-105),
    Maryland's penalty-of-perjury statement (Pub. Safety 3-529), New York's recipient
    certification: the policy reads each as "certification on file" for requests to that state
    while it is current. ``expires`` is the first day it no longer holds (None: until withdrawn).
    """

    state: str
    filed: date
    expires: date | None = None

    def current(self, on: date) -> bool:
        """Filed on or before ``on`` and not yet expired."""
        return self.filed <= on and (self.expires is None or on < self.expires)


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
    certifications: tuple[Certification, ...] = ()  # one per state at most, sorted by state

    @property
    def federal(self) -> bool:
        return self.home_state == FEDERAL

    @property
    def active(self) -> bool:
        return self.status is AgencyStatus.ACTIVE

    def certified_with(self, state: str, on: date) -> bool:
        """Whether a current use certification of this agency is on file with ``state``."""
        return any(c.state == state and c.current(on) for c in self.certifications)
