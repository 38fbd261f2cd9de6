"""Records as wire response records: (TAG, value) pairs in the grammar's order, every class present.

Nothing is withheld here: a separate redaction step drops the data classes a policy withheld,
reading each tag's class from ``grammar.RESPONSE_TAGS``. Values never hold ``.`` or a line
break (the text format's separators); compound values (PAD, HIS) join their parts with ``;``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date

from stateline.node.records.model import Address, Person, Vehicle
from stateline.wire.grammar import RESPONSE_TAG_ORDER
from stateline.wire.messages import Fields

_ORDER = {tag: position for position, tag in enumerate(RESPONSE_TAG_ORDER)}
_UNSAFE = str.maketrans({".": " ", "\n": " ", "\r": " ", ";": ","})


def _clean(value: str) -> str:
    """``value`` with the format's separators replaced: ST. LOUIS becomes ST LOUIS."""
    return " ".join(value.translate(_UNSAFE).split())


def _day(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _ordered(pairs: Iterable[tuple[str, str]]) -> Fields:
    # sorted() is stable, so repeated tags (PAD, HIS) keep the order they were given in.
    return tuple(
        sorted(((tag, value) for tag, value in pairs if value), key=lambda p: _ORDER[p[0]])
    )


def nam(person: Person) -> str:
    """The NAM/ value: ``LAST,FIRST MIDDLE SUFFIX`` (NLETS-FORMAT "Tags")."""
    given = " ".join(part for part in (person.first, person.middle, person.suffix) if part)
    return _clean(f"{person.last},{given}")


def _identity(person: Person) -> list[tuple[str, str]]:
    return [
        ("OLN", person.oln),
        ("NAM", nam(person)),
        ("DOB", _day(person.dob)),
        ("SEX", person.sex),
    ]


def _licence(person: Person) -> list[tuple[str, str]]:
    return [
        ("OLS", person.state),
        ("OLC", person.licence_class),
        ("OLT", person.licence_status.value),
        ("OLI", _day(person.issued)),
        ("OLE", _day(person.expires)),
    ]


def _current_address(address: Address | None) -> list[tuple[str, str]]:
    if address is None:
        return []
    return [
        ("ADR", _clean(address.street)),
        ("CTY", _clean(address.city)),
        ("STA", address.state),
        ("ZIP", address.zip),
    ]


def _prior_address(address: Address) -> str:
    parts = (address.street, address.city, address.state, address.zip)
    return ";".join([*map(_clean, parts), _day(address.since), _day(address.until)])


def _height(inches: int) -> str:
    feet, rest = divmod(inches, 12)
    return f"{feet}{rest:02d}"


def driver_fields(person: Person, *, score: int | None, photo: bool) -> Fields:
    """A DR record: identity, licence, credential type, current and prior addresses, physical
    description, SSN, the photo when ``photo`` (IMQ/Y), and the match score of a name search."""
    pairs = [
        ("SCR", "" if score is None else str(score)),
        *_identity(person),
        *_licence(person),
        ("CRT", person.credential.value),
        *_current_address(person.address),
        *(("PAD", _prior_address(a)) for a in person.addresses[1:]),
        ("HGT", _height(person.height_in)),
        ("WGT", str(person.weight_lb)),
        ("EYE", person.eyes),
        ("HAI", person.hair),
        ("SOC", person.ssn),
    ]
    if photo and person.photo:
        pairs.append(("IMG", base64.b64encode(person.photo).decode("ascii")))
    return _ordered(pairs)


def vehicle_fields(vehicle: Vehicle, owner: Person) -> Fields:
    """An RR record: the vehicle, and its registered owner's name, DOB and current address."""
    return _ordered(
        [
            ("NAM", nam(owner)),
            ("DOB", _day(owner.dob)),
            *_current_address(owner.address),
            ("LIC", vehicle.plate),
            ("LIY", vehicle.plate_year),
            ("LIT", vehicle.plate_type),
            ("VIN", vehicle.vin),
            ("VYR", str(vehicle.year)),
            ("VMA", _clean(vehicle.make)),
            ("VMO", _clean(vehicle.model)),
            ("VCO", vehicle.colour),
        ]
    )


def _event(event_day: date, kind: str, description: str, points: int) -> str:
    return f"{_day(event_day)};{kind};{_clean(description)};{points}"


def history_fields(person: Person) -> Fields:
    """A KR record: identity, licence, and one HIS line per event, newest first."""
    return _ordered(
        [
            *_identity(person),
            *_licence(person),
            *(
                ("HIS", _event(e.occurred, e.kind.value, e.description, e.points))
                for e in person.history
            ),
        ]
    )
