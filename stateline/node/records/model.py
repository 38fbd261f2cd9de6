"""The record model of a state node: people, their addresses, vehicles and driving history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class LicenceStatus(StrEnum):
    """The status of a driver licence (the OLT/ response tag)."""

    VALID = "VALID"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class CredentialType(StrEnum):
    """What kind of card the state issued (the CRT/ response tag).

    A driver privilege card (DPC) is issued without proof of lawful presence, so holding one is
    itself sensitive: it is its own data class in the grammar.
    """

    REAL_ID = "REAL-ID"
    STANDARD = "STANDARD"
    DPC = "DPC"


class HistoryKind(StrEnum):
    """The kinds of event on a driving record (the HIS/ response tag)."""

    CONVICTION = "CONVICTION"
    SUSPENSION = "SUSPENSION"
    ACCIDENT = "ACCIDENT"


@dataclass(frozen=True, slots=True)
class Address:
    """A residential address, lived at from ``since`` until ``until`` (``None``: still there)."""

    street: str
    city: str
    state: str
    zip: str
    since: date
    until: date | None = None


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A registered vehicle: plate (number, year or ``NX``, NCIC type), VIN and description."""

    plate: str
    plate_year: str
    plate_type: str
    vin: str
    make: str
    model: str
    year: int
    colour: str
    owner_id: int


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One entry on a driving record: a conviction, a suspension or an accident."""

    occurred: date
    kind: HistoryKind
    description: str
    points: int = 0


@dataclass(frozen=True, slots=True)
class Person:
    """A licence holder of the node's state, with everything the state holds about them.

    ``middle`` and ``suffix`` are empty strings when absent; ``ssn`` is nine digits, or empty
    for a DPC holder who gave none. ``addresses`` lists the current address first, then prior
    ones newest first; ``history`` lists events newest first.
    """

    id: int
    oln: str
    state: str
    last: str
    first: str
    middle: str
    suffix: str
    dob: date
    sex: str
    ssn: str
    height_in: int
    weight_lb: int
    eyes: str
    hair: str
    licence_class: str
    licence_status: LicenceStatus
    issued: date
    expires: date
    credential: CredentialType
    photo: bytes
    addresses: tuple[Address, ...] = ()
    vehicles: tuple[Vehicle, ...] = ()
    history: tuple[HistoryEvent, ...] = ()

    @property
    def address(self) -> Address | None:
        """The current address, if the state holds one."""
        return self.addresses[0] if self.addresses else None


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A person found by a name search, with how well they match the query (0-100)."""

    person: Person
    score: int
