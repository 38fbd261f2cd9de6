"""A notice delayed in a real headless Chromium, and what the person then sees: counsel signs in
to the console, opens the letter an ICE request owes (its requester asked for a delay, NDR/Y),
grants the delay until a date; past the letter's first due date the person's "who looked me up"
page still hides that request and says something is withheld; the day after the delay it shows
the request with its delay entry, every proof checked in the page, and the letter is due again.

The server is the real app under uvicorn on a loopback port, over a whole exchange under New
York's law in a copy of the prepared data directory; the outbox and the resident view share the
test's clock, so weeks pass at once. Without chromium the test skips, except under CI.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from stateline.bootstrap import System, build
from stateline.config import Config
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.ledger.entries import subject_key
from stateline.node.deadlines import local_day, state_zone
from stateline.node.notices.delays import DELAY_NOTICE
from stateline.node.notices.model import Notice
from stateline.node.records.model import Person
from stateline.node.review.model import Role
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import open_alerts
from stateline.storage.resident import ResidentStore, code_digest, new_code
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.web.resident import resident_router
from tests.browser import browser_or_skip, launch
from tests.conftest import fresh_copy
from tests.serving import serving
from tests.web.console.conftest import FAST

PASSWORD = "correct horse battery"
SCREENSHOTS = os.environ.get("STATELINE_SCREENSHOTS")


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    url: str
    system: System
    clock: Clock
    person: Person
    code: str
    police: str  # a traffic stop's request: always shown
    covert: str  # ICE's request whose requester asked that the person not be told yet
    notice: Notice  # the letter ICE's request owes the person


@pytest.fixture
def site(
    prepared: Config, tmp_path: Path, tokens: dict[str, str], people: dict[str, list[Person]]
) -> Iterator[Site]:
    config = replace(prepared, data_dir=fresh_copy(prepared, tmp_path / "data"), policy="NY=ny")
    system = build(config)
    try:
        person = people["NY"][9]
        police, covert = (
            asyncio.run(system.exchange.submit(raw, tokens[ori])).id
            for ori, raw in [
                ("NYSTP0000", f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}.PRP/TRAFFIC-ENFORCEMENT"),
                ("DCICE0000", f"DQ.DCICE0000.NY.TXT\nOLN/{person.oln}.NDR/Y"),
            ]
        )
        node = system.nodes["NY"]
        assert node.notices is not None and node.review is not None
        outbox = node.notices.outbox
        [notice] = outbox.store.for_message(covert)
        clock = Clock(datetime.now(UTC))
        outbox.clock = clock  # the console's today is the test's
        accounts = AccountStore(system.engines["NY"], hasher=FAST)
        accounts.create_schema()
        accounts.create_account("carl", PASSWORD, Role.COUNSEL)
        subject = subject_key(node.subject_secret, "NY", oln=person.oln)
        code = new_code()
        codes = ResidentStore(system.engines["NY"])
        codes.create_schema()
        codes.issue("NY", subject, code_digest(node.subject_secret, subject, code), clock())
        console = console_router(
            node.review,
            accounts,
            open_alerts(accounts.engine),
            state="NY",
            secure_cookies=False,
            outbox=outbox,
        )
        directory = system.exchange.switch.directory
        resident = resident_router(
            system.nodes, system.codes(), directory.agencies.get, clock=clock
        )
        app = create_app(system.exchange, system.log, console=console, resident=resident)
        with serving(app) as url:
            yield Site(url, system, clock, person, code, police, covert, notice)
    finally:
        system.close()


def test_a_delay_granted_in_the_console_hides_the_request_until_it_ends(
    site: Site, tmp_path: Path
) -> None:
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile")
        try:
            page = context.new_page()
            until = grant(page, site, tmp_path)
            during(page, site, until, tmp_path)
            after(page, site, until, tmp_path)
        finally:
            context.close()


def grant(page: Any, site: Site, tmp_path: Path) -> str:
    """Counsel delays the letter in the console; returns the delay's last day."""
    from playwright.sync_api import expect

    page.goto(f"{site.url}/console/")
    page.fill("#username", "carl")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}/console/")
    page.click("nav a[href='/console/notices']")
    row = page.locator(f"tr[data-notice='{site.notice.notice_id}']")
    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text(site.notice.notice_id)
    expect(page.locator("dd.late")).to_contain_text("The requester asked to delay this notice")

    # A date in the past is refused in the page, and nothing is written.
    today = local_day(site.clock(), "NY")
    page.fill("#delay-until", (today - timedelta(days=1)).isoformat())
    page.fill("#delay-reason", "notice would impede an open investigation")
    page.evaluate("document.querySelector('#delay-until').removeAttribute('min')")
    page.click("#delay-form button[type=submit]")
    expect(page.locator("#notice-actions .error")).to_contain_text("is in the past")

    until = (today + timedelta(days=20)).isoformat()
    page.fill("#delay-until", until)
    page.fill("#delay-reason", "notice would impede an open investigation")
    page.click("#delay-form button[type=submit]")
    status = page.locator("#delay-status")
    expect(status).to_contain_text(f"Delayed until {until}")
    expect(status).to_contain_text("counsel accepted the requester's request to delay it")
    expect(status).to_contain_text("by carl")
    expect(page.locator("#notice-actions button[value=sent]")).to_have_count(0)
    expect(page.locator("#lift-form")).to_have_count(1)
    shot(page, tmp_path, "console-delayed")

    page.click("nav a[href='/console/notices']")
    expect(page.locator(f"tr[data-notice='{site.notice.notice_id}'] .delayed")).to_contain_text(
        f"delayed until {until}"
    )
    return until


