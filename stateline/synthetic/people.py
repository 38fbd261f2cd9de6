"""A deterministic synthetic population for a state node: one state and seed, one population.

Everyone generated is invented: names come from frequency lists, streets from common street
words, SSNs from the 900-999 area the SSA never issues, and licence numbers, plates and VINs
from per-state patterns (VINs carry a valid check digit). Dates are relative to ``AS_OF``, not
today, so a seed means the same population on any day.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import date
from itertools import accumulate, product
from typing import Generic, TypeVar

from stateline.node.records.model import (
    Address,
    CredentialType,
    HistoryEvent,
    HistoryKind,
    LicenceStatus,
    Person,
    Vehicle,
)
from stateline.node.records.vin import VIN_ALPHABET, check_digit, year_code
from stateline.synthetic import catalogue, names, places
from stateline.synthetic.patterns import FORMATS, UniqueDraw, capacity
from stateline.synthetic.photo import VARIANTS, portrait

AS_OF = date(2025, 10, 1)
"""The day the population is generated "as of": ages, expiry and history are relative to it."""

DPC_STATES = frozenset(
    {"CA", "CO", "CT", "DC", "DE", "HI", "IL", "MA", "MD", "MN"}
    | {"NJ", "NM", "NV", "NY", "OR", "UT", "VA", "VT", "WA"}
)
"""Jurisdictions that issue licences without proof of lawful presence (driver privilege cards)."""

CLASS_D_STATES = frozenset({"IL", "NJ", "NY", "OH"})
"""Where the ordinary passenger licence is class D rather than class C."""

_RENEWAL_DAYS = 8 * 365 + 2
_SIXTEEN_YEARS = 16 * 365 + 4  # the licensing age, give or take a day
# Enum members bound to module names: attribute lookups on an Enum class are slow in a hot loop.
_VALID, _EXPIRED = LicenceStatus.VALID, LicenceStatus.EXPIRED
_SUSPENDED, _REVOKED = LicenceStatus.SUSPENDED, LicenceStatus.REVOKED
_REAL_ID, _STANDARD, _DPC = CredentialType.REAL_ID, CredentialType.STANDARD, CredentialType.DPC
_VDS3 = ["".join(chars) for chars in product(VIN_ALPHABET, repeat=3)]
_VDS2 = ["".join(chars) for chars in product(VIN_ALPHABET, repeat=2)]
_SUFFIXES = (("JR", 60), ("SR", 25), ("II", 4), ("III", 9), ("IV", 2))
_STATUSES = (
    (LicenceStatus.VALID, 880),
    (LicenceStatus.EXPIRED, 60),
    (LicenceStatus.SUSPENDED, 50),
    (LicenceStatus.REVOKED, 10),
)
_VEHICLE_COUNTS = ((0, 28), (1, 42), (2, 22), (3, 8))
_EVENT_COUNTS = ((0, 65), (1, 20), (2, 9), (3, 4), (4, 2))
_PRIOR_ADDRESSES = ((0, 50), (1, 30), (2, 20))


T = TypeVar("T")


class _Weighted(Generic[T]):
    """Weighted choice by bisecting cumulative weights: far cheaper than ``random.choices``."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, u: float) -> T:
        """The item for ``u``, a uniform draw in [0, 1)."""
        return self.items[bisect(self.cumulative, u * self.total)]


def _ranked(items: Sequence[str], flatten: int) -> _Weighted[str]:
    # Zipf-like: the n-th most common name is about 1/(n + flatten) as frequent as the first.
    return _Weighted([(item, 1 / (rank + flatten)) for rank, item in enumerate(items)])


