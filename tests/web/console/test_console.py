"""Tests for stateline/web/console over HTTP in-process: sign-in, queue, detail, decisions."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient

from stateline.node.redact import released_classes
from stateline.node.review.model import ReviewState
from stateline.storage.alerts import open_alerts
from stateline.web.console import console_router
from stateline.web.console.security import HEADERS, SESSION_COOKIE
from stateline.wire.grammar import DataClass
from stateline.wire.messages import Response

from .conftest import PASSWORD, PNG, SECRET, Console, hold

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "stateline" / "web" / "templates"


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, code: str = "") -> str:
    """Sign in and return the CSRF token of the signed-in pages."""
    form = client.get("/console/signin")
    data = {"username": username, "password": PASSWORD, "code": code, "csrf": csrf(form.text)}
    done = client.post("/console/signin", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    return csrf(client.get("/console/").text)


def test_pages_need_a_session(console: Console) -> None:
    for path in ("/console/", "/console/items/m-new", "/console/items/m-new/document"):
        response = console.client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/console/signin"
    htmx = console.client.get("/console/queue/rows", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == "/console/signin"


def test_every_response_carries_the_security_headers(console: Console) -> None:
    for response in (
        console.client.get("/console/signin"),
        console.client.get("/console/", follow_redirects=False),
    ):
        for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
            assert response.headers[name] == HEADERS[name]
    assert console.client.get("/console/signin").headers["Cache-Control"] == "no-store"


def test_sign_in_sets_a_strict_http_only_secure_cookie(console: Console) -> None:
    form = console.client.get("/console/signin")
    data = {"username": "rita", "password": PASSWORD, "csrf": csrf(form.text)}
    done = console.client.post("/console/signin", data=data, follow_redirects=False)
    assert done.status_code == 303
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/console"} <= flags


def test_sign_in_form_needs_its_csrf_token(console: Console) -> None:
    console.client.get("/console/signin")
    data = {"username": "rita", "password": PASSWORD, "csrf": "forged"}
    assert console.client.post("/console/signin", data=data).status_code == 403


def test_wrong_password_is_refused_without_saying_why(console: Console) -> None:
    form = console.client.get("/console/signin")
    data = {"username": "rita", "password": "not the password", "csrf": csrf(form.text)}
    refused = console.client.post("/console/signin", data=data)
    assert refused.status_code == 401
    assert "Sign-in failed" in refused.text
    assert SESSION_COOKIE not in refused.cookies
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_totp_account_needs_its_code(console: Console) -> None:
    form = console.client.get("/console/signin")
    data = {"username": "carl", "password": PASSWORD, "csrf": csrf(form.text)}
    assert console.client.post("/console/signin", data=data).status_code == 401
    sign_in(console.client, "carl", pyotp.TOTP(SECRET).now())
    assert "carl · counsel" in console.client.get("/console/").text


def test_queue_oldest_first_with_the_overdue_marked(console: Console) -> None:
    sign_in(console.client, "rita")
    page = console.client.get("/console/").text
    order = [page.index(f'data-message="{m}"') for m in ("m-old", "m-new", "m-counsel")]
    assert order == sorted(order)
    row = page[order[0] : order[1]]
    # Past its deadline: escalated, not released.
    assert "overdue" in row and "Escalated to counsel" in row
    assert console.sink.delivered == []
    rows = console.client.get("/console/queue/rows", headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "<html" not in rows.text and "m-new" in rows.text


def test_request_detail_shows_request_requester_history_and_process(console: Console) -> None:
    sign_in(console.client, "rita")
    page = console.client.get("/console/items/m-new").text
    person = console.people[1]
    for expected in (
        person.oln,
        "ICE ERO",
        "DCICE0100",
        "immigration-enforcement",
        "24-MJ-1031",
        "Hon. A. Judge",
        "ny-review-federal",
        "Held requests in the last 30 days",
        "/console/items/m-new/document",
    ):
        assert expected in page
    assert "<strong>3</strong> in all" in page


def test_times_are_shown_on_the_states_clock_with_utc_in_the_tooltip(console: Console) -> None:
    winter = datetime(2026, 1, 15, 14, 0, tzinfo=UTC)
    hold(console.service, "m-winter", console.people[3], received=winter)
    sign_in(console.client, "rita")
    page = console.client.get("/console/items/m-winter").text
    received = (
        '<time datetime="2026-01-15T14:00:00Z" title="2026-01-15 14:00 UTC">'
        "2026-01-15 09:00 EST</time>"
    )
    deadline = (
        '<time datetime="2026-01-16T14:00:00Z" title="2026-01-16 14:00 UTC">'
        "2026-01-16 09:00 EST</time>"
    )
    assert f"received {received} · deadline {deadline}" in page
    assert "14:00 UTC</time>" not in page  # UTC only in the tooltip
    queue = console.client.get("/console/").text
    assert received in queue  # the queue shows the same clock
    summer = console.client.get("/console/items/m-new").text  # held an hour ago, in any season
    assert re.search(r'title="[\d-]+ [\d:]+ UTC">[\d-]+ [\d:]+ E[SD]T</time>', summer)


def test_the_console_refuses_a_state_with_no_node(console: Console) -> None:
    with pytest.raises(ValueError, match="not a state with a node"):
        console_router(
            console.service, console.accounts, open_alerts(console.accounts.engine), state="ZZ"
        )


def test_document_only_to_signed_in_users(console: Console) -> None:
    assert console.client.get("/console/items/m-new/document", follow_redirects=False).is_redirect
    sign_in(console.client, "rita")
    document = console.client.get("/console/items/m-new/document")
    assert document.content == PNG
    assert document.headers["content-type"] == "image/png"
    assert document.headers["content-disposition"] == 'inline; filename="warrant.png"'
    assert document.headers["cache-control"] == "no-store"
    assert console.client.get("/console/items/m-old/document").status_code == 404


def test_approve_in_part_sends_a_dr_with_exactly_those_classes(console: Console) -> None:
    token = sign_in(console.client, "rita")
    form = {
        "csrf": token,
        "action": "approve-in-part",
        "classes": ["identity", "address"],
        "reason": "",
    }
    done = console.client.post("/console/items/m-new/decision", data=form, follow_redirects=False)
    assert done.status_code == 303
    [(message_id, requester, reply)] = console.sink.delivered
    assert (message_id, requester) == ("m-new", "DCICE0100")
    assert isinstance(reply, Response)
    assert released_classes(reply.records[0]) == {DataClass.IDENTITY, DataClass.ADDRESS}
    page = console.client.get("/console/items/m-new").text
    assert "Approved in part" in page and "by rita" in page


def test_htmx_decision_returns_the_decision_partial(console: Console) -> None:
    token = sign_in(console.client, "rita")
    form = {"csrf": token, "action": "deny", "reason": "Administrative warrant only"}
    done = console.client.post(
        "/console/items/m-new/decision", data=form, headers={"HX-Request": "true"}
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<section id="decision"')
    assert "Denied" in done.text and "Administrative warrant only" in done.text
    [(_, _, reply)] = console.sink.delivered
    assert isinstance(reply, Response) and reply.records == ()
    assert "REASON: ADMINISTRATIVE WARRANT ONLY" in reply.text


def test_deny_needs_a_reason(console: Console) -> None:
    token = sign_in(console.client, "rita")
    form = {"csrf": token, "action": "deny", "reason": "  "}
    page = console.client.post("/console/items/m-new/decision", data=form)
    assert page.status_code == 400
    assert "a denial needs a reason" in page.text
    partial = console.client.post(
        "/console/items/m-new/decision", data=form, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "a denial needs a reason" in partial.text
    assert console.sink.delivered == []
    assert console.service.get("m-new").state is ReviewState.HELD


def test_decision_form_needs_its_csrf_token_and_our_origin(console: Console) -> None:
    token = sign_in(console.client, "rita")
    form = {"csrf": "forged", "action": "approve"}
    assert console.client.post("/console/items/m-new/decision", data=form).status_code == 403
    form["csrf"] = token
    foreign = {"Origin": "https://evil.example"}
    response = console.client.post("/console/items/m-new/decision", data=form, headers=foreign)
    assert response.status_code == 403
    assert console.sink.delivered == []


def test_reviewer_cannot_decide_a_counsel_item(console: Console) -> None:
    token = sign_in(console.client, "rita")
    page = console.client.get("/console/items/m-counsel").text
    assert "Counsel decides this request" in page
    assert 'value="approve"' not in page and 'value="deny"' not in page
    assert 'value="escalate"' in page  # a reviewer may refer it to counsel
    form = {"csrf": token, "action": "approve"}
    refused = console.client.post("/console/items/m-counsel/decision", data=form)
    assert refused.status_code == 400 and "only counsel may approve" in refused.text
    assert console.sink.delivered == []


def test_counsel_decides_an_escalated_item(console: Console) -> None:
    token = sign_in(console.client, "carl", pyotp.TOTP(SECRET).now())
    console.client.get("/console/")  # the overdue item is escalated when the queue is read
    form = {"csrf": token, "action": "approve"}
    done = console.client.post("/console/items/m-old/decision", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert console.service.get("m-old").state is ReviewState.APPROVED
    assert len(console.sink.delivered) == 1


def test_unknown_request_and_bad_form_values(console: Console) -> None:
    token = sign_in(console.client, "rita")
    assert console.client.get("/console/items/nope").status_code == 404
    form = {"csrf": token, "action": "release-everything"}
    response = console.client.post("/console/items/m-new/decision", data=form)
    assert response.status_code == 400 and "not a decision this form offers" in response.text


def test_sign_out_ends_the_session(console: Console) -> None:
    token = sign_in(console.client, "rita")
    done = console.client.post("/console/signout", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    assert console.client.get("/console/", follow_redirects=False).status_code == 303


def test_assets_are_served_locally_and_no_page_loads_anything_remote(console: Console) -> None:
    js = console.client.get("/console/static/htmx.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert js.text.startswith("/*! htmx 2.")
    assert console.client.get("/console/static/console.css").status_code == 200
    assert console.client.get("/console/static/../app.py").status_code == 404
    for template in TEMPLATES.rglob("*.html"):
        assert not re.search(r"(src|href)=\"(https?:)?//", template.read_text()), template


def test_logs_carry_no_personal_data(console: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = sign_in(console.client, "rita")
    console.client.get("/console/items/m-new")
    console.client.get("/console/items/m-new/document")
    form = {"csrf": token, "action": "deny", "reason": "Administrative warrant only"}
    console.client.post("/console/items/m-new/decision", data=form)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "m-new" in logged  # message ids are logged ...
    person = console.people[1]
    for value in (person.oln, person.last, person.first, "Administrative warrant", PASSWORD):
        assert value not in logged  # ... field values, reasons and passwords never


def test_console_is_not_in_the_openapi(console: Console) -> None:
    paths = console.client.get("/openapi.json").json()["paths"]
    assert not any(path.startswith("/console") for path in paths)


def test_every_console_page_is_documented(console: Console) -> None:
    doc = (ROOT / "docs" / "review.md").read_text()
    router = console_router(console.service, console.accounts, open_alerts(console.accounts.engine))
    paths = {getattr(route, "path", "") for route in router.routes}
    assert len(paths) >= 7
    for path in paths:
        assert f" {path}`" in doc, f"{path} is not in docs/review.md"
