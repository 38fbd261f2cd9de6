"""Tests for stateline/storage/accounts.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from stateline.node.review import Reviewer, Role
from stateline.storage.accounts import (
    AccountError,
    AccountStore,
    AuthenticationFailed,
    review_accounts,
    review_sessions,
    token_hash,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
SECRET = pyotp.random_base32()
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap argon2 settings: these tests are about the logic, not the cost."""


@pytest.fixture
def accounts(engine: Engine) -> AccountStore:
    store = AccountStore(engine, hasher=FAST)
    store.create_schema()
    store.create_account("Rita", PASSWORD, Role.REVIEWER, now=NOW)
    store.create_account("carl", PASSWORD, Role.COUNSEL, totp_secret=SECRET, now=NOW)
    return store


def code(at: datetime, steps: int = 0) -> str:
    return pyotp.TOTP(SECRET).at(at + timedelta(seconds=30 * steps))


def test_password_is_stored_as_argon2_hash(accounts: AccountStore, engine: Engine) -> None:
    with engine.connect() as conn:
        stored = conn.execute(select(review_accounts.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") for h in stored)
    assert PASSWORD not in "".join(stored)


def test_sign_in_opens_a_session_stored_only_hashed(accounts: AccountStore, engine: Engine) -> None:
    session = accounts.authenticate("rita", PASSWORD, now=NOW)
    assert session.account.reviewer == Reviewer("rita", Role.REVIEWER)
    assert session.expires == NOW + timedelta(hours=8)
    with engine.connect() as conn:
        stored = conn.execute(select(review_sessions.c.token_hash)).scalars().all()
    assert stored == [token_hash(session.token)]
    assert accounts.session(session.token, now=NOW) == session.account
    assert accounts.session(session.token, now=session.expires) is None  # expired, and gone
    assert accounts.session(session.token, now=NOW) is None


def test_wrong_name_or_password_fail_alike(accounts: AccountStore) -> None:
    for name, password in (("rita", "wrong password!"), ("nobody", PASSWORD), ("", "")):
        with pytest.raises(AuthenticationFailed, match=r"^sign-in failed$"):
            accounts.authenticate(name, password, now=NOW)


def test_totp_is_required_when_the_account_has_it(accounts: AccountStore) -> None:
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("carl", PASSWORD, now=NOW)
    with pytest.raises(AuthenticationFailed):
        wrong = f"{(int(code(NOW)) + 1) % 1_000_000:06d}"
        accounts.authenticate("carl", PASSWORD, wrong, now=NOW)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("carl", PASSWORD, code(NOW, steps=-3), now=NOW)  # too old
    session = accounts.authenticate("carl", PASSWORD, code(NOW), now=NOW)
    assert session.account.totp and session.account.role is Role.COUNSEL


def test_a_totp_code_is_used_once(accounts: AccountStore) -> None:
    accounts.authenticate("carl", PASSWORD, code(NOW), now=NOW)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("carl", PASSWORD, code(NOW), now=NOW)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("carl", PASSWORD, code(NOW, steps=-1), now=NOW)  # earlier step
    later = NOW + timedelta(seconds=30)
    accounts.authenticate("carl", PASSWORD, code(later), now=later)


def test_end_session(accounts: AccountStore) -> None:
    session = accounts.authenticate("rita", PASSWORD, now=NOW)
    accounts.end_session(session.token)
    assert accounts.session(session.token, now=NOW) is None
    assert accounts.session("never-issued", now=NOW) is None


def test_disabled_account_cannot_sign_in_and_loses_its_sessions(accounts: AccountStore) -> None:
    session = accounts.authenticate("rita", PASSWORD, now=NOW)
    accounts.set_disabled("rita", True)
    assert accounts.session(session.token, now=NOW) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("rita", PASSWORD, now=NOW)
    accounts.set_disabled("rita", False)
    accounts.authenticate("rita", PASSWORD, now=NOW)


def test_account_rules(accounts: AccountStore) -> None:
    with pytest.raises(AccountError, match="exists"):
        accounts.create_account("rita", PASSWORD, Role.ADMIN)
    with pytest.raises(AccountError, match="at least"):
        accounts.create_account("new", "short", Role.ADMIN)
    with pytest.raises(AccountError, match="username"):
        accounts.create_account("no spaces", PASSWORD, Role.ADMIN)
    with pytest.raises(ValueError):
        accounts.create_account("bad-secret", PASSWORD, Role.ADMIN, totp_secret="not base32!")
    assert accounts.get("RITA") is not None
    assert accounts.get("nobody") is None


def test_purge_expired_sessions(accounts: AccountStore) -> None:
    accounts.authenticate("rita", PASSWORD, now=NOW)
    assert accounts.purge_sessions(NOW) == 0
    assert accounts.purge_sessions(NOW + timedelta(hours=9)) == 1


def test_hash_is_upgraded_to_the_stores_settings_at_sign_in(
    accounts: AccountStore, engine: Engine
) -> None:
    def stored() -> str:
        with engine.connect() as conn:
            query = select(review_accounts.c.password_hash).where(
                review_accounts.c.username == "rita"
            )
            return str(conn.execute(query).scalar_one())

    assert stored().startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    default = AccountStore(engine)  # argon2-cffi's recommended settings
    default.authenticate("rita", PASSWORD, now=NOW)
    assert not default.hasher.check_needs_rehash(stored())
    default.authenticate("rita", PASSWORD, now=NOW)
