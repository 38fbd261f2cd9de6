"""Tests for stateline/storage/resident.py: access codes and tries, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from stateline.ledger.entries import subject_key
from stateline.storage.resident import (
    CODE_ALPHABET,
    CODE_LIFETIME,
    MAX_TRIES,
    TRY_WINDOW,
    Claim,
    CodeCheck,
    ResidentStore,
    check_code,
    code_digest,
    new_code,
    normalise_code,
    resident_codes,
    resident_tries,
)

SECRET = b"a state's subject secret for tests"
LICENCE = subject_key(SECRET, "NY", oln="D1234567")
OTHER = subject_key(SECRET, "NY", oln="D7654321")
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def store(engine: Engine) -> ResidentStore:
    made = ResidentStore(engine)
    made.create_schema()
    return made


def issue(store: ResidentStore, subject: str = LICENCE, at: datetime = NOW) -> str:
    code = new_code()
    store.issue("NY", subject, code_digest(SECRET, subject, code), at)
    return code


def test_a_code_is_sixteen_unambiguous_characters_in_groups() -> None:
    code = new_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert set("".join(groups)) <= set(CODE_ALPHABET)
    assert not set("ILOU") & set(CODE_ALPHABET)
    assert len({new_code() for _ in range(100)}) == 100


def test_a_code_is_read_as_people_type_it() -> None:
    assert normalise_code("7kq2-mx9d 4trb-h8wn") == "7KQ2MX9D4TRBH8WN"
    assert normalise_code("O1IL") == "0111"  # O for 0, I and L for 1
    digest = code_digest(SECRET, LICENCE, "7KQ2-MX9D-4TRB-H8WN")
    assert code_digest(SECRET, LICENCE, "7kq2mx9d4trbh8wn") == digest
    assert code_digest(SECRET, OTHER, "7KQ2-MX9D-4TRB-H8WN") != digest  # bound to the licence
    assert code_digest(b"another state's secret", LICENCE, "7KQ2-MX9D-4TRB-H8WN") != digest


def test_the_database_keeps_a_keyed_hash_never_the_code(
    store: ResidentStore, engine: Engine
) -> None:
    code = issue(store)
    with engine.connect() as conn:
        rows = conn.execute(select(resident_codes)).all()
    assert len(rows) == 1
    assert normalise_code(code) not in repr(rows) and code not in repr(rows)
    assert "D1234567" not in repr(rows)  # the licence only by its subject key
    assert rows[0].subject == LICENCE


def test_a_code_is_checked_right_wrong_or_expired(store: ResidentStore) -> None:
    code = issue(store)
    on_file = store.code("NY", LICENCE)
    assert on_file is not None
    assert on_file.issued == NOW and on_file.expires == NOW + CODE_LIFETIME
    assert check_code(SECRET, LICENCE, code.lower(), on_file, NOW) is CodeCheck.RIGHT
    assert check_code(SECRET, LICENCE, "AAAA-AAAA-AAAA-AAAA", on_file, NOW) is CodeCheck.WRONG
    last = NOW + CODE_LIFETIME - MINUTE
    assert check_code(SECRET, LICENCE, code, on_file, last) is CodeCheck.RIGHT
    expired = NOW + CODE_LIFETIME
    assert check_code(SECRET, LICENCE, code, on_file, expired) is CodeCheck.EXPIRED
    # An expired code stays wrong when wrong: expiry says nothing about a guess.
    assert check_code(SECRET, LICENCE, "AAAA", on_file, expired) is CodeCheck.WRONG


def test_a_licence_without_a_code_answers_as_a_wrong_code(store: ResidentStore) -> None:
    assert store.code("NY", OTHER) is None
    assert check_code(SECRET, OTHER, "0" * 16, None, NOW) is CodeCheck.WRONG


def test_a_new_code_replaces_the_one_before(store: ResidentStore) -> None:
    first = issue(store)
    second = issue(store, at=NOW + MINUTE)
    on_file = store.code("NY", LICENCE)
    assert on_file is not None and on_file.issued == NOW + MINUTE
    assert check_code(SECRET, LICENCE, first, on_file, NOW + MINUTE) is CodeCheck.WRONG
    assert check_code(SECRET, LICENCE, second, on_file, NOW + MINUTE) is CodeCheck.RIGHT
    other = issue(store, OTHER)  # another licence's code stands apart
    assert store.code("NY", LICENCE) == on_file
    assert check_code(SECRET, OTHER, other, store.code("NY", OTHER), NOW) is CodeCheck.RIGHT


def test_five_tries_an_hour_then_refused_until_the_first_is_an_hour_old(
    store: ResidentStore,
) -> None:
    claims = [store.claim_try("NY", LICENCE, NOW + n * MINUTE) for n in range(MAX_TRIES)]
    assert [c.left for c in claims] == [4, 3, 2, 1, 0] and all(c.granted for c in claims)
    refused = store.claim_try("NY", LICENCE, NOW + 10 * MINUTE)
    assert refused == Claim(False, 0, NOW + TRY_WINDOW)
    # A refused try is not a try: it does not push the end of the pause back.
    assert store.claim_try("NY", LICENCE, NOW + 59 * MINUTE).retry_at == NOW + TRY_WINDOW
    assert store.claim_try("NY", OTHER, NOW + 10 * MINUTE).granted  # other licences go on
    again = store.claim_try("NY", LICENCE, NOW + TRY_WINDOW)
    assert again == Claim(True, 0)  # the first try has left the window: one more
    later = store.claim_try("NY", LICENCE, NOW + TRY_WINDOW + timedelta(seconds=30))
    assert later == Claim(False, 0, NOW + MINUTE + TRY_WINDOW)  # then the second try's hour


def test_a_right_code_gives_its_try_back(store: ResidentStore) -> None:
    for n in range(MAX_TRIES - 1):
        store.claim_try("NY", LICENCE, NOW + n * MINUTE)
    right = NOW + 10 * MINUTE
    assert store.claim_try("NY", LICENCE, right) == Claim(True, 0)
    store.give_back("NY", LICENCE, right)
    assert store.claim_try("NY", LICENCE, NOW + 11 * MINUTE) == Claim(True, 0)
    store.give_back("NY", OTHER, right)  # no try on file: nothing to give back


def test_tries_at_once_never_make_a_sixth(store: ResidentStore) -> None:
    claims: list[Claim] = []
    start = threading.Barrier(12)

    def attempt(n: int) -> None:
        start.wait()
        claims.append(store.claim_try("NY", LICENCE, NOW + n * timedelta(milliseconds=1)))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(c.granted for c in claims) == MAX_TRIES
    assert len(claims) == 12


def test_purge_removes_expired_codes_and_quiet_tries(store: ResidentStore, engine: Engine) -> None:
    issue(store)
    issue(store, OTHER, at=NOW + 10 * 24 * 60 * MINUTE)
    store.claim_try("NY", LICENCE, NOW)
    assert store.purge(NOW + CODE_LIFETIME) == 1
    assert store.code("NY", LICENCE) is None and store.code("NY", OTHER) is not None
    with engine.connect() as conn:
        assert conn.execute(select(resident_tries)).all() == []


def test_times_must_be_timezone_aware(store: ResidentStore) -> None:
    with pytest.raises(ValueError):
        store.claim_try("NY", LICENCE, datetime(2026, 3, 2, 14, 0))
    with pytest.raises(ValueError):
        store.issue("NY", LICENCE, "0" * 64, datetime(2026, 3, 2, 14, 0))
