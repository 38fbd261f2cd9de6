"""Tests for stateline/web/console/views/decided.py: decided requests, listed and searched."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp

from stateline.node.review.model import Action, Reviewer, Role
from stateline.web.console.views.decided import PAGE_SIZE

from .conftest import SECRET, Console, hold
from .test_console import sign_in

RITA = Reviewer("rita", Role.REVIEWER)
ROW = re.compile(r'<tr data-message="([^"]+)">')


def listed(html: str) -> list[str]:
    return ROW.findall(html)


def decide_some(console: Console) -> None:
    """m-new denied, then m-old approved by counsel: m-old's decision is the latest."""
    console.service.decide("m-new", RITA, Action.DENY, reason="Administrative warrant only")
    console.service.escalate_overdue()
    counsel = Reviewer("carl", Role.COUNSEL)
    console.service.decide("m-old", counsel, Action.APPROVE)


def test_the_decided_page_needs_a_session(console: Console) -> None:
    response = console.client.get("/console/decided", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/signin"
    rows = console.client.get("/console/decided/rows", headers={"HX-Request": "true"})
    assert rows.status_code == 401


def test_decided_requests_latest_first_each_linked_to_its_page(console: Console) -> None:
    sign_in(console.client, "rita")
    empty = console.client.get("/console/decided").text
    assert listed(empty) == [] and "No request has been decided yet." in empty
    decide_some(console)
    page = console.client.get("/console/decided").text
    assert listed(page) == ["m-old", "m-new"]  # open requests are not listed
    assert "2 decided requests." in page
    assert '<a href="/console/items/m-old">m-old</a>' in page
    row = page[page.index('data-message="m-old"') : page.index('data-message="m-new"')]
    assert "Approved in full" in row and "<td>carl</td>" in row and "DCICE0100" in row
    assert '<a href="/console/decided">Decided</a>' in page  # in the header of every page
    item = console.client.get("/console/items/m-new").text
    assert '<a href="/console/decided">← Decided requests</a>' in item
    assert "Denied" in item and "Administrative warrant only" in item


def test_search_by_message_id_requester_and_outcome(console: Console) -> None:
    sign_in(console.client, "rita")
    decide_some(console)

    def found(query: str) -> list[str]:
        response = console.client.get(f"/console/decided?{query}")
        assert response.status_code == 200
        return listed(response.text)

    assert found("message=NEW") == ["m-new"]
    assert found("message=m-") == ["m-old", "m-new"]
    assert found("ori=dcice") == ["m-old", "m-new"]
    assert found("ori=NY") == []
    assert found("outcome=denied") == ["m-new"]
    assert found("outcome=approved&message=old") == ["m-old"]
    assert found("outcome=partially-approved") == []
    page = console.client.get("/console/decided?outcome=denied&ori=DCICE").text
    assert '<option value="denied" selected>Denied</option>' in page
    assert 'value="DCICE"' in page and "1 decided request found." in page
    assert "No decided request matches." in console.client.get("/console/decided?ori=XX").text
    assert console.client.get("/console/decided?outcome=held").status_code == 400


def test_the_results_alone_for_htmx_with_the_address_to_show(console: Console) -> None:
    sign_in(console.client, "rita")
    decide_some(console)
    rows = console.client.get(
        "/console/decided/rows?message=old&ori=&outcome=approved", headers={"HX-Request": "true"}
    )
    assert rows.status_code == 200
    assert rows.text.lstrip().startswith('<section id="decided-results">')
    assert "<html" not in rows.text and listed(rows.text) == ["m-old"]
    assert rows.headers["HX-Push-Url"] == "/console/decided?message=old&outcome=approved"
    everything = console.client.get("/console/decided/rows", headers={"HX-Request": "true"})
    assert everything.headers["HX-Push-Url"] == "/console/decided"


def test_pages_of_decided_requests(console: Console) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    count = PAGE_SIZE + 5
    for n in range(count):
        message_id = f"m-{n:03d}"
        hold(console.service, message_id, console.people[3], received=start)
        console.service.decide(message_id, RITA, Action.DENY, reason="no warrant")
    sign_in(console.client, "rita")
    first = console.client.get("/console/decided").text
    newest = [f"m-{n:03d}" for n in range(count - 1, -1, -1)]
    assert listed(first) == newest[:PAGE_SIZE]
    assert f"{count} decided requests · page 1 of 2." in first
    assert '<a href="/console/decided?page=2" rel="next">Older →</a>' in first
    assert 'rel="prev"' not in first
    second = console.client.get("/console/decided?page=2").text
    assert listed(second) == newest[PAGE_SIZE:]
    assert '<a href="/console/decided" rel="prev">← Newer</a>' in second
    assert 'rel="next"' not in second
    # Past the last page is the last page; a page that is not a number is the first.
    assert listed(console.client.get("/console/decided?page=9").text) == newest[PAGE_SIZE:]
    assert listed(console.client.get("/console/decided?page=two").text) == newest[:PAGE_SIZE]
    # The search is kept from page to page.
    searched = console.client.get("/console/decided?message=m-0&outcome=denied").text
    assert '<a href="/console/decided?message=m-0&amp;outcome=denied&amp;page=2"' in searched


def test_counsel_sees_the_same_list(console: Console) -> None:
    decide_some(console)
    sign_in(console.client, "carl", pyotp.TOTP(SECRET).now())
    assert listed(console.client.get("/console/decided").text) == ["m-old", "m-new"]