def look(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/resident")
    page.select_option("#state", "NY")
    page.fill("#oln", site.person.oln)
    page.fill("#code", site.code)
    with page.expect_navigation():
        page.click("button[type=submit]")


def during(page: Any, site: Site, until: str, tmp_path: Path) -> None:
    """Past the letter's first due date, while the delay holds: the request stays hidden."""
    from playwright.sync_api import expect

    first_due = datetime.combine(site.notice.due, time(12, 0), state_zone("NY"))
    site.clock.now = first_due + timedelta(days=2)  # without the grant, it would show by now
    assert local_day(site.clock(), "NY").isoformat() < until
    look(page, site)
    expect(page.locator("h1")).to_have_text("Requests about you in New York")
    expect(page.locator(f"section.lookup[data-message='{site.police}']")).to_have_count(1)
    expect(page.locator(f"section.lookup[data-message='{site.covert}']")).to_have_count(0)
    expect(page.locator(".withheld")).to_contain_text("Some requests about you are not shown")
    assert site.covert not in page.content()
    shot(page, tmp_path, "resident-withheld")


def after(page: Any, site: Site, until: str, tmp_path: Path) -> None:
    """From midnight after the delay's last day: the request, with its delay entry, proven."""
    from playwright.sync_api import expect

    last_day = datetime.combine(datetime.fromisoformat(until), time(23, 59), state_zone("NY"))
    site.clock.now = last_day + timedelta(minutes=1)
    look(page, site)
    covert = page.locator(f"section.lookup[data-message='{site.covert}']")
    expect(covert).to_have_count(1)
    expect(page.locator(".withheld")).to_have_count(0)
    node = site.system.nodes["NY"]
    [(index, entry)] = [
        (i, e)
        for i, e in node.ledger.entries_for_subject(site.notice.subject)
        if isinstance(e, NoticeEntry) and e.notice == DELAY_NOTICE
    ]
    assert (entry.detail["actor"], entry.detail["until"]) == ("carl", until)
    covert.locator("summary").click()
    delay = covert.locator(f"li.entry[data-index='{index}']")
    expect(delay).to_contain_text("(notice)")
    expect(page.locator("#result")).to_have_attribute("data-checked", "true")
    expect(delay.locator(".check")).to_have_text("in the signed ledger: checked")
    expect(page.locator(".check.bad")).to_have_count(0)
    shot(page, tmp_path, "resident-after")

    # The letter is due again, and may be sent now.
    page.goto(f"{site.url}/console/notices/{site.notice.notice_id}")
    expect(page.locator("#notice-actions button[value=sent]")).to_have_count(1)
    expect(page.locator("#delay-status")).to_contain_text("which has passed")


def shot(page: Any, tmp_path: Path, name: str) -> None:
    """A screenshot for a person to look at (never compared): in tmp, or STATELINE_SCREENSHOTS."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"notice-delay-{name}.png"), full_page=True)
