"""Tests for stateline/web/console/views/signin.py: the lockout as the sign-in form shows it."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stateline.storage.accounts import AccountStore, account_ref
from stateline.storage.alerts import open_alerts
from stateline.storage.lockouts import Backoff, Lockouts
from stateline.web.console import console_router
from stateline.web.console.security import SESSION_COOKIE
from stateline.web.console.views.signin import wait_words

from .conftest import FAST, PASSWORD, Console
from .test_console import csrf

LOCKED = re.compile(
    r"Too many failed sign-ins: signing in is paused until "
    r"(\d{4}-\d\d-\d\d \d\d:\d\d) (EST|EDT) \((under a minute|about 1 minute)\)\. Try again then\."
)


def attempt(client: TestClient, username: str, password: str) -> httpx.Response:
    form = client.get("/console/signin")
    data = {"username": username, "password": password, "csrf": csrf(form.text)}
    return client.post("/console/signin", data=data, follow_redirects=False)


def test_twenty_wrong_passwords_then_the_right_one_is_refused(console: Console) -> None:
    statuses = [attempt(console.client, "rita", f"guess number {n}").status_code for n in range(20)]
    assert statuses == [401] * 4 + [429] * 16
    refused = attempt(console.client, "rita", PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Cache-Control"] == "no-store"  # a refusal carries the headers too
    shown = LOCKED.search(refused.text)
    assert shown is not None, refused.text
    # The time to come back is on New York's clock, and agrees with Retry-After.
    [status] = [s for s in console.accounts.list_accounts() if s.account.username == "rita"]
    assert status.locked_until is not None
    local = status.locked_until.astimezone(ZoneInfo("America/New_York"))
    assert shown.group(1) == f"{local:%Y-%m-%d %H:%M}"
    assert SESSION_COOKIE not in refused.cookies
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


@contextmanager
def restarted(console: Console, lockouts: Lockouts | None = None) -> Iterator[TestClient]:
    """A new process over the same node database: a new store, a new console, a new app."""
    accounts = AccountStore(console.accounts.engine, hasher=FAST, lockouts=lockouts)
    accounts.create_schema()
    app = FastAPI()
    app.include_router(
        console_router(console.service, accounts, open_alerts(accounts.engine), state="NY")
    )
    with TestClient(app, base_url="https://testserver") as again:
        yield again


def test_the_lock_outlives_a_restart(console: Console) -> None:
    for n in range(5):
        attempt(console.client, "rita", f"guess number {n}")
    with restarted(console) as again:
        assert attempt(again, "rita", PASSWORD).status_code == 429


def test_after_the_lock_the_right_password_signs_in_and_the_count_restarts(
    console: Console,
) -> None:
    second = timedelta(seconds=1)
    brief = Backoff(threshold=5, base=second, cap=2 * second, forget=3 * second)
    with restarted(console, Lockouts(console.accounts.engine, account=brief)) as client:
        for n in range(5):
            attempt(client, "rita", f"guess number {n}")
        locked = attempt(client, "rita", PASSWORD)
        assert locked.status_code == 429 and locked.headers["Retry-After"] == "1"
        assert "(under a minute)" in locked.text
        time.sleep(1.1)  # the lock runs out
        assert attempt(client, "rita", PASSWORD).status_code == 303
        # A fresh count: four failures lock nothing, the fifth locks again.
        again = [attempt(client, "rita", "not it at all").status_code for _ in range(5)]
        assert again == [401] * 4 + [429]


def test_one_client_cannot_try_many_names(console: Console) -> None:
    statuses = [attempt(console.client, f"name{n}", "a guess at it").status_code for n in range(20)]
    assert statuses == [401] * 19 + [429]
    # rita herself, from this client, waits too; her account is not locked.
    assert attempt(console.client, "rita", PASSWORD).status_code == 429
    assert all(status.locked_until is None for status in console.accounts.list_accounts())


def test_lockout_is_logged_by_account_ref_without_names_or_passwords(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for n in range(6):
        attempt(console.client, "rita", f"secret guess {n}")
    attempt(console.client, "correct horse battery staple", "typed the password as the name")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    ref = account_ref("rita")
    assert f"sign-in failed for account {ref} from client " in logged
    assert f"sign-in locked (account) for account {ref} from client " in logged
    assert f"sign-in refused while locked (account) for account {ref}" in logged
    assert "sign-in failed for an unknown name" in logged
    for secret in ("rita", "secret guess", "correct horse", "typed the password", "testclient"):
        assert secret not in logged


def test_a_sign_in_is_logged_by_account_ref(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert attempt(console.client, "rita", PASSWORD).status_code == 303
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"account {account_ref('rita')} signed in" in logged and "rita" not in logged
    [status] = [s for s in console.accounts.list_accounts() if s.account.username == "rita"]
    assert status.last_signin is not None
    assert abs((datetime.now(UTC) - status.last_signin).total_seconds()) < 60


def test_the_wait_in_plain_words() -> None:
    assert [wait_words(s) for s in (1, 59, 60, 61, 3600)] == [
        "under a minute",
        "under a minute",
        "about 1 minute",
        "about 2 minutes",
        "about 60 minutes",
    ]
