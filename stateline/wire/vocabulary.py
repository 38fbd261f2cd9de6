"""The closed vocabularies a query carries and a policy decides on: data classes, purposes,
legal-process kinds and missions, with the values of the policy scenario format.

They sit in the wire because the wire carries them (``PRP/``, ``LPK/``, ``LPS/``, ``AFM/``) and
must refuse a value outside them; the directory, the policy and the node import them from here.
On the wire a value is written in capitals (``PRP/CRIMINAL-INVESTIGATION``); ``wire_value`` and
``from_wire`` turn one into the other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class DataClass(StrEnum):
    """The kinds of data an answer can carry; a policy releases or withholds each one.

    The names are the policy scenario vocabulary's (scenarios/FORMAT.md): identity covers the
    name, date of birth, sex, licence number and licence status. The last four classes have no
    response tags yet: no node releases them, but a policy can be asked about them.
    """

    IDENTITY = "identity"
    ADDRESS = "address"
    PHYSICAL = "physical-description"
    PHOTO = "photo"
    VEHICLES = "vehicles"
    HISTORY = "driving-history"
    SSN = "ssn"
    CREDENTIAL_TYPE = "credential-type"
    SOURCE_DOCUMENTS = "source-documents"
    IMMIGRATION_STATUS = "immigration-status"
    CONTACT = "contact"
    EMPLOYMENT = "employment"


class Purpose(StrEnum):
    """Why the requester asks (scenario vocabulary)."""

    CRIMINAL_INVESTIGATION = "criminal-investigation"
    CIVIL_IMMIGRATION_ENFORCEMENT = "civil-immigration-enforcement"
    TRAFFIC_ENFORCEMENT = "traffic-enforcement"
    BORDER_ADMISSIBILITY = "border-admissibility"
    TRUSTED_TRAVELER_VETTING = "trusted-traveler-vetting"
    CHILD_WELFARE = "child-welfare"
    VOTER_REGISTRATION = "voter-registration"
    MOTOR_VEHICLE_ADMINISTRATION = "motor-vehicle-administration"
    JOURNALISM = "journalism"
    UNSTATED = "unstated"


class LegalProcess(StrEnum):
    """The kind of legal process attached to a request (scenario vocabulary)."""

    NONE = "none"
    ADMINISTRATIVE_WARRANT = "administrative-warrant"  # e.g. DHS I-200 / I-205
    ADMINISTRATIVE_SUBPOENA = "administrative-subpoena"
    JUDICIAL_WARRANT = "judicial-warrant"  # an Article III federal judge or a state judge
    MAGISTRATE_WARRANT = "magistrate-warrant"  # a U.S. magistrate judge
    COURT_ORDER = "court-order"
    JUDICIAL_SUBPOENA = "judicial-subpoena"  # court-issued, for individual records
    GRAND_JURY_SUBPOENA = "grand-jury-subpoena"  # federal grand-jury or trial subpoena
    SUBJECT_CONSENT = "subject-consent"


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

_Term = TypeVar("_Term", DataClass, Purpose, LegalProcess, Mission)


def wire_value(term: StrEnum) -> str:
    """A vocabulary value as the text form writes it: ``criminal-investigation`` becomes
    ``CRIMINAL-INVESTIGATION`` (tags and values on the wire are capitals)."""
    return term.value.upper()


def from_wire(vocabulary: type[_Term], value: str) -> _Term:
    """The term a wire value names; ``ValueError`` for a value outside the vocabulary."""
    return vocabulary(value.lower())


def wire_list(vocabulary: type[_Term], value: str) -> frozenset[_Term]:
    """The terms of a comma-separated wire list (``ADDRESS,PHOTO``); ``ValueError`` if one is
    outside the vocabulary."""
    return frozenset(from_wire(vocabulary, item) for item in value.split(","))
