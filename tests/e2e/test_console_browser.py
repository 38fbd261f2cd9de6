"""The review console in a real headless Chromium: sign in, read the queue, decide, the
requester fetches its late reply from the agency API, and the decided requests are listed and
searched.

The browser is Debian's ``chromium`` (``scripts/browser.sh`` installs it; Playwright's own
browser downloads are never used), driven by the ``playwright`` package. The server is the real
app under uvicorn on a free loopback port, over real stores in a temporary SQLite node
database; the late replies go to the real hub mailbox (``Exchange.deliver``). Without chromium
the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from stateline.directory.credentials import hash_token
from stateline.directory.model import Agency, AgencyType, Mission
from stateline.hub.exchange import Exchange
from stateline.hub.switch import Directory, Switch
from stateline.node.records.model import Person
from stateline.node.records.render import driver_fields
from stateline.node.redact import redact, released_classes
from stateline.node.review.model import (
    COUNSEL_DUTY,
    CitedProcess,
    Document,
    HeldItem,
    ReviewAction,
    ReviewState,
    Role,
)
from stateline.node.review.service import ReviewService
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import open_alerts
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.records import SqlRecordStore
from stateline.storage.review import SqlReviewStore
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.wire import text
from stateline.wire.grammar import MKE, NOT_ON_FILE, DataClass
from stateline.wire.messages import Header, Query, Response
from tests.browser import browser_or_skip, launch
from tests.hub.helpers import message_log
from tests.serving import serving

PASSWORD = "correct horse battery"
TOKEN = "ice-agency-credential"
ICE = Agency(
    "DCICE0100", "ICE ERO", AgencyType.FE, "US", frozenset({Mission.IMMIGRATION_ENFORCEMENT})
)
UNDER_REVIEW = frozenset(
    {DataClass.IDENTITY, DataClass.ADDRESS, DataClass.PHYSICAL, DataClass.CREDENTIAL_TYPE}
)
SCREENSHOTS = os.environ.get("STATELINE_SCREENSHOTS")
"""A folder to keep the screenshots in, for a person to look at; by default a temporary one."""


@dataclass
class Site:
    url: str
    service: ReviewService
    audited: list[ReviewAction]
    people: list[Person]


def held(person: Person, message_id: str, *duties: str) -> HeldItem:
    received = datetime.now(UTC) - timedelta(hours=2)
    return HeldItem(
        message_id=message_id,
        query=Query(Header(MKE.DQ, ICE.ori, ("NY",), "CASE-7"), (("OLN", person.oln),)),
        destination="NYOLN0000",
        requester=ICE,
        received=received,
        deadline=received + timedelta(hours=24),
        requested=UNDER_REVIEW | {DataClass.SSN},
        under_review=UNDER_REVIEW,
        policy_ids=("ny-green-light-review",),
        reasons=("FEDERAL REQUESTER: A PERSON DECIDES",),
        duties=("log", *duties),
        purpose="criminal-investigation",
        legal_process=CitedProcess(
            "judicial-warrant",
            number="24-MJ-1031",
            court="U.S. District Court, S.D.N.Y.",
            judge="Hon. A. Judge",
            covers=frozenset({DataClass.IDENTITY, DataClass.ADDRESS}),
        ),
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    engine = open_engine(sqlite_url(str(tmp_path / "node-ny.sqlite")))
    records = SqlRecordStore(engine)
    records.create_schema()
    people = list(generate_people("NY", 5, seed=21))
    records.insert_people(people)

    def lookup(item: HeldItem, released: frozenset[DataClass]) -> Response:
        person = records.by_oln(item.query.get("OLN") or "")
        found = (driver_fields(person, score=None, photo=False),) if person else ()
        header = Header(MKE.DR, item.destination, (item.requester.ori,), item.query.header.control)
        kept = tuple(redact(r, released) for r in found)
        return Response(header, kept, () if kept else (NOT_ON_FILE,))

    store = SqlReviewStore(engine)
    store.create_schema()
    accounts = AccountStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=1024))
    accounts.create_schema()
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    directory = Directory({ICE.ori: ICE}, {hash_token(TOKEN): ICE.ori})
    exchange = Exchange(Switch(directory, {}), message_log(engine))
    audited: list[ReviewAction] = []
    service = ReviewService(store, lookup, exchange, audited.append)
    warrant = Document(_png(), "image/png", "warrant-24-MJ-1031.png")
    service.hold(held(people[0], "m-part"), warrant)
    service.hold(held(people[1], "m-deny"))
    service.hold(held(people[2], "m-counsel", COUNSEL_DUTY))
    # Plain HTTP on loopback: Secure cookies would need TLS, which this test does not set up.
    console = console_router(
        service,
        accounts,
        open_alerts(accounts.engine),
        title="NY review",
        secure_cookies=False,
        state="NY",
    )
    try:
        with serving(create_app(exchange, console=console)) as url:
            yield Site(url, service, audited, people)
    finally:
        engine.dispose()


def _png() -> bytes:
    """A small real PNG (a grey page with a dark band), to stand for a scanned warrant."""
    import struct
    import zlib

    width, height = 120, 80
    rows = b"".join(b"\x00" + (b"\x30" if 30 <= y < 40 else b"\xe0") * width for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def late_replies(site: Site, message_id: str) -> list[Any]:
    """What the requester fetches from the agency API for one of its messages."""
    response = httpx.get(
        f"{site.url}/v1/messages/{message_id}/replies",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return [text.parse(raw) for raw in response.json()["replies"]]


def test_review_in_the_browser(site: Site, tmp_path: Path) -> None:
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile")
        try:
            page = context.new_page()
            drive(page, site, tmp_path)
        finally:
            context.close()


def drive(page: Any, site: Site, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # A wrong password is refused, and no page opens.
    page.goto(f"{site.url}/console/")
    expect(page).to_have_url(f"{site.url}/console/signin")
    page.fill("#username", "rita")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Sign-in failed")
    page.goto(f"{site.url}/console/")
    expect(page).to_have_url(f"{site.url}/console/signin")

    # Five wrong passwords lock a name: the form says until when, on New York's clock.
    for n in range(5):
        page.fill("#username", "sam")
        page.fill("#password", f"guess number {n}")
        page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Too many failed sign-ins")
    expect(page.locator(".error")).to_contain_text(re.compile(r"until [\d-]+ [\d:]+ E[SD]T"))

    # Signed in: the queue, oldest first.
    page.fill("#username", "rita")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.url}/console/")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("DCICE0100")
    # Times on New York's clock, the UTC time in the tooltip.
    received = rows.first.locator("time").first
    expect(received).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$"))
    expect(received).to_have_attribute("title", re.compile(r"^[\d-]+ [\d:]+ UTC$"))
    shot(page, tmp_path, "queue")

    # The request, its requester and its legal process with the document; approve in part.
    page.click("tr[data-message=m-part] a")
    expect(page.locator("h1")).to_contain_text("DQ from DCICE0100")
    expect(page.locator("main")).to_contain_text(site.people[0].oln)
    expect(page.locator("main")).to_contain_text("24-MJ-1031")
    expect(page.locator("img.document")).to_be_visible()
    assert page.evaluate("document.querySelector('img.document').naturalWidth") == 120
    page.uncheck("input[name=classes][value='physical-description']")
    page.uncheck("input[name=classes][value='credential-type']")
    page.fill("#reason", "Warrant covers identity and address")
    shot(page, tmp_path, "request")
    page.click("button[value=approve-in-part]")
    expect(page.locator("#decision .outcome")).to_contain_text("Approved in part")
    expect(page.locator("#decision .outcome")).to_contain_text("Released: address, identity.")
    [reply] = late_replies(site, "m-part")
    assert isinstance(reply, Response)
    assert reply.header.mke is MKE.DR
    assert released_classes(reply.records[0]) == {DataClass.IDENTITY, DataClass.ADDRESS}

    # Deny another, with a reason: the requester gets the reason.
    page.goto(f"{site.url}/console/items/m-deny")
    page.fill("#reason", "Administrative warrant only")
    page.click("button[value=deny]")
    expect(page.locator("#decision .outcome")).to_contain_text("Denied")
    [reply] = late_replies(site, "m-deny")
    assert isinstance(reply, Response) and reply.records == ()
    assert "REASON: ADMINISTRATIVE WARRANT ONLY" in reply.text

    # A reviewer cannot decide what the law gives to counsel: no buttons, and a forged post fails.
    page.goto(f"{site.url}/console/items/m-counsel")
    expect(page.locator("#decision .notice").first).to_contain_text("Counsel decides")
    expect(page.locator("button[value=approve]")).to_have_count(0)
    expect(page.locator("button[value=escalate]")).to_have_count(1)
    forged = page.evaluate(
        """async () => {
            const csrf = document.querySelector('input[name=csrf]').value;
            const body = new URLSearchParams({csrf, action: 'approve'});
            const r = await fetch('/console/items/m-counsel/decision', {method: 'POST', body});
            return [r.status, await r.text()];
        }"""
    )
    assert forged[0] == 400 and "only counsel may approve" in forged[1]
    assert late_replies(site, "m-counsel") == []
    assert site.service.get("m-counsel").state is ReviewState.HELD

    # Every decision went to the audit callable, in order.
    assert [(a.message_id, a.target) for a in site.audited] == [
        ("m-part", ReviewState.PARTIALLY_APPROVED),
        ("m-deny", ReviewState.DENIED),
    ]
    page.goto(f"{site.url}/console/")
    expect(page.locator("#queue-rows tr")).to_have_count(1)

    # The decided requests, the latest decision first, searched as the reviewer types.
    page.click("header nav a:has-text('Decided')")
    expect(page).to_have_url(f"{site.url}/console/decided")
    decided = page.locator("#decided-rows tr")
    expect(decided).to_have_count(2)
    expect(decided.first).to_have_attribute("data-message", "m-deny")
    expect(decided.nth(1)).to_contain_text("Approved in part")
    expect(decided.first.locator("time").first).to_have_text(re.compile(r"E[SD]T$"))
    page.fill("#message", "PART")
    expect(decided).to_have_count(1)
    expect(decided.first).to_have_attribute("data-message", "m-part")
    expect(page).to_have_url(f"{site.url}/console/decided?message=PART")
    page.fill("#message", "")
    page.select_option("#outcome", "denied")
    expect(page).to_have_url(f"{site.url}/console/decided?outcome=denied")
    expect(decided).to_have_count(1)
    expect(decided.first).to_have_attribute("data-message", "m-deny")
    page.fill("#ori", "NY")
    expect(page.locator("#decided-rows")).to_contain_text("No decided request matches.")
    page.fill("#ori", "DCICE")
    expect(decided.first).to_have_attribute("data-message", "m-deny")
    shot(page, tmp_path, "decided")
    # Each row opens the request's own page, which leads back to the list.
    page.click("#decided-rows a")
    expect(page).to_have_url(f"{site.url}/console/items/m-deny")
    expect(page.locator("#decision .outcome")).to_contain_text("Denied")
    page.click("text=← Decided requests")
    expect(page.locator("#decided-rows tr")).to_have_count(2)
    # A reload of a searched address shows the same search, without HTMX.
    page.goto(f"{site.url}/console/decided?outcome=partially-approved")
    expect(page.locator("#outcome")).to_have_value("partially-approved")
    expect(decided).to_have_count(1)
    expect(decided.first).to_have_attribute("data-message", "m-part")


def shot(page: Any, tmp_path: Path, name: str) -> None:
    """A screenshot for a person to look at (never compared): in tmp, or STATELINE_SCREENSHOTS."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)
