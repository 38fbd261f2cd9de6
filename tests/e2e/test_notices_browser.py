"""The notices outbox in a real headless Chromium: sign in, find the overdue letter, read it,
download its PDF, mark it sent, and see the ledger record it under the account's name.

The server is the real app under uvicorn on a loopback port, over real stores in a temporary
SQLite node database, as in ``test_console_browser``; the audit callable keeps the ledger
entries in a list. Without chromium the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from pypdf import PdfReader

from stateline.hub.exchange import Exchange
from stateline.hub.switch import Directory, Switch
from stateline.ledger.entries import Entry
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.node.notices.letters import long_date
from stateline.node.notices.model import Disclosed, Notice, NoticeStatus, make_notices, recipients
from stateline.node.notices.service import Outbox
from stateline.node.policy.model import Duty, DutyKind
from stateline.node.review.model import Role
from stateline.node.review.service import ReviewService
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import open_alerts
from stateline.storage.delays import delays_beside
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.notices import SqlNoticeStore
from stateline.storage.records import SqlRecordStore
from stateline.storage.review import SqlReviewStore
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.wire.grammar import DataClass
from tests.browser import browser_or_skip, launch
from tests.hub.helpers import message_log
from tests.serving import serving

from .test_console_browser import ICE, PASSWORD, shot

NY_NOTICE = Duty(DutyKind.NOTIFY_SUBJECT, 3, False, "ny-notice-immigration-request")
STATUTE = "VTL 201(12)(b) (Driver's License Access and Privacy Act (Green Light))"


@dataclass
class Site:
    url: str
    outbox: Outbox
    ledger: list[Entry]
    late: Notice
    fresh: Notice


def owed(person: Any, message_id: str, received: datetime) -> Notice:
    [notice] = make_notices(
        duty=NY_NOTICE,
        state="NY",
        message_id=message_id,
        requester=ICE,
        received=received,
        created=received,
        people=recipients(b"k" * 32, "NY", [(person, frozenset())]),
        disclosed=Disclosed.DENIED,
        requested=frozenset({DataClass.IDENTITY, DataClass.ADDRESS}),
        statute=STATUTE,
    )
    return notice


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    engine = open_engine(sqlite_url(str(tmp_path / "node-ny.sqlite")))
    records = SqlRecordStore(engine)
    records.create_schema()
    people = list(generate_people("NY", 3, seed=31))
    store = SqlReviewStore(engine)
    store.create_schema()
    accounts = AccountStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=1024))
    accounts.create_schema()
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    notices = SqlNoticeStore(engine)
    notices.create_schema()
    ledger: list[Entry] = []
    outbox = Outbox(notices, ledger.extend, delays=delays_beside(notices))
    now = datetime.now(UTC)
    [late] = outbox.create([owed(people[0], "m-late", now - timedelta(days=6))])
    [fresh] = outbox.create([owed(people[1], "m-fresh", now - timedelta(minutes=5))])
    exchange = Exchange(Switch(Directory({}, {}), {}), message_log(engine))
    service = ReviewService(store, lambda _i, _c: None, exchange, lambda _a: None)  # type: ignore[arg-type,return-value]
    console = console_router(
        service,
        accounts,
        open_alerts(accounts.engine),
        title="NY review",
        secure_cookies=False,
        outbox=outbox,
    )
    try:
        with serving(create_app(exchange, console=console)) as url:
            yield Site(url, outbox, ledger, late, fresh)
    finally:
        engine.dispose()


def test_the_outbox_in_the_browser(site: Site, tmp_path: Path) -> None:
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile", accept_downloads=True)
        try:
            drive(context.new_page(), site, tmp_path)
        finally:
            context.close()


def drive(page: Any, site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/console/")
    page.fill("#username", "rita")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}/console/")

    # The outbox, from the navigation: soonest due first, the overdue one marked.
    page.click("nav a[href='/console/notices']")
    expect(page).to_have_url(f"{site.url}/console/notices")
    rows = page.locator("#notice-rows tr")
    expect(rows).to_have_count(2)
    late_row = page.locator(f"tr[data-notice='{site.late.notice_id}']")
    expect(rows.first).to_have_attribute("data-notice", site.late.notice_id)
    expect(late_row).to_have_class("overdue")
    expect(late_row.locator(".late")).to_have_text("overdue")
    expect(page.locator(f"tr[data-notice='{site.fresh.notice_id}'] .late")).to_have_count(0)
    expect(page.locator("#overdue-count")).to_have_text("1 overdue.")
    background = late_row.evaluate("row => getComputedStyle(row).backgroundColor")
    assert background == "rgb(255, 244, 224)"  # the stylesheet's overdue colour is applied
    shot(page, tmp_path, "notices")

    # The letter, as text: who asked, the law, the date it is due by.
    late_row.locator("a").click()
    expect(page.locator("h1")).to_contain_text(site.late.notice_id)
    letter = page.locator("#letter")
    expect(letter).to_contain_text("ICE ERO (agency identifier DCICE0100)")
    expect(letter).to_contain_text(STATUTE)
    expect(letter).to_contain_text(f"by {long_date(site.late.due)}")
    expect(page.locator(".hint").first).to_contain_text("overdue")
    expect(page.locator("button[value=cancel]")).to_have_count(0)  # counsel only
    shot(page, tmp_path, "notice")

    # The PDF downloads and reads back with the agency and the due date.
    with page.expect_download() as waiting:
        page.click("a.pdf")
    download = waiting.value
    assert download.suggested_filename == f"{site.late.notice_id}.pdf"
    saved = tmp_path / "letter.pdf"
    download.save_as(str(saved))
    pages = PdfReader(io.BytesIO(saved.read_bytes())).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # lines unwrapped
    assert "ICE ERO" in text and f"by {long_date(site.late.due)}" in text

    # Mark it sent: the section swaps in place, and the ledger has it under rita's name.
    page.click("button[value=sent]")
    expect(page.locator("#notice-actions .outcome")).to_contain_text("Sent by rita")
    assert site.outbox.get(site.late.notice_id).status is NoticeStatus.SENT
    last = site.ledger[-1]
    assert isinstance(last, NoticeEntry)
    assert (last.detail["event"], last.detail["actor"]) == ("sent", "rita")
    assert last.detail["notice_id"] == site.late.notice_id

    # The outbox now holds only the letter still to send; the sent one is under "Sent".
    page.goto(f"{site.url}/console/notices")
    expect(page.locator("#notice-rows tr")).to_have_count(1)
    expect(page.locator("#overdue-count")).to_have_text("0 overdue.")
    page.click("nav.tabs a[href='/console/notices?show=sent']")
    expect(page.locator(f"tr[data-notice='{site.late.notice_id}']")).to_contain_text("rita")
