"""Tests for stateline/storage/directory.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, event, select

from stateline.directory.checks import check_sender
from stateline.directory.credentials import hash_token
from stateline.directory.model import Agency, AgencyStatus, AgencyType, Certification, Mission
from stateline.errors import StorageError
from stateline.storage.directory import (
    DirectoryStore,
    DuplicateAgency,
    InvalidAgency,
    UnknownAgency,
    agencies,
    credentials,
)
from stateline.synthetic.agencies import GUIDE_ORI, SUSPENDED_ORI, demo_agencies

OAKDALE = Agency(
    "NY0010100",
    "Oakdale Police Department",
    AgencyType.PD,
    "NY",
    frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.TRAFFIC_ENFORCEMENT}),
)
ICE = Agency(
    "DCICE0000",
    "ICE Enforcement and Removal Operations",
    AgencyType.FE,
    "US",
    frozenset({Mission.IMMIGRATION_ENFORCEMENT}),
)
NOON = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(engine: Engine) -> DirectoryStore:
    directory = DirectoryStore(engine, clock=lambda: NOON)
    directory.create_schema()
    return directory


def test_create_schema_twice_is_harmless(store: DirectoryStore) -> None:
    store.create_schema()
    assert store.generation() == 0


def test_add_and_get(store: DirectoryStore) -> None:
    store.add(OAKDALE)
    store.add(ICE)
    assert store.get("NY0010100") == OAKDALE
    assert store.get("DCICE0000") == ICE
    assert store.get("NY0010200") is None


def test_duplicate_agency(store: DirectoryStore) -> None:
    store.add(OAKDALE)
    with pytest.raises(DuplicateAgency) as caught:
        store.add(OAKDALE)
    assert caught.value.ori == "NY0010100"
    assert isinstance(caught.value, StorageError)


def test_add_many_is_all_or_none(store: DirectoryStore) -> None:
    store.add(OAKDALE)
    with pytest.raises(DuplicateAgency, match="NY0010100"):
        store.add_many([ICE, OAKDALE])
    assert store.get("DCICE0000") is None
    with pytest.raises(DuplicateAgency, match="DCICE0000"):
        store.add_many([ICE, ICE])
    assert store.get("DCICE0000") is None
    assert store.add_many([]) == 0


def test_invalid_agency_is_refused(store: DirectoryStore) -> None:
    bad = Agency("NY001010", "Short ORI", AgencyType.PD, "NY", OAKDALE.missions)
    with pytest.raises(InvalidAgency, match="9 characters"):
        store.add(bad)
    with pytest.raises(ValueError):
        store.add(Agency("NY0010100", "No missions", AgencyType.PD, "NY", frozenset()))


def test_demo_directory_and_list_filters(store: DirectoryStore) -> None:
    demo = demo_agencies()
    assert store.add_many(demo) == len(demo)
    assert store.list() == demo
    assert store.snapshot() == {agency.ori: agency for agency in demo}
    new_york = store.list(state="NY")
    assert new_york == [a for a in demo if a.home_state == "NY"]
    assert {a.ori for a in new_york} >= {"NYOLN0000", "NYLIC0000", "NYVIN0000", "NYSTP0000"}
    federal = store.list(state="US")
    assert {a.ori for a in federal} >= {"DCICE0000", "DCHSI0000", "DCCBP0000"}
    assert all(a.agency_type is AgencyType.FE for a in federal)
    sheriffs = store.list(agency_type=AgencyType.SO)
    assert sheriffs == [a for a in demo if a.agency_type is AgencyType.SO]
    arizona_state = store.list(state="AZ", agency_type=AgencyType.SA)
    assert GUIDE_ORI in {a.ori for a in arizona_state}
    assert all(a.home_state == "AZ" and a.agency_type is AgencyType.SA for a in arizona_state)
    assert store.list(state="PR") == []
    assert store.get(SUSPENDED_ORI) is not None
    assert store.get(SUSPENDED_ORI).status is AgencyStatus.SUSPENDED  # type: ignore[union-attr]


def test_suspend_and_reinstate(store: DirectoryStore) -> None:
    store.add(OAKDALE)
    store.suspend("NY0010100")
    assert store.get("NY0010100").status is AgencyStatus.SUSPENDED  # type: ignore[union-attr]
    store.suspend("NY0010100")  # suspending twice is no error
    store.reinstate("NY0010100")
    assert store.get("NY0010100") == OAKDALE
    with pytest.raises(UnknownAgency, match="NY0010200"):
        store.suspend("NY0010200")
    with pytest.raises(LookupError):
        store.reinstate("NY0010200")


def test_credentials_issue_authenticate_revoke(store: DirectoryStore) -> None:
    store.add_many([OAKDALE, ICE])
    token = store.issue_credential("NY0010100")
    assert token.startswith("stl_")
    assert store.authenticate(token) == "NY0010100"
    assert store.authenticate(token + "x") is None
    assert store.authenticate("stl_" + "A" * 43) is None
    assert store.authenticate("not-a-token") is None
    assert store.authenticate("") is None

    # A second credential: both work until revoked, so an agency can roll over.
    second = store.issue_credential("NY0010100")
    ice = store.issue_credential("DCICE0000")
    assert second != token
    assert store.authenticate(second) == "NY0010100"
    assert store.credential_map() == {
        hash_token(token): "NY0010100",
        hash_token(second): "NY0010100",
        hash_token(ice): "DCICE0000",
    }

    assert store.revoke_credentials("NY0010100") == 2
    assert store.authenticate(token) is None
    assert store.authenticate(second) is None
    assert store.authenticate(ice) == "DCICE0000"
    assert store.credential_map() == {hash_token(ice): "DCICE0000"}
    assert store.revoke_credentials("NY0010100") == 0

    third = store.issue_credential("NY0010100")
    assert store.authenticate(third) == "NY0010100"


def test_credentials_for_unknown_agencies(store: DirectoryStore) -> None:
    with pytest.raises(UnknownAgency):
        store.issue_credential("NY0010100")
    with pytest.raises(UnknownAgency):
        store.revoke_credentials("NY0010100")


def test_no_plaintext_token_is_stored(store: DirectoryStore, engine: Engine) -> None:
    store.add(OAKDALE)
    tokens = [store.issue_credential("NY0010100") for _ in range(3)]
    store.revoke_credentials("NY0010100")
    tokens.append(store.issue_credential("NY0010100"))
    with engine.connect() as conn:
        rows = [*conn.execute(select(credentials)).all(), *conn.execute(select(agencies)).all()]
    stored = " ".join(str(value) for row in rows for value in row)
    secret_parts = {token.removeprefix("stl_") for token in tokens}
    for part in secret_parts:
        assert part not in stored
        assert part[:16] not in stored
    with engine.connect() as conn:
        hashes = {row.token_hash for row in conn.execute(select(credentials)).all()}
    assert hashes == {hash_token(token) for token in tokens}


def test_credential_times_come_from_the_clock(store: DirectoryStore, engine: Engine) -> None:
    store.add(OAKDALE)
    store.issue_credential("NY0010100")
    store.revoke_credentials("NY0010100")
    with engine.connect() as conn:
        row = conn.execute(select(credentials)).one()
    for moment in (row.created, row.revoked):
        assert moment.replace(tzinfo=None) == NOON.replace(tzinfo=None)


def test_generation_grows_on_every_change_only(store: DirectoryStore) -> None:
    seen = [store.generation()]
    store.add(OAKDALE)
    seen.append(store.generation())
    token = store.issue_credential("NY0010100")
    seen.append(store.generation())
    store.suspend("NY0010100")
    seen.append(store.generation())
    store.reinstate("NY0010100")
    seen.append(store.generation())
    store.revoke_credentials("NY0010100")
    seen.append(store.generation())
    assert seen == sorted(set(seen))
    store.get("NY0010100")
    store.list()
    store.authenticate(token)
    store.snapshot()
    store.credential_map()
    assert store.generation() == seen[-1]
    with pytest.raises(DuplicateAgency):
        store.add(OAKDALE)
    assert store.generation() == seen[-1]


def test_sender_checks_from_the_store(store: DirectoryStore) -> None:
    store.add_many([OAKDALE, ICE])
    token = store.issue_credential("NY0010100")
    sender = store.authenticate(token)
    assert check_sender(store.get("NY0010100"), "NY0010100", sender) is None
    assert check_sender(store.get("DCICE0000"), "DCICE0000", sender) is not None
    store.suspend("NY0010100")
    refusal = check_sender(store.get("NY0010100"), "NY0010100", sender)
    assert refusal is not None
    assert refusal.reason.number == 42


def test_database_errors_become_storage_errors(engine: Engine) -> None:
    store = DirectoryStore(engine)  # no create_schema: every table is missing
    with pytest.raises(StorageError, match="directory: cannot read an agency"):
        store.get("NY0010100")
    with pytest.raises(StorageError):
        store.authenticate("stl_" + "A" * 43)
    with pytest.raises(StorageError):
        store.add(OAKDALE)
    with pytest.raises(StorageError):
        store.generation()


def test_hot_path_reads_are_one_query_each(store: DirectoryStore, engine: Engine) -> None:
    store.add(OAKDALE)
    token = store.issue_credential("NY0010100")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert store.authenticate(token) == "NY0010100"
        assert len(statements) == 1
        assert store.get("NY0010100") == OAKDALE
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert "token_hash" in statements[0]


def test_certifications_are_filed_renewed_withdrawn_and_read_with_their_agency(
    store: DirectoryStore,
) -> None:
    store.add(OAKDALE)
    before = store.generation()
    colorado = Certification("CO", date(2025, 1, 15), date(2026, 1, 15))
    updated = store.certify("NY0010100", colorado)
    assert updated.certifications == (colorado,)
    store.certify("NY0010100", Certification("MD", date(2025, 3, 1)))
    renewed = Certification("CO", date(2026, 1, 10), date(2027, 1, 10))
    store.certify("NY0010100", renewed)
    agency = store.get("NY0010100")
    assert agency is not None
    assert agency.certifications == (renewed, Certification("MD", date(2025, 3, 1)))
    assert agency.certified_with("CO", date(2026, 6, 1))
    assert not agency.certified_with("CO", date(2027, 1, 10))  # expired that day
    assert not agency.certified_with("NY", date(2026, 6, 1))
    assert store.generation() > before
    assert store.snapshot()["NY0010100"] == agency
    assert store.list(state="NY") == [agency]
    assert store.withdraw_certification("NY0010100", "MD")
    assert not store.withdraw_certification("NY0010100", "MD")
    assert store.get("NY0010100").certifications == (renewed,)  # type: ignore[union-attr]


def test_certifications_refused(store: DirectoryStore) -> None:
    store.add(OAKDALE)
    with pytest.raises(UnknownAgency):
        store.certify("NY0010200", Certification("CO", date(2025, 1, 1)))
    with pytest.raises(UnknownAgency):
        store.withdraw_certification("NY0010200", "CO")
    with pytest.raises(InvalidAgency, match="runs no node"):
        store.certify("NY0010100", Certification("ON", date(2025, 1, 1)))
    with pytest.raises(InvalidAgency, match="expires before"):
        store.certify("NY0010100", Certification("CO", date(2025, 1, 1), date(2025, 1, 1)))
    assert store.get("NY0010100") == OAKDALE


def test_agencies_added_with_certifications_keep_them(store: DirectoryStore) -> None:
    certified = replace(ICE, certifications=(Certification("MD", date(2025, 5, 1)),))
    store.add_many([certified, OAKDALE])
    assert store.get("DCICE0000") == certified
    assert store.list() == [certified, OAKDALE]
