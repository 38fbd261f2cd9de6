"""Records as DR, RR and KR fields: the grammar's tags, in its order, every class present."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date

from stateline.node.records.model import (
    Address,
    CredentialType,
    HistoryEvent,
    HistoryKind,
    LicenceStatus,
    Person,
    Vehicle,
)
from stateline.node.records.render import driver_fields, history_fields, nam, vehicle_fields
from stateline.synthetic.people import generate_people
from stateline.wire.grammar import REPEATABLE_RESPONSE_TAGS, RESPONSE_TAG_ORDER, RESPONSE_TAGS
from stateline.wire.messages import Fields

CAR = Vehicle("7ABC123", "2026", "PC", "1M8GDM9AXKP042788", "TOYOTA", "CAMRY", 2019, "BLU", 1)

JANE = Person(
    id=1,
    oln="D1234567",
    state="CA",
    last="DOE-SMITH",
    first="JANE",
    middle="Q",
    suffix="",
    dob=date(1980, 2, 29),
    sex="F",
    ssn="900123456",
    height_in=65,
    weight_lb=140,
    eyes="BRO",
    hair="BLK",
    licence_class="C",
    licence_status=LicenceStatus.VALID,
    issued=date(2021, 3, 1),
    expires=date(2029, 3, 1),
    credential=CredentialType.REAL_ID,
    photo=b"\x89PNG fake",
    addresses=(
        Address("12 MAIN ST", "SACRAMENTO", "CA", "95814", date(2020, 5, 1)),
        Address("3 ELM AVE APT 2", "ST. LOUIS", "MO", "63101", date(2015, 1, 1), date(2020, 4, 30)),
    ),
    vehicles=(CAR,),
    history=(
        HistoryEvent(date(2024, 6, 1), HistoryKind.CONVICTION, "SPEEDING 11-20 OVER", 3),
        HistoryEvent(date(2019, 1, 2), HistoryKind.ACCIDENT, "PROPERTY DAMAGE; NOT AT FAULT"),
    ),
)


def tags(fields: Fields) -> list[str]:
    return [tag for tag, _ in fields]


def assert_well_formed(fields: Fields) -> None:
    positions = [RESPONSE_TAG_ORDER.index(tag) for tag in tags(fields)]
    assert positions == sorted(positions)
    once = [t for t in tags(fields) if t not in REPEATABLE_RESPONSE_TAGS]
    assert len(once) == len(set(once))
    for _, value in fields:
        assert value and "." not in value and "\n" not in value


def test_driver_fields_carry_every_class_but_vehicle_and_history() -> None:
    fields = driver_fields(JANE, score=97, photo=True)
    assert_well_formed(fields)
    record = dict(fields)
    assert record["SCR"] == "97"
    assert record["NAM"] == "DOE-SMITH,JANE Q"
    assert record["DOB"] == "19800229"
    assert (record["OLS"], record["OLC"], record["OLT"]) == ("CA", "C", "VALID")
    assert (record["OLI"], record["OLE"]) == ("20210301", "20290301")
    assert record["CRT"] == "REAL-ID"
    assert (record["ADR"], record["CTY"], record["STA"], record["ZIP"]) == (
        "12 MAIN ST",
        "SACRAMENTO",
        "CA",
        "95814",
    )
    assert record["PAD"] == "3 ELM AVE APT 2;ST LOUIS;MO;63101;20150101;20200430"
    assert (record["HGT"], record["WGT"], record["EYE"], record["HAI"]) == (
        "505",
        "140",
        "BRO",
        "BLK",
    )
    assert base64.b64decode(record["IMG"]) == JANE.photo
    assert record["SOC"] == "900123456"
    classes = {RESPONSE_TAGS[t] for t in record}
    assert classes == {RESPONSE_TAGS[t] for t in RESPONSE_TAGS} - {
        RESPONSE_TAGS["LIC"],
        RESPONSE_TAGS["HIS"],
    }


def test_no_photo_unless_asked_and_no_score_unless_a_name_search() -> None:
    record = dict(driver_fields(JANE, score=None, photo=False))
    assert "IMG" not in record and "SCR" not in record


def test_a_dpc_holder_without_ssn_has_no_soc() -> None:
    dpc = replace(JANE, credential=CredentialType.DPC, ssn="")
    record = dict(driver_fields(dpc, score=None, photo=False))
    assert record["CRT"] == "DPC" and "SOC" not in record


def test_vehicle_fields_carry_the_vehicle_and_its_owner() -> None:
    fields = vehicle_fields(CAR, JANE)
    assert_well_formed(fields)
    assert fields == (
        ("NAM", "DOE-SMITH,JANE Q"),
        ("DOB", "19800229"),
        ("ADR", "12 MAIN ST"),
        ("CTY", "SACRAMENTO"),
        ("STA", "CA"),
        ("ZIP", "95814"),
        ("LIC", "7ABC123"),
        ("LIY", "2026"),
        ("LIT", "PC"),
        ("VIN", "1M8GDM9AXKP042788"),
        ("VYR", "2019"),
        ("VMA", "TOYOTA"),
        ("VMO", "CAMRY"),
        ("VCO", "BLU"),
    )


def test_history_fields_list_events_newest_first() -> None:
    fields = history_fields(JANE)
    assert_well_formed(fields)
    assert [v for t, v in fields if t == "HIS"] == [
        "20240601;CONVICTION;SPEEDING 11-20 OVER;3",
        "20190102;ACCIDENT;PROPERTY DAMAGE, NOT AT FAULT;0",
    ]
    assert {"OLN", "NAM", "DOB", "SEX", "OLT"} <= set(tags(fields))
    assert not {"ADR", "SOC", "IMG"} & set(tags(fields))


def test_suffix_is_part_of_the_name() -> None:
    assert (
        nam(replace(JANE, first="JOHN", middle="", suffix="JR", last="O'BRIEN"))
        == "O'BRIEN,JOHN JR"
    )


def test_every_generated_person_renders_cleanly() -> None:
    for person in generate_people("NY", 300, seed=5):
        assert_well_formed(driver_fields(person, score=100, photo=True))
        assert_well_formed(history_fields(person))
        for vehicle in person.vehicles:
            assert_well_formed(vehicle_fields(vehicle, person))
