"""The auditor's dashboard in a real headless Chromium: an auditor signs in, reads the charts,
filters, follows a number to its requests, one request to its ledger entries and one entry to
its proof, which the page checks against the signed checkpoint with the browser's own crypto;
the downloaded proof verifies with ``stateline ledger check-proof``; the auditor cannot decide
a held request; markup in an agency's name never runs; a reviewer reads the dashboard too.

The server is the real app under uvicorn on a loopback port, over a whole exchange (a fresh
copy of the prepared one, New York deciding by its statute) with New York's console and its
dashboard, under the console's Content-Security-Policy; a console error fails the test.
Without chromium the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stateline.cli import app as cli
from stateline.config import Config
from stateline.node.review.model import ReviewState
from stateline.web.app import create_app
from tests.browser import browser_or_skip, launch
from tests.serving import serving
from tests.web.console.conftest import PASSWORD
from tests.web.console.test_dashboard import (
    HOSTILE,
    HOSTILE_ORI,
    ROUTINE,
    Audited,
    audited_exchange,
)

SCREENSHOTS = os.environ.get("STATELINE_SCREENSHOTS")
"""A folder to keep the screenshots in, for a person to look at; by default a temporary one."""
CHARTS = ("by_category", "immigration", "over_time", "classes")


@pytest.fixture
def site(prepared: Config, tmp_path: Path) -> Iterator[tuple[str, Audited]]:
    audited = audited_exchange(prepared, tmp_path / "exchange")
    try:
        console = audited.console(secure_cookies=False)  # plain HTTP on loopback
        app = create_app(audited.system.exchange, audited.system.log, console=console)
        with serving(app) as url:
            yield url, audited
    finally:
        audited.system.close()


def test_an_auditor_reads_the_dashboard_in_the_browser(
    site: tuple[str, Audited], tmp_path: Path
) -> None:
    sync_playwright = browser_or_skip()
    url, audited = site
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile", accept_downloads=True)
        try:
            page = context.new_page()
            dialogs: list[str] = []
            errors: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: _console(message, errors))
            drive(page, url, audited, tmp_path)
            assert dialogs == []  # no markup from the directory ever ran
            assert errors == []  # the Content-Security-Policy refused nothing the pages do
        finally:
            context.close()


def _console(message: Any, errors: list[str]) -> None:
    """A console error, but the browser's own notes of a missing icon and of the forged
    decision the test expects refused."""
    where = message.location.get("url", "")
    if message.type == "error" and not where.endswith(("favicon.ico", "/decision")):
        errors.append(message.text)


def sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/console/signin")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def drawn(page: Any) -> None:
    from playwright.sync_api import expect

    for name in CHARTS:
        chart = page.locator(f'.chart[data-chart="{name}"]')
        expect(chart).to_have_attribute("data-drawn", "true", timeout=30_000)
        expect(chart.locator("svg")).to_have_count(1)


def card(page: Any, name: str) -> Any:
    return page.locator(".card.figure", has_text=name).locator(".n")


def drive(page: Any, url: str, audited: Audited, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # The auditor signs in and opens the dashboard from the navigation.
    page.goto(f"{url}/console/dashboard")
    expect(page).to_have_url(f"{url}/console/signin")
    sign_in(page, url, "ada")
    expect(page.locator(".who")).to_have_text("ada · auditor")
    page.click("header nav a:has-text('Dashboard')")
    expect(page.locator("h1")).to_have_text("Auditor's dashboard")
    requests = ROUTINE + 6
    expect(card(page, "requests")).to_have_text(str(requests))
    expect(card(page, "held for review")).to_have_text("2")
    drawn(page)
    shot(page, tmp_path, "dashboard")

    # A bar leads to the requests it draws.
    bar = page.locator('.chart[data-chart="by_category"] svg .mark-rect path').first
    bar.click()
    expect(page).to_have_url(re.compile(r"/console/dashboard/requests\?by=by_category&label="))
    expect(page.locator("h1")).to_have_text("Requests behind a figure")
    expect(page.locator("#requests-count")).to_contain_text("request")
    page.go_back()
    drawn(page)

    # Filtered to ICE's requests: the figures come back in place, the address says so.
    page.select_option("#category", "federal immigration: ICE ERO")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/dashboard\?category=federal\+immigration"))
    expect(card(page, "requests")).to_have_text("3")
    expect(page.locator("#section-by_category tbody tr")).to_have_count(1)
    drawn(page)
    shot(page, tmp_path, "filtered")

    # From a number to the requests behind it: the two held for review, newest first.
    card(page, "held for review").click()
    expect(page.locator("#requests-count")).to_have_text("2 requests, the newest first.")
    expect(page.locator("#drill")).to_contain_text("all requests, held for review")
    rows = page.locator("#request-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-message", audited.held)
    shot(page, tmp_path, "requests")

    # From a request to its ledger entries.
    page.click(f"#request-rows a:has-text('{audited.escalated}')")
    expect(page.locator("h1")).to_contain_text("DQ from DCICE0000")
    entries = page.locator("table.entries tbody tr")
    kinds = [entries.nth(i).locator("td").nth(1).inner_text() for i in range(entries.count())]
    assert kinds[:3] == ["request", "decision", "disclosure"] and "review" in kinds
    shot(page, tmp_path, "request")

    # From an entry to its proof, checked in the page against the latest signed checkpoint.
    entries.nth(1).locator("a").click()
    expect(page.locator("h1")).to_contain_text("of NY's ledger")
    page.wait_for_selector("#result[data-checked='true']", timeout=30_000)
    expect(page.locator(".check")).to_have_text("in the signed ledger: checked")
    expect(page.locator("#head-status")).to_contain_text("signature checked in this page")
    expect(page.locator("pre.entry-text")).to_contain_text('"kind": "decision"')
    shot(page, tmp_path, "entry")
    with page.expect_download() as download:
        page.click("text=download the proof")
    kept = tmp_path / "proof.json"
    download.value.save_as(kept)
    vkey = audited.system.nodes["NY"].ledger.verifier.vkey
    checked = CliRunner().invoke(cli, ["ledger", "check-proof", str(kept), "--key", vkey])
    assert checked.exit_code == 0 and "verified" in checked.output, checked.output

    # The auditor cannot decide a held request: no form, and a forged one is refused.
    page.goto(f"{url}/console/items/{audited.held}")
    expect(page.locator("#decision .notice").last).to_have_text(
        "As auditor you may not act on this request."
    )
    expect(page.locator("#decision button")).to_have_count(0)
    forged = page.evaluate(
        """async (id) => {
            const csrf = document.querySelector('input[name=csrf]').value;
            const body = new URLSearchParams({csrf, action: 'escalate'});
            const r = await fetch(`/console/items/${id}/decision`, {method: 'POST', body});
            return [r.status, await r.text()];
        }""",
        audited.held,
    )
    assert forged == [403, "An auditor reads the console and acts on nothing."]
    review = audited.system.nodes["NY"].review
    assert review is not None and review.get(audited.held).state is ReviewState.HELD

    # Markup in an agency's name is shown as text, in the figures and the requests alike.
    page.goto(f"{url}/console/dashboard?ori={HOSTILE_ORI}")
    expect(page.locator("#section-by_agency tbody tr").first).to_contain_text(HOSTILE)
    page.locator("#section-by_agency tbody tr a").first.click()
    expect(page.locator("#request-rows .agency")).to_contain_text(HOSTILE)
    page.click("#request-rows td:nth-child(2) a")
    expect(page.locator("dd.agency")).to_have_text(HOSTILE)
    assert page.locator("main script").count() == 0  # the name's <script> is no element
    shot(page, tmp_path, "hostile")

    # A reviewer reads the dashboard too.
    page.click("button:has-text('Sign out')")
    sign_in(page, url, "rita")
    page.goto(f"{url}/console/dashboard")
    expect(card(page, "requests")).to_have_text(str(requests))
    drawn(page)


def shot(page: Any, tmp_path: Path, name: str) -> None:
    """A screenshot for a person to look at (never compared): in tmp, or STATELINE_SCREENSHOTS."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"dashboard-{name}.png"), full_page=True)
