"""Tests for stateline/web/console/views/notices.py over HTTP in-process: the outbox pages."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from stateline.hub.exchange import Exchange
from stateline.hub.switch import Directory, Switch
from stateline.ledger.entries import Entry
from stateline.ledger.entries import Notice as NoticeEntry
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
from tests.hub.helpers import message_log

from .conftest import FAST, ICE, PASSWORD, Sink, lookup
from .test_console import csrf, sign_in

NOW = datetime(2026, 7, 9, 16, 0, tzinfo=UTC)  # a Thursday
IL = Duty(DutyKind.NOTIFY_SUBJECT, 3, True, "il-notice-legal-process")


@dataclass
class Outboxed:
    client: TestClient
    outbox: Outbox
    ledger: list[Entry]
    late: Notice  # received a week ago: overdue
    fresh: Notice  # received today: due next week


def made(people: list[tuple[object, ...]], message_id: str, received: datetime) -> list[Notice]:
    return make_notices(
        duty=IL,
        state="NY",
        message_id=message_id,
        requester=ICE,
        received=received,
        created=received,
        people=recipients(b"k" * 32, "NY", people),  # type: ignore[arg-type]
        disclosed=Disclosed.RELEASED,
        requested=frozenset({DataClass.IDENTITY, DataClass.ADDRESS}),
        statute="625 ILCS 5/6-110.3(c) (625 ILCS 5/6-110.3)",
    )


@pytest.fixture
def outboxed(tmp_path: Path) -> Iterator[Outboxed]:
    engine = open_engine(sqlite_url(str(tmp_path / "node.sqlite")))
    records = SqlRecordStore(engine)
    records.create_schema()
    people = list(generate_people("NY", 2, seed=3))
    store = SqlReviewStore(engine)
    store.create_schema()
    accounts = AccountStore(engine, hasher=FAST)
    accounts.create_schema()
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    accounts.create_account("carl", PASSWORD, Role.COUNSEL)
    notices = SqlNoticeStore(engine)
    notices.create_schema()
    ledger: list[Entry] = []
    outbox = Outbox(notices, ledger.extend, delays=delays_beside(notices), clock=lambda: NOW)
    released = frozenset({DataClass.IDENTITY})
    [late] = outbox.create(made([(people[0], released)], "m-late", NOW - timedelta(days=7)))
    [fresh] = outbox.create(made([(people[1], released)], "m-fresh", NOW))
    service = ReviewService(store, lookup(records), Sink(), lambda _action: None)
    exchange = Exchange(Switch(Directory({}, {}), {}), message_log(engine))
    router = console_router(
        service, accounts, open_alerts(accounts.engine), title="NY review", outbox=outbox
    )
    app = create_app(exchange, console=router)
    with TestClient(app, base_url="https://testserver") as client:
        yield Outboxed(client, outbox, ledger, late, fresh)
    engine.dispose()


def test_outbox_pages_need_a_session(outboxed: Outboxed) -> None:
    notice = outboxed.late.notice_id
    for path in (
        "/console/notices",
        f"/console/notices/{notice}",
        f"/console/notices/{notice}/letter.pdf",
    ):
        response = outboxed.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
    posted = outboxed.client.post(f"/console/notices/{notice}/sent", follow_redirects=False)
    assert posted.status_code == 303
    assert outboxed.outbox.get(notice).status is NoticeStatus.PENDING


def test_the_outbox_lists_soonest_due_first_with_the_overdue_marked(outboxed: Outboxed) -> None:
    sign_in(outboxed.client, "rita")
    page = outboxed.client.get("/console/notices")
    assert page.status_code == 200
    html = page.text
    assert html.index(outboxed.late.notice_id) < html.index(outboxed.fresh.notice_id)
    assert f'<tr class="overdue" data-notice="{outboxed.late.notice_id}">' in html
    assert f'<tr class="" data-notice="{outboxed.fresh.notice_id}">' in html
    assert "1 overdue." in html
    assert outboxed.late.recipient_name in html
    assert 'href="/console/notices"' in html  # the navigation shows the outbox
    rows = outboxed.client.get("/console/notices/rows", headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "<html" not in rows.text
    assert outboxed.client.get("/console/notices?show=nonsense").status_code == 404


def test_a_notice_shows_its_letter_and_prints_it(outboxed: Outboxed) -> None:
    sign_in(outboxed.client, "rita")
    page = outboxed.client.get(f"/console/notices/{outboxed.late.notice_id}")
    assert page.status_code == 200
    assert "625 ILCS 5/6-110.3(c)" in page.text
    assert "ICE ERO (agency identifier DCICE0100)" in page.text  # the letter, as text
    pdf = outboxed.client.get(f"/console/notices/{outboxed.late.notice_id}/letter.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(pdf.content))
    assert "ICE ERO" in reader.pages[0].extract_text()
    assert outboxed.client.get("/console/notices/N-NOPE").status_code == 404


def test_mark_sent_is_recorded_by_account_in_the_ledger(
    outboxed: Outboxed, caplog: pytest.LogCaptureFixture
) -> None:
    token = sign_in(outboxed.client, "rita")
    notice = outboxed.late
    caplog.set_level(logging.INFO)
    response = outboxed.client.post(
        f"/console/notices/{notice.notice_id}/sent",
        data={"csrf": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Sent</strong> by rita" in response.text
    assert outboxed.outbox.get(notice.notice_id).status is NoticeStatus.SENT
    last = outboxed.ledger[-1]
    assert isinstance(last, NoticeEntry)
    assert last.detail["event"] == "sent" and last.detail["actor"] == "rita"
    # The log names the notice and the account, never the person.
    assert notice.notice_id in caplog.text
    assert notice.recipient_name not in caplog.text
    again = outboxed.client.post(
        f"/console/notices/{notice.notice_id}/sent",
        data={"csrf": token},
        headers={"HX-Request": "true"},
    )
    assert "already sent" in again.text
    listed = outboxed.client.get("/console/notices").text
    assert notice.notice_id not in listed  # no longer among the letters to send
    assert notice.notice_id in outboxed.client.get("/console/notices?show=sent").text


def test_mark_sent_needs_its_csrf_token(outboxed: Outboxed) -> None:
    sign_in(outboxed.client, "rita")
    path = f"/console/notices/{outboxed.late.notice_id}/sent"
    assert outboxed.client.post(path, data={"csrf": "forged"}).status_code == 403
    assert outboxed.outbox.get(outboxed.late.notice_id).status is NoticeStatus.PENDING


def test_only_counsel_may_cancel(outboxed: Outboxed) -> None:
    token = sign_in(outboxed.client, "rita")
    path = f"/console/notices/{outboxed.fresh.notice_id}"
    assert "Cancel the notice" not in outboxed.client.get(path).text
    refused = outboxed.client.post(f"{path}/cancel", data={"csrf": token, "reason": "no"})
    assert refused.status_code == 400 and "only counsel" in refused.text
    outboxed.client.cookies.clear()
    token = sign_in(outboxed.client, "carl")
    page = outboxed.client.get(path).text
    assert "Cancel the notice" in page and csrf(page) == token
    done = outboxed.client.post(
        f"{path}/cancel", data={"csrf": token, "reason": "the person died"}, follow_redirects=False
    )
    assert done.status_code == 303
    cancelled = outboxed.outbox.get(outboxed.fresh.notice_id)
    assert (cancelled.status, cancelled.closed_by) == (NoticeStatus.CANCELLED, "carl")


def test_without_an_outbox_the_console_has_no_notices(tmp_path: Path) -> None:
    engine = open_engine(sqlite_url(str(tmp_path / "node.sqlite")))
    store = SqlReviewStore(engine)
    store.create_schema()
    accounts = AccountStore(engine, hasher=FAST)
    accounts.create_schema()
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    service = ReviewService(store, lookup(SqlRecordStore(engine)), Sink(), lambda _a: None)
    exchange = Exchange(Switch(Directory({}, {}), {}), message_log(engine))
    app = create_app(
        exchange, console=console_router(service, accounts, open_alerts(accounts.engine))
    )
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, "rita")
        assert "/console/notices" not in client.get("/console/").text
        assert client.get("/console/notices").status_code == 404
    engine.dispose()
