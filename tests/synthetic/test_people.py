"""The synthetic population: deterministic, varied, plausible, and plainly synthetic."""

from __future__ import annotations

import re
import struct
from collections import Counter
from datetime import date

import pytest

from stateline.node.records.model import CredentialType, LicenceStatus, Person
from stateline.node.records.vin import is_valid
from stateline.synthetic.patterns import FORMATS
from stateline.synthetic.people import AS_OF, DPC_STATES, generate_people
from stateline.synthetic.places import CITIES
from stateline.wire.grammar import PLATE_TYPES, SEX_CODES, US_STATES

_CLASS = {"A": "[A-Z]", "9": "[0-9]", "X": "[A-Z0-9]"}


def shape(pattern: str) -> re.Pattern[str]:
    """The regular expression a pattern of the patterns module describes."""
    return re.compile("".join(_CLASS.get(c, re.escape(c)) for c in pattern))


@pytest.fixture(scope="module")
def californians() -> list[Person]:
    return list(generate_people("CA", 3000, seed=7))


def age(person: Person) -> int:
    dob = person.dob
    return AS_OF.year - dob.year - ((AS_OF.month, AS_OF.day) < (dob.month, dob.day))


def test_same_seed_gives_the_same_people() -> None:
    assert list(generate_people("NY", 300, seed=3)) == list(generate_people("NY", 300, seed=3))


def test_another_seed_or_state_gives_other_people() -> None:
    first = list(generate_people("NY", 50, seed=3))
    assert first != list(generate_people("NY", 50, seed=4))
    assert [p.oln for p in first] != [p.oln for p in generate_people("NJ", 50, seed=3)]


def test_a_shorter_run_is_a_prefix_of_a_longer_one() -> None:
    assert list(generate_people("TX", 40)) == list(generate_people("TX", 100))[:40]


def test_every_jurisdiction_has_formats_and_cities() -> None:
    assert set(FORMATS) == set(US_STATES) == set(CITIES)


@pytest.mark.parametrize("state", US_STATES)
def test_licence_numbers_and_plates_follow_the_state_format(state: str) -> None:
    people = list(generate_people(state, 60))
    oln_shape, plate_shape = (shape(p) for p in FORMATS[state])
    assert all(oln_shape.fullmatch(p.oln) for p in people)
    plates = [v.plate for p in people for v in p.vehicles]
    assert all(plate_shape.fullmatch(plate) for plate in plates)
    assert all(p.state == state and p.address and p.address.state == state for p in people)


def test_identifiers_are_unique(californians: list[Person]) -> None:
    vehicles = [v for p in californians for v in p.vehicles]
    for values in (
        [p.id for p in californians],
        [p.oln for p in californians],
        [p.ssn for p in californians if p.ssn],
        [v.plate for v in vehicles],
        [v.vin for v in vehicles],
    ):
        assert len(values) == len(set(values))
    assert [p.id for p in californians] == list(range(1, 3001))


def test_every_vin_has_a_valid_check_digit(californians: list[Person]) -> None:
    vins = [v.vin for p in californians for v in p.vehicles]
    assert vins and all(is_valid(vin) for vin in vins)
    assert not any(c in vin for vin in vins for c in "IOQ")


def test_ssns_are_in_the_area_never_issued(californians: list[Person]) -> None:
    for person in californians:
        if person.credential is CredentialType.DPC:
            assert person.ssn == ""
        else:
            assert re.fullmatch(r"9[0-9]{8}", person.ssn)


def test_driver_privilege_cards_only_where_states_issue_them() -> None:
    assert "CA" in DPC_STATES and "TX" not in DPC_STATES
    texans = list(generate_people("TX", 2000))
    assert not any(p.credential is CredentialType.DPC for p in texans)


def test_people_are_plausible(californians: list[Person]) -> None:
    for p in californians:
        assert 16 <= age(p) <= 95
        assert p.sex in SEX_CODES
        assert 54 <= p.height_in <= 84 and 95 <= p.weight_lb <= 400
        assert p.issued < p.expires and p.issued >= p.dob
        assert (p.expires < AS_OF) == (p.licence_status is LicenceStatus.EXPIRED)
        assert 0 <= len(p.vehicles) <= 3
        assert all(v.owner_id == p.id and v.plate_type in PLATE_TYPES for v in p.vehicles)
        assert all(1990 <= v.year <= AS_OF.year + 1 for v in p.vehicles)
        assert all(v.plate_year == "NX" or v.plate_year in {"2025", "2026"} for v in p.vehicles)


def test_addresses_run_back_in_time_without_overlap(californians: list[Person]) -> None:
    for p in californians:
        current, *prior = p.addresses
        assert current.until is None and current.since <= AS_OF
        newer = current
        for address in prior:
            assert address.until is not None and address.since < address.until < newer.since
            newer = address
        assert all(re.fullmatch(r"[0-9]{5}", a.zip) for a in p.addresses)


def test_history_is_newest_first_and_explains_the_status(californians: list[Person]) -> None:
    for p in californians:
        days = [e.occurred for e in p.history]
        assert days == sorted(days, reverse=True)
        assert all(p.dob < day <= AS_OF for day in days)
        kinds = {e.kind.value for e in p.history}
        if p.licence_status in {LicenceStatus.SUSPENDED, LicenceStatus.REVOKED}:
            assert "SUSPENSION" in kinds
    assert sum(bool(p.history) for p in californians) > 600


def test_names_are_varied_and_include_hard_spellings(californians: list[Person]) -> None:
    surnames = Counter(p.last for p in californians)
    assert len(surnames) > 350
    assert surnames.most_common(1)[0][1] < 100
    assert any("-" in s for s in surnames)  # GARCIA-LOPEZ
    assert any(" " in s for s in surnames)  # DE LA CRUZ
    assert any("'" in s for s in surnames)  # O'BRIEN
    assert {p.suffix for p in californians} >= {"", "JR", "SR"}
    assert len({p.first for p in californians}) > 200
    assert 0.7 < sum(bool(p.middle) for p in californians) / 3000 < 0.9


def test_values_never_hold_the_wire_separators(californians: list[Person]) -> None:
    for p in californians:
        texts = [p.last, p.first, p.middle, p.oln]
        texts += [part for a in p.addresses for part in (a.street, a.city, a.zip)]
        texts += [part for v in p.vehicles for part in (v.plate, v.make, v.model)]
        texts += [e.description for e in p.history]
        assert not any(c in text for text in texts for c in ".;\n")


def test_photos_are_small_pngs_that_vary(californians: list[Person]) -> None:
    for p in californians[:200]:
        assert p.photo.startswith(b"\x89PNG\r\n\x1a\n")
        assert struct.unpack(">II", p.photo[16:24]) == (24, 32)
        assert len(p.photo) < 400
    assert len({p.photo for p in californians}) > 2500


def test_unknown_state_or_too_many_people_is_refused() -> None:
    with pytest.raises(ValueError, match="no licence format"):
        next(generate_people("ZZ", 1))
    with pytest.raises(ValueError, match="cannot number"):
        next(generate_people("AK", 10**8))


def test_as_of_moves_every_date() -> None:
    later = next(generate_people("WA", 1, as_of=date(2030, 10, 1)))
    now = next(generate_people("WA", 1))
    assert later.dob.year - now.dob.year == 5
