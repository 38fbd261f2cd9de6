"""The resident view in a real headless Chromium: five wrong codes lock the licence, an hour
later the right code shows the requests about the person, the page checks every entry's proof
against the signed head with the browser's own crypto, a tampered proof fails that check, and a
downloaded proof verifies with ``stateline ledger check-proof``.

The server is the real app under uvicorn on a loopback port, over a whole exchange (the
``system`` fixture); the view's clock is the test's, so an hour passes at once. Without
chromium the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stateline.bootstrap import System
from stateline.cli.ledger import app as ledger_cli
from stateline.directory.model import Agency
from stateline.ledger.entries import subject_key
from stateline.node.records.model import Person
from stateline.storage.resident import ResidentStore, code_digest, new_code
from stateline.web.app import create_app
from stateline.web.resident import resident_router
from tests.browser import browser_or_skip, launch
from tests.serving import serving

HOSTILE = '<img src=x onerror="alert(1)">Police & <b>Co</b>'
SCREENSHOTS = os.environ.get("STATELINE_SCREENSHOTS")
"""A folder to keep the screenshots in, for a person to look at; by default a temporary one."""


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    url: str
    clock: Clock
    person: Person
    code: str
    messages: list[str]
    vkey: str


@pytest.fixture
def site(system: System, tokens: dict[str, str], people: dict[str, list[Person]]) -> Iterator[Site]:
    person = people["NY"][15]
    messages = [
        asyncio.run(system.exchange.submit(raw, tokens[ori])).id
        for ori, raw in [
            ("NYSTP0000", f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}.PRP/TRAFFIC-ENFORCEMENT"),
            ("DCICE0000", f"DQ.DCICE0000.NY.TXT\nOLN/{person.oln}"),
        ]
    ]
    clock = Clock(datetime(2026, 12, 7, 15, 0, tzinfo=UTC))
    node = system.nodes["NY"]
    subject = subject_key(node.subject_secret, "NY", oln=person.oln)
    code = new_code()
    codes = ResidentStore(system.engines["NY"])
    codes.create_schema()
    codes.issue("NY", subject, code_digest(node.subject_secret, subject, code), clock())

    def agencies(ori: str) -> Agency | None:
        agency = system.exchange.switch.directory.agencies.get(ori)
        # A directory entry with markup in its name: the page must show it as text.
        return replace(agency, name=HOSTILE) if agency and ori == "NYSTP0000" else agency

    router = resident_router(system.nodes, system.codes(), agencies, clock=clock)
    vkey = system.keys["NY"].signer.verifier.vkey
    with serving(create_app(system.exchange, system.log, resident=router)) as url:
        yield Site(url, clock, person, code, messages, vkey)


def test_the_resident_view_in_the_browser(site: Site, tmp_path: Path) -> None:
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile", accept_downloads=True)
        try:
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            drive(page, site, tmp_path)
            assert dialogs == []  # no markup from the directory ever ran
        finally:
            context.close()


def submit(page: Any, site: Site, code: str) -> int:
    """Fill the form and send it; the status of the page that comes back."""
    page.select_option("#state", "NY")
    page.fill("#oln", site.person.oln)
    page.fill("#code", code)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    return int(navigation.value.status)


def drive(page: Any, site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/resident")
    expect(page.locator("h1")).to_have_text("Who looked up my record?")
    expect(page.locator("#state")).to_contain_text("New York (NY)")

    # Five wrong codes: each refused, saying how many tries are left.
    for n in range(5):
        assert submit(page, site, f"WRONG-CODE-{n}") == 403
        expect(page.locator(".error")).to_contain_text("do not match a code the DMV issued")
        expect(page.locator(".error")).to_contain_text(f"{4 - n} tr")
    expect(page.locator("#oln")).to_have_value(site.person.oln)  # kept for the next try
    # The sixth, the right code included, is refused until the hour has passed.
    assert submit(page, site, site.code) == 429
    expect(page.locator(".error")).to_contain_text("Too many wrong codes for this licence number")
    expect(page.locator(".error")).to_contain_text("until 2026-12-07 11:00 EST")
    shot(page, tmp_path, "locked")

    site.clock.now += timedelta(hours=1)
    assert submit(page, site, site.code.lower()) == 200
    expect(page.locator("h1")).to_have_text("Requests about you in New York")
    lookups = page.locator("section.lookup")
    for message in site.messages:
        expect(page.locator(f"section.lookup[data-message='{message}']")).to_have_count(1)
    police = page.locator(f"section.lookup[data-message='{site.messages[0]}']")
    expect(police.locator(".agency")).to_contain_text(HOSTILE)  # shown as text, inert
    expect(police.locator(".agency img")).to_have_count(0)
    expect(police.locator(".purpose")).to_have_text("traffic enforcement")
    expect(police.locator(".outcome")).to_have_text("Released.")
    expect(police.locator(".released")).to_contain_text("your address")
    expect(police.locator("h2 time")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$")
    )
    ice = page.locator(f"section.lookup[data-message='{site.messages[1]}']")
    expect(ice.locator(".agency")).to_contain_text("DCICE0000")

    # The page checks every proof against the signed head, in the browser.
    expect(page.locator("#result")).to_have_attribute("data-checked", "true")
    checks = page.locator(".check")
    assert checks.count() >= 3 * lookups.count() + 7  # 6 refusals and this look, at least
    for n in range(checks.count()):
        expect(checks.nth(n)).to_have_text("in the signed ledger: checked")
    expect(page.locator("#head-status")).to_contain_text("signature checked in this page")
    accesses = page.locator("ul.accesses li")
    expect(accesses.first).to_contain_text("this list was shown")
    expect(page.locator("ul.accesses")).to_contain_text("refused: too many wrong codes")
    expect(page.locator("ul.accesses")).to_contain_text("a wrong access code was typed")
    police.locator("summary").click()
    shot(page, tmp_path, "lookups")

    # A downloaded proof verifies with the command anyone can run, against the state's key.
    with page.expect_download() as download:
        police.locator("li.entry a[download]").first.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    checked = CliRunner().invoke(ledger_cli, ["check-proof", str(saved), "--key", site.vkey])
    assert checked.exit_code == 0, checked.output
    assert "verified" in checked.output and "request entry" in checked.output

    # A proof whose entry was changed on the way does not check.
    def tamper(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("&#34;entry&#34;: &#34;ey", "&#34;entry&#34;: &#34;ez", 1)
        route.fulfill(response=response, body=body)

    page.route(f"{site.url}/resident", tamper)
    page.goto(f"{site.url}/resident")
    assert submit(page, site, site.code) == 200
    expect(page.locator("#result")).to_have_attribute("data-checked", "true")
    expect(page.locator(".check.bad")).to_have_count(1)
    expect(page.locator(".check.bad")).to_have_text("does NOT check")


def shot(page: Any, tmp_path: Path, name: str) -> None:
    """A screenshot for a person to look at (never compared): in tmp, or STATELINE_SCREENSHOTS."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"resident-{name}.png"), full_page=True)
