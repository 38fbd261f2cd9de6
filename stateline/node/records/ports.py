"""What a node's search needs of its records store: lookup by licence number, name, plate, VIN.

``stateline.storage.records.SqlRecordStore`` implements it; ``stateline.bootstrap`` hands it to
the node. Every method raises :class:`~stateline.errors.StorageError` when the store fails.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from stateline.node.records.model import NameMatch, Person, Vehicle


class RecordStore(Protocol):
    """The records a node searches; an empty answer means NOT ON FILE."""

    def by_oln(self, oln: str) -> Person | None:
        """The holder of licence number ``oln``."""
        ...

    def by_name(
        self, last: str, first: str, dob: date, sex: str, limit: int = ...
    ) -> list[NameMatch]:
        """People born on ``dob`` whose name matches, best first."""
        ...

    def by_plate(
        self, plate: str, plate_year: str, plate_type: str
    ) -> list[tuple[Vehicle, Person]]:
        """Vehicles under this plate number, year and type, with their owners."""
        ...

    def by_vin(self, vin: str) -> list[tuple[Vehicle, Person]]:
        """Vehicles with this VIN, with their owners."""
        ...

    def close(self) -> None:
        """Hand back what the store holds open (before its database is closed)."""
        ...
