"""Tests for stateline/storage/accounts.py, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Boolean, Column, DateTime, Engine, Integer, MetaData, String, Table, select

from stateline.node.review.model import Reviewer, Role
from stateline.storage.accounts import (
    AccountError,
    AccountStore,
    AuthenticationFailed,
    SignInLocked,
    account_ref,
    review_accounts,
    review_sessions,
    token_hash,
)
from stateline.storage.lockouts import Kind

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


# Lockout: failures lock the name and the client's address, with a backoff (storage.lockouts).

MINUTE = timedelta(minutes=1)
HERE, THERE = "203.0.113.9", "198.51.100.4"


def fail(accounts: AccountStore, name: str, times: int, totp: str | None = None) -> None:
    """``times`` wrong passwords (or codes) for ``name`` from ``HERE`` at ``NOW``."""
    wrong = PASSWORD if totp else "a wrong password"
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(name, wrong, totp, address=HERE, now=NOW)


def test_twenty_wrong_passwords_then_the_right_one_is_refused(accounts: AccountStore) -> None:
    for attempt in range(1, 21):
        with pytest.raises(AuthenticationFailed) as refused:
            accounts.authenticate("rita", f"wrong guess {attempt}", address=HERE, now=NOW)
        # From the fifth failure on, the answer says the name is locked, and until when.
        assert isinstance(refused.value, SignInLocked) is (attempt >= 5)
    with pytest.raises(SignInLocked) as locked:
        accounts.authenticate("rita", PASSWORD, address=HERE, now=NOW + MINUTE / 2)
    assert locked.value.until == NOW + MINUTE  # attempts while locked are not counted
    assert locked.value.by == {Kind.ACCOUNT} and not locked.value.started
    with pytest.raises(SignInLocked):  # from anywhere: the name is locked, not only the address
        accounts.authenticate("rita", PASSWORD, address=THERE, now=NOW + MINUTE / 2)


def test_sign_in_after_the_lock_ends_resets_the_count(accounts: AccountStore) -> None:
    fail(accounts, "rita", 5)
    accounts.authenticate("rita", PASSWORD, address=HERE, now=NOW + MINUTE)
    for _ in range(4):  # a fresh count: four failures lock nothing
        with pytest.raises(AuthenticationFailed) as refused:
            accounts.authenticate("rita", "a wrong password", address=HERE, now=NOW + MINUTE)
        assert not isinstance(refused.value, SignInLocked)


def test_backoff_doubles_while_failures_go_on(accounts: AccountStore) -> None:
    fail(accounts, "rita", 5)  # the fifth locks for a minute
    # Each failure once the lock ends doubles the next lock, up to an hour.
    at = NOW + MINUTE
    for wait in (2, 4, 8, 16, 32, 60, 60):
        with pytest.raises(SignInLocked) as locked:
            accounts.authenticate("rita", "a wrong password", address=HERE, now=at)
        assert locked.value.started and locked.value.until == at + wait * MINUTE
        at = locked.value.until


def test_the_lock_survives_a_restart(accounts: AccountStore, engine: Engine) -> None:
    fail(accounts, "rita", 5)
    engine.dispose()  # every connection closed: what is left is in the database
    restarted = AccountStore(engine, hasher=FAST)
    restarted.create_schema()
    with pytest.raises(SignInLocked):
        restarted.authenticate("rita", PASSWORD, address=HERE, now=NOW)


def test_unknown_names_lock_like_known_ones(accounts: AccountStore) -> None:
    """Else locking would tell an attacker which names exist."""
    fail(accounts, "nobody", 4)
    with pytest.raises(SignInLocked) as locked:
        accounts.authenticate("nobody", PASSWORD, address=HERE, now=NOW)
    assert locked.value.until == NOW + MINUTE


def test_wrong_totp_codes_count_as_failures(accounts: AccountStore) -> None:
    wrong = f"{(int(code(NOW)) + 1) % 1_000_000:06d}"
    fail(accounts, "carl", 4, totp=wrong)
    with pytest.raises(SignInLocked):
        accounts.authenticate("carl", PASSWORD, wrong, address=HERE, now=NOW)
    with pytest.raises(SignInLocked):
        accounts.authenticate("carl", PASSWORD, code(NOW), address=HERE, now=NOW)


def test_one_address_cannot_spray_many_names(accounts: AccountStore) -> None:
    for n in range(19):
        with pytest.raises(AuthenticationFailed) as refused:
            accounts.authenticate(f"guess{n}", PASSWORD, address=HERE, now=NOW)
        assert not isinstance(refused.value, SignInLocked)
    with pytest.raises(SignInLocked) as locked:
        accounts.authenticate("guess19", PASSWORD, address=HERE, now=NOW)
    assert locked.value.by == {Kind.ADDRESS} and locked.value.until == NOW + MINUTE
    with pytest.raises(SignInLocked):  # from that address even the right password waits
        accounts.authenticate("rita", PASSWORD, address=HERE, now=NOW)
    accounts.authenticate("rita", PASSWORD, address=THERE, now=NOW)  # from elsewhere, rita may


def test_one_address_cannot_lock_every_account(accounts: AccountStore) -> None:
    names = [f"staff{n}" for n in range(6)]
    for name in names:
        accounts.create_account(name, PASSWORD, Role.REVIEWER, now=NOW)
    for name in names:
        for _ in range(5):
            with pytest.raises(AuthenticationFailed):
                accounts.authenticate(name, "a wrong password", address=HERE, now=NOW)
    # Twenty failures lock the address after four accounts; the rest were refused unchecked
    # and not counted, so their owners sign in from their own desks.
    locked = {s.account.username for s in accounts.list_accounts(NOW) if s.locked_until}
    assert locked == set(names[:4])
    accounts.authenticate("staff4", PASSWORD, address=THERE, now=NOW)
    accounts.authenticate("staff5", PASSWORD, address=THERE, now=NOW)


def test_signing_in_does_not_clear_the_address_count(accounts: AccountStore) -> None:
    for n in range(19):
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(f"guess{n}", PASSWORD, address=HERE, now=NOW)
    accounts.authenticate("rita", PASSWORD, address=HERE, now=NOW)  # an account the sprayer holds
    with pytest.raises(SignInLocked):
        accounts.authenticate("guess19", PASSWORD, address=HERE, now=NOW)


def test_reset_sets_a_password_clears_the_lock_and_ends_sessions(accounts: AccountStore) -> None:
    session = accounts.authenticate("rita", PASSWORD, now=NOW)
    fail(accounts, "rita", 5)
    accounts.reset("rita", "a brand new passphrase")
    assert accounts.session(session.token, now=NOW) is None
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("rita", PASSWORD, address=THERE, now=NOW)
    accounts.authenticate("rita", "a brand new passphrase", address=HERE, now=NOW)
    with pytest.raises(AccountError, match="at least"):
        accounts.reset("rita", "short")
    with pytest.raises(AccountError, match="no account named ghost"):
        accounts.reset("ghost", "a brand new passphrase")


def test_reset_with_a_new_totp_secret(accounts: AccountStore) -> None:
    accounts.authenticate("carl", PASSWORD, code(NOW), now=NOW)
    fresh = pyotp.random_base32()
    account = accounts.reset("carl", PASSWORD, totp_secret=fresh)
    assert account.totp
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("carl", PASSWORD, code(NOW, steps=1), now=NOW)  # the old secret
    # The last step used is forgotten with the old secret: the new code works at once.
    accounts.authenticate("carl", PASSWORD, pyotp.TOTP(fresh).at(NOW), now=NOW)
    # Without a secret, reset keeps the account's TOTP.
    assert accounts.reset("carl", PASSWORD).totp


def test_list_accounts_with_last_sign_in_and_lock(accounts: AccountStore) -> None:
    accounts.authenticate("rita", PASSWORD, now=NOW)
    fail(accounts, "carl", 5)
    listed = {s.account.username: s for s in accounts.list_accounts(NOW)}
    assert list(listed) == ["carl", "rita"]
    assert listed["rita"].last_signin == NOW and listed["rita"].locked_until is None
    assert listed["rita"].created == NOW
    assert listed["carl"].last_signin is None and listed["carl"].locked_until == NOW + MINUTE
    assert listed["carl"].account.totp and listed["carl"].account.role is Role.COUNSEL
    assert {
        s.account.username for s in accounts.list_accounts(NOW + MINUTE) if s.locked_until
    } == set()


def test_account_ref_names_an_account_without_its_name() -> None:
    assert account_ref(" Rita ") == account_ref("rita")
    assert len(account_ref("rita")) == 16 and "rita" not in account_ref("rita")
    assert account_ref("rita") != account_ref("carl")


def test_accounts_made_before_sign_ins_were_recorded_still_open(engine: Engine) -> None:
    old = Table(
        "review_accounts",
        MetaData(),
        Column("username", String(64), primary_key=True),
        Column("role", String(10), nullable=False),
        Column("password_hash", String(200), nullable=False),
        Column("totp_secret", String(64)),
        Column("totp_last_step", Integer),
        Column("disabled", Boolean, nullable=False),
        Column("created", DateTime(timezone=True), nullable=False),
    )
    old.create(engine)
    row = {
        "username": "rita",
        "role": "reviewer",
        "password_hash": FAST.hash(PASSWORD),
        "disabled": False,
        "created": NOW,
    }
    with engine.begin() as conn:
        conn.execute(old.insert(), [row])
    store = AccountStore(engine, hasher=FAST)
    store.create_schema()
    store.create_schema()  # a second opening finds the column there
    [status] = store.list_accounts(NOW)
    assert status.last_signin is None
    store.authenticate("rita", PASSWORD, now=NOW)
    assert store.list_accounts(NOW)[0].last_signin == NOW