def _age_weight(age: int) -> float:
    if age < 20:
        return 0.4 + 0.15 * (age - 16)  # fewer teenagers hold a licence
    if age < 65:
        return 1.0
    return max(0.05, 1.0 - (age - 65) / 32)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Population:
    """All the tables and counters one generated population draws from."""

    def __init__(self, state: str, seed: int, as_of: date) -> None:
        self.state = state
        self.as_of = as_of
        self.today = as_of.toordinal()
        self.issues_dpc = state in DPC_STATES
        self.rng = random.Random(f"stateline:{state}:{seed}")
        oln_pattern, plate_pattern = FORMATS[state]
        self.oln = UniqueDraw.seeded(oln_pattern, self.rng)
        self.plate = UniqueDraw.seeded(plate_pattern, self.rng)
        self.ssn = UniqueDraw.seeded("99999999", self.rng)
        self.vin_serial = UniqueDraw.seeded("V999999", self.rng)
        self.vehicles_made = 0
        cities = places.CITIES[state]
        self.cities = _Weighted([(c, len(cities) - i) for i, c in enumerate(cities)])
        self.other_states = [s for s in FORMATS if s != state]
        self.surnames = _ranked(names.SURNAMES, 20)
        self.first = {
            ("M", False): _ranked(names.MALE_OLDER, 8),
            ("M", True): _ranked(names.MALE_YOUNGER, 8),
            ("F", False): _ranked(names.FEMALE_OLDER, 8),
            ("F", True): _ranked(names.FEMALE_YOUNGER, 8),
        }
        ages = range(16, 96)
        # For each age, the DOB range of people that age on as_of: (earliest ordinal, span).
        self.dob_ranges = _Weighted(
            [
                (
                    (
                        _add_years(as_of, -age - 1).toordinal() + 1,
                        _add_years(as_of, -age).toordinal(),
                    ),
                    _age_weight(age),
                )
                for age in ages
            ]
        )
        self.suffixes = _Weighted(_SUFFIXES)
        self.statuses = _Weighted(_STATUSES)
        self.eyes = _Weighted(catalogue.EYES)
        self.hair = _Weighted(catalogue.HAIR)
        self.colours = _Weighted(catalogue.COLOURS)
        self.makes = _Weighted([(make, share) for make, share, *_ in catalogue.MAKES])
        self.make_info = {make: (wmis, models) for make, _, wmis, models in catalogue.MAKES}
        self.vehicle_counts = _Weighted(_VEHICLE_COUNTS)
        self.event_counts = _Weighted(_EVENT_COUNTS)
        self.prior_counts = _Weighted(_PRIOR_ADDRESSES)
        self.event_kinds = _Weighted(catalogue.EVENT_KINDS)
        self.convictions = _Weighted([((d, p), w) for d, p, w in catalogue.CONVICTIONS])
        self.accidents = _Weighted([((d, p), w) for d, p, w in catalogue.ACCIDENTS])
        self.suspensions = _Weighted(catalogue.SUSPENSIONS)
        self.base_class = "D" if state in CLASS_D_STATES else "C"

    def person(self, index: int) -> Person:
        rng = self.rng
        r = rng.random
        today = self.today
        u = r()
        sex = "F" if u < 0.505 else ("M" if u < 0.997 else "X")
        start, end = self.dob_ranges.pick(r())
        born = start + int(r() * (end - start + 1))
        dob = date.fromordinal(born)
        names_sex = sex if sex != "X" else ("M" if r() < 0.5 else "F")
        given = self.first[names_sex, dob.year >= 1975]
        first = given.pick(r())
        middle = given.pick(r()) if r() < 0.8 else ""
        if middle == first:
            middle = ""
        last = self._surname()
        suffix = self.suffixes.pick(r()) if sex == "M" and r() < 0.05 else ""
        age = (today - born) // 365

        # r()+r()+r()-1.5 is a cheap bell curve with a standard deviation of 0.5.
        bell, bell2 = r() + r() + r() - 1.5, r() + r() + r() - 1.5
        if sex == "F":
            height, weight = 64.0 + 5.6 * bell, 165.0 + 76.0 * bell2
        else:
            height, weight = 69.3 + 6.0 * bell, 195.0 + 80.0 * bell2
        height_in = min(84, max(54, round(height)))
        weight_lb = min(400, max(95, round(weight)))
        hair = self.hair.pick(r())
        if age >= 55 and r() < (age - 45) / 50:
            hair = "GRY" if r() < 0.7 else ("WHI" if sex != "M" or r() < 0.5 else "BAL")

        status = self.statuses.pick(r())
        licensed = born + _SIXTEEN_YEARS
        if status is _EXPIRED and today - licensed < 400:
            status = _VALID
        if status is _EXPIRED:
            expires = today - 1 - int(r() * min(1500, today - licensed - 1))
        else:
            expires = today + 1 + int(r() * _RENEWAL_DAYS)
        issued = max(licensed, expires - _RENEWAL_DAYS)
        u = r()
        licence_class = "A" if u < 0.02 else ("B" if u < 0.03 else ("M" if u < 0.045 else None))
        if licence_class is None:
            licence_class = self.base_class
        u = r()
        if self.issues_dpc and u < 0.04:
            credential, ssn = _DPC, ""
        else:
            credential = _REAL_ID if u < 0.62 else _STANDARD
            ssn = "9" + self.ssn(index)

        person_id = index + 1
        return Person(
            id=person_id,
            oln=self.oln(index),
            state=self.state,
            last=last,
            first=first,
            middle=middle,
            suffix=suffix,
            dob=dob,
            sex=sex,
            ssn=ssn,
            height_in=height_in,
            weight_lb=weight_lb,
            eyes=self.eyes.pick(r()),
            hair=hair,
            licence_class=licence_class,
            licence_status=status,
            issued=date.fromordinal(issued),
            expires=date.fromordinal(expires),
            credential=credential,
            photo=portrait(int(r() * VARIANTS)),
            addresses=self._addresses(licensed),
            vehicles=self._vehicles(person_id, self.vehicle_counts.pick(r())),
            history=self._history(licensed, status),
        )

    def _surname(self) -> str:
        r = self.rng.random
        u = r()
        if u < 0.03:
            parts = names.HYPHEN_PARTS
            first = parts[int(r() * len(parts))]
            second = parts[int(r() * len(parts))]
            return first if first == second else f"{first}-{second}"
        if u < 0.04:
            return names.COMPOUND_SURNAMES[int(r() * len(names.COMPOUND_SURNAMES))]
        return self.surnames.pick(r())

    def _address(self, state: str, since: date, until: date | None) -> Address:
        r = self.rng.random
        if state == self.state:
            city, zip3 = self.cities.pick(r())
        else:
            options = places.CITIES[state]
            city, zip3 = options[int(r() * len(options))]
        number = int(10 ** (1 + r() * 3.7))  # house numbers: more small than large
        name = places.STREET_NAMES[int(r() * len(places.STREET_NAMES))]
        kind = places.STREET_TYPES[int(r() * len(places.STREET_TYPES))]
        street = f"{number} {name} {kind}"
        if r() < 0.15:
            street += f" APT {1 + int(r() * 40)}{'ABCD'[int(r() * 4)]}"
        return Address(street, city, state, f"{zip3}{int(r() * 100):02d}", since, until)

    def _addresses(self, licensed: int) -> tuple[Address, ...]:
        r = self.rng.random
        latest = self.today - 30
        since = latest - int(r() * max(1, min(7300, latest - licensed)))
        out = [self._address(self.state, date.fromordinal(since), None)]
        for _ in range(self.prior_counts.pick(r())):
            until = since - 1
            since = until - 180 - int(r() * 2500)
            if since < licensed:
                break
            moved = r() < 0.2
            state = self.other_states[int(r() * len(self.other_states))] if moved else self.state
            out.append(self._address(state, date.fromordinal(since), date.fromordinal(until)))
        return tuple(out)

    def _vehicles(self, owner_id: int, count: int) -> tuple[Vehicle, ...]:
        rng = self.rng
        r = rng.random
        out = []
        for _ in range(count):
            n = self.vehicles_made
            self.vehicles_made += 1
            make = self.makes.pick(r())
            wmis, models = self.make_info[make]
            model, plate_type = models[int(r() * len(models))]
            # Most cars on the road are a few years old; few are older than twenty.
            year = max(1990, self.as_of.year + 1 - int(abs(r() + r() + r() - 1.5) * 16))
            vds = _VDS3[int(r() * len(_VDS3))] + _VDS2[int(r() * len(_VDS2))]
            body = f"{wmis[int(r() * len(wmis))]}{vds}0{year_code(year)}{self.vin_serial(n)}"
            vin = body[:8] + check_digit(body) + body[9:]
            plate_year = "NX" if r() < 0.05 else str(self.as_of.year + (r() < 0.5))
            colour = self.colours.pick(r())
            plate = self.plate(n)
            out.append(
                Vehicle(plate, plate_year, plate_type, vin, make, model, year, colour, owner_id)
            )
        return tuple(out)

    def _history(self, licensed: int, status: LicenceStatus) -> tuple[HistoryEvent, ...]:
        r = self.rng.random
        as_of = self.today
        # Records keep about ten years of events.
        earliest = max(licensed, as_of - 3650)
        span = max(1, as_of - earliest)
        events = []
        for _ in range(self.event_counts.pick(r())):
            on = date.fromordinal(earliest + int(r() * span))
            kind = self.event_kinds.pick(r())
            table = self.convictions if kind is HistoryKind.CONVICTION else self.accidents
            description, points = table.pick(r())
            events.append(HistoryEvent(on, kind, description, points))
        recent = date.fromordinal(max(earliest, as_of - int(r() * 700) - 1))
        if status is _SUSPENDED:
            reason = self.suspensions.pick(r())
            events.append(HistoryEvent(recent, HistoryKind.SUSPENSION, reason))
        elif status is _REVOKED:
            dui = date.fromordinal(max(earliest, recent.toordinal() - 30))
            events.append(
                HistoryEvent(dui, HistoryKind.CONVICTION, "DRIVING UNDER THE INFLUENCE", 8)
            )
            events.append(HistoryEvent(recent, HistoryKind.SUSPENSION, "REVOCATION AFTER DUI"))
        events.sort(key=lambda e: e.occurred, reverse=True)
        return tuple(events)


def generate_people(
    state: str, count: int, seed: int = 0, *, as_of: date = AS_OF
) -> Iterator[Person]:
    """Yield ``count`` synthetic licence holders of ``state`` (ids 1..count) with 0-3 vehicles.

    Licence numbers, SSNs, plates and VINs are unique within one call. Raises ``ValueError``
    for an unknown state, or a count larger than the state's licence-number format can hold.
    """
    if state not in FORMATS:
        raise ValueError(f"no licence format for {state!r}")
    if count > capacity(FORMATS[state][0]):
        raise ValueError(f"{state} licence numbers cannot number {count} people")
    population = _Population(state, seed, as_of)
    for index in range(count):
        yield population.person(index)
