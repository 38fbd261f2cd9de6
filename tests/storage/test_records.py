"""Tests for stateline/storage/records.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, select

from stateline.errors import StorageError
from stateline.node.records.model import Person
from stateline.node.records.vin import is_valid
from stateline.storage.records import SqlRecordStore, vehicles
from stateline.synthetic.people import generate_people

POPULATION = list(generate_people("CA", 2000, seed=11))
SAMPLE = random.Random(5).sample(POPULATION, 150)
BORN = date(1961, 7, 4)


def planted(number: int, last: str, first: str, sex: str = "M") -> Person:
    """A hand-made person born on BORN, for name searches with known answers."""
    template = POPULATION[number]
    return replace(
        template,
        id=100_000 + number,
        oln=f"Z{number:07d}",
        last=last,
        first=first,
        middle="",
        suffix="",
        sex=sex,
        dob=BORN,
        vehicles=(),
    )


PLANTED = [
    planted(1, "SMITH", "JOHN"),
    planted(2, "SMITH", "MARY", "F"),
    planted(3, "GARCIA-LOPEZ", "MARIA", "F"),
    planted(4, "DE LA CRUZ", "JOSE"),
    planted(5, "O'BRIEN", "SEAN"),
    planted(6, "JOHNSON", "ROBERT"),
]


@pytest.fixture
def store(engine: Engine) -> SqlRecordStore:
    records = SqlRecordStore(engine)
    records.create_schema()
    records.insert_people([*POPULATION, *PLANTED], batch=700)
    return records


def test_count_and_a_person_comes_back_whole(store: SqlRecordStore) -> None:
    assert store.count() == len(POPULATION) + len(PLANTED)
    for person in SAMPLE:
        assert store.by_oln(person.oln) == person


def test_oln_is_matched_after_normalising_case_and_spaces(store: SqlRecordStore) -> None:
    person = SAMPLE[0]
    assert store.by_oln(f" {person.oln.lower()} ") == person


def test_unknown_oln_is_not_on_file(store: SqlRecordStore) -> None:
    assert store.by_oln("Q0000000") is None
    assert store.by_oln("") is None


def test_name_dob_sex_finds_the_person_first_with_100(store: SqlRecordStore) -> None:
    for person in SAMPLE:
        found = store.by_name(person.last, person.first, person.dob, person.sex)
        assert found[0].score == 100
        assert person.id in [m.person.id for m in found if m.score == 100]
        assert person in [m.person for m in found]


SPELLINGS = [
    ("SMYTH", "JON", "M", "SMITH"),
    ("SMITH", "JOHNNY", "M", "SMITH"),
    ("GARCIA", "MARIA", "F", "GARCIA-LOPEZ"),
    ("LOPEZ", "MARIA", "F", "GARCIA-LOPEZ"),
    ("GARCIALOPEZ", "MARIA", "F", "GARCIA-LOPEZ"),
    ("DELACRUZ", "JOSE", "M", "DE LA CRUZ"),
    ("OBRIEN", "SEAN", "M", "O'BRIEN"),
    ("JONSON", "BOB", "M", "JOHNSON"),
]
"""(queried surname, given name, sex, the surname on file it must find)."""


def test_phonetic_name_search(store: SqlRecordStore) -> None:
    for last, first, sex, expected in SPELLINGS:
        found = store.by_name(last, first, BORN, sex)
        assert found and found[0].person.last == expected, (last, first, found)
        assert all(m.person.dob == BORN for m in found)
        scores = [m.score for m in found]
        assert scores == sorted(scores, reverse=True)


def test_weak_candidates_are_dropped(store: SqlRecordStore) -> None:
    found = store.by_name("SMITH", "JOHN", BORN, "M")
    assert [m.person.first for m in found] == ["JOHN"]  # SMITH,MARY born the same day is not


def test_name_search_not_on_file(store: SqlRecordStore) -> None:
    assert store.by_name("SMITH", "JOHN", date(1961, 7, 5), "M") == []
    assert store.by_name("WASHINGTON", "JOHN", BORN, "M") == []
    assert store.by_name("", "JOHN", BORN, "M") == []


def test_name_search_limit(store: SqlRecordStore) -> None:
    assert len(store.by_name("SMITH", "JOHN", BORN, "U", limit=1)) == 1


def test_plate_and_vin_find_the_vehicle_and_its_owner(store: SqlRecordStore) -> None:
    owners = [p for p in SAMPLE if p.vehicles]
    for owner in owners:
        for vehicle in owner.vehicles:
            plate = store.by_plate(vehicle.plate.lower(), vehicle.plate_year, vehicle.plate_type)
            assert plate == [(vehicle, owner)]
            assert store.by_vin(vehicle.vin) == [(vehicle, owner)]


def test_plate_and_vin_not_on_file(store: SqlRecordStore) -> None:
    vehicle = next(v for p in SAMPLE for v in p.vehicles)
    other_year = "NX" if vehicle.plate_year != "NX" else "2025"
    assert store.by_plate(vehicle.plate, other_year, vehicle.plate_type) == []
    assert (
        store.by_plate(
            vehicle.plate, vehicle.plate_year, "MC" if vehicle.plate_type != "MC" else "PC"
        )
        == []
    )
    assert store.by_plate("0000000", "2026", "PC") == []
    assert store.by_vin("1M8GDM9AXKP042788") == []


def test_every_stored_vin_has_a_valid_check_digit(store: SqlRecordStore) -> None:
    with store.engine.connect() as conn:
        vins = conn.execute(select(vehicles.c.vin)).scalars().all()
    assert len(vins) == sum(len(p.vehicles) for p in POPULATION)
    assert all(is_valid(vin) for vin in vins)


def test_insert_returns_the_count_and_a_failed_batch_is_a_storage_error(engine: Engine) -> None:
    records = SqlRecordStore(engine)
    records.create_schema()
    assert records.insert_people(POPULATION[:30], batch=7) == 30
    with pytest.raises(StorageError):
        records.insert_people(POPULATION[25:35])  # the same OLNs again
    assert records.count() == 30


def test_reading_before_the_schema_exists_is_a_storage_error(engine: Engine) -> None:
    records = SqlRecordStore(engine)
    with pytest.raises(StorageError):
        records.by_oln("D1234567")
    with pytest.raises(StorageError):
        records.count()


def test_clear_empties_every_table(store: SqlRecordStore) -> None:
    store.clear()
    assert store.count() == 0
    assert store.by_vin(POPULATION[0].vehicles[0].vin if POPULATION[0].vehicles else "X") == []
    store.insert_people(POPULATION[:5])
    assert store.count() == 5
