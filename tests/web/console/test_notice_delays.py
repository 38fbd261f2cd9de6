"""The outbox's delay step over HTTP in-process: counsel delays a letter until a date (on the
requester's claim or a court's order) and lifts it; the forms' checks, roles and answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from stateline.hub.exchange import Exchange
from stateline.hub.switch import Directory, Switch
from stateline.ledger.entries import Entry
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.node.notices.delays import DELAY_NOTICE
from stateline.node.notices.model import Notice, NoticeStatus
from stateline.node.notices.service import Outbox
from stateline.node.review.model import Reviewer, Role
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

from .conftest import FAST, PASSWORD, Sink, lookup
from .test_console import sign_in
from .test_notices import made

NOW = datetime(2026, 7, 9, 16, 0, tzinfo=UTC)  # Thursday 9 July, noon in Albany
ORDER = "26-MJ-0042, S.D.N.Y."
CARL = Reviewer("carl", Role.COUNSEL)


@dataclass
class Delaying:
    client: TestClient
    outbox: Outbox
    ledger: list[Entry]
    asked: Notice  # its requester asked for a delay (NDR/Y)
    plain: Notice  # its requester did not

    def page(self, notice: Notice) -> str:
        return self.client.get(f"/console/notices/{notice.notice_id}").text

    def post(self, notice: Notice, step: str, **form: str) -> Response:
        path = f"/console/notices/{notice.notice_id}/{step}"
        return self.client.post(path, data=form, follow_redirects=False)

    def delays(self) -> list[NoticeEntry]:
        return [e for e in self.ledger if isinstance(e, NoticeEntry) and e.notice == DELAY_NOTICE]


@pytest.fixture
def delaying(tmp_path: Path) -> Iterator[Delaying]:
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
    accounts.create_account("ada", PASSWORD, Role.AUDITOR)
    notices = SqlNoticeStore(engine)
    notices.create_schema()
    ledger: list[Entry] = []
    outbox = Outbox(notices, ledger.extend, delays=delays_beside(notices), clock=lambda: NOW)
    released = frozenset({DataClass.IDENTITY})
    [owed] = made([(people[0], released)], "m-asked", NOW - timedelta(days=1))
    [asked] = outbox.create([replace(owed, delay_requested=True)])
    [plain] = outbox.create(made([(people[1], released)], "m-plain", NOW - timedelta(days=2)))
    service = ReviewService(store, lookup(records), Sink(), lambda _action: None)
    exchange = Exchange(Switch(Directory({}, {}), {}), message_log(engine))
    router = console_router(
        service,
        accounts,
        open_alerts(accounts.engine),
        title="NY review",
        outbox=outbox,
        state="NY",
    )
    with TestClient(create_app(exchange, console=router), base_url="https://testserver") as client:
        yield Delaying(client, outbox, ledger, asked, plain)
    engine.dispose()


def test_counsel_delays_a_letter_the_requester_asked_to_delay(delaying: Delaying) -> None:
    token = sign_in(delaying.client, "carl")
    page = delaying.page(delaying.asked)
    assert 'id="delay-form"' in page and 'min="2026-07-09"' in page and 'max="2027-07-09"' in page
    assert "for at most 90 days (2026-10-07 Wed)" in page
    done = delaying.post(
        delaying.asked, "delay", csrf=token, until="2026-08-14", reason="impedes a case"
    )
    assert done.status_code == 303
    [entry] = delaying.delays()
    assert entry.message_id == "m-asked" and entry.subjects == (delaying.asked.subject,)
    assert entry.detail == {
        "event": "granted",
        "basis": "counsel",
        "actor": "carl",
        "until": "2026-08-14",
        "reason": "impedes a case",
        "notice_id": delaying.asked.notice_id,
    }
    page = delaying.page(delaying.asked)
    assert "Delayed until 2026-08-14 Fri</strong>: counsel accepted the requester's request" in page
    assert "due again on 2026-08-19 Wed" in page  # three business days from Saturday the 15th
    assert 'value="sent"' not in page and 'id="lift-form"' in page
    listed = delaying.client.get("/console/notices").text
    assert "delayed until 2026-08-14 Fri" in listed
    # The delayed letter now comes after the other, by the date it is due again.
    assert listed.index(delaying.plain.notice_id) < listed.index(delaying.asked.notice_id)
    assert delaying.outbox.get(delaying.asked.notice_id).status is NoticeStatus.PENDING


def test_a_reviewer_sees_the_delay_and_cannot_send_or_change_it(delaying: Delaying) -> None:
    delaying.outbox.grant_delay(
        delaying.plain.notice_id,
        CARL,
        until=NOW.date() + timedelta(days=30),
        reason="sealed",
        court_order=ORDER,
    )
    token = sign_in(delaying.client, "rita")
    page = delaying.page(delaying.plain)
    assert f"on a court's order ({ORDER})" in page
    assert 'id="delay-form"' not in page and 'value="sent"' not in page
    refused = delaying.post(delaying.plain, "sent", csrf=token)
    assert refused.status_code == 400 and "do not send it yet" in refused.text
    refused = delaying.post(delaying.plain, "lift", csrf=token)
    assert refused.status_code == 400 and "only counsel" in refused.text
    assert len(delaying.delays()) == 1


@pytest.mark.parametrize(
    ("which", "form", "error"),
    [
        ("asked", {"until": "2026-07-08", "reason": "r"}, "2026-07-08 is in the past"),
        ("asked", {"until": "2026-10-08", "reason": "r"}, "ends within 90 days, by 2026-10-07"),
        ("asked", {"until": "2026-08-01", "reason": "  "}, "say why the notice is delayed"),
        ("asked", {"until": "next week", "reason": "r"}, "as a date, YYYY-MM-DD"),
        ("asked", {"until": "", "reason": "r"}, "as a date, YYYY-MM-DD"),
        ("plain", {"until": "2026-08-01", "reason": "r"}, "only a court&#39;s order can delay it"),
        (
            "plain",
            {"until": "2027-07-10", "reason": "r", "court_order": ORDER},
            "ends within 365 days, by 2027-07-09",
        ),
    ],
)
def test_a_refused_delay_says_why_and_writes_nothing(
    delaying: Delaying, which: str, form: dict[str, str], error: str
) -> None:
    token = sign_in(delaying.client, "carl")
    notice = getattr(delaying, which)
    refused = delaying.post(notice, "delay", csrf=token, **form)
    assert refused.status_code == 400
    assert error in refused.text
    partial = delaying.client.post(
        f"/console/notices/{notice.notice_id}/delay",
        data={"csrf": token, **form},
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert '<p class="error" role="alert">' in partial.text and error in partial.text
    assert delaying.ledger[2:] == [] and delaying.outbox.delay(notice.notice_id) is None


def test_the_step_needs_a_session_its_token_and_an_acting_role(delaying: Delaying) -> None:
    form = {"until": "2026-08-01", "reason": "r"}
    unsigned = delaying.post(delaying.asked, "delay", **form)
    assert unsigned.status_code == 303
    token = sign_in(delaying.client, "carl")
    forged = delaying.post(delaying.asked, "delay", csrf="forged", **form)
    assert forged.status_code == 403
    elsewhere = delaying.client.post(
        f"/console/notices/{delaying.asked.notice_id}/delay",
        data={"csrf": token, **form},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    missing = delaying.client.post("/console/notices/N-NOPE/delay", data={"csrf": token, **form})
    assert missing.status_code == 404
    delaying.client.cookies.clear()
    token = sign_in(delaying.client, "ada")
    assert "delay-form" not in delaying.page(delaying.asked)
    auditor = delaying.post(delaying.asked, "delay", csrf=token, **form)
    assert auditor.status_code == 403
    assert delaying.delays() == []


def test_counsel_lifts_the_delay_and_the_letter_is_due_again(delaying: Delaying) -> None:
    token = sign_in(delaying.client, "carl")
    delaying.post(
        delaying.plain, "delay", csrf=token, until="2026-09-01", reason="r", court_order=ORDER
    )
    lifted = delaying.client.post(
        f"/console/notices/{delaying.plain.notice_id}/lift",
        data={"csrf": token, "reason": "order vacated"},
        headers={"HX-Request": "true"},
    )
    assert lifted.status_code == 200
    assert "Delay lifted by carl" in lifted.text and 'value="sent"' in lifted.text
    assert "lift-form" not in lifted.text
    events = [(e.detail["event"], e.detail.get("reason")) for e in delaying.delays()]
    assert events == [("granted", "r"), ("lifted", "order vacated")]
    again = delaying.post(delaying.plain, "lift", csrf=token)
    assert again.status_code == 400 and "no delay holds" in again.text


def test_a_program_gets_the_standing_as_json(delaying: Delaying) -> None:
    token = sign_in(delaying.client, "carl")
    path = f"/console/notices/{delaying.asked.notice_id}/delay"
    json_please = {"Accept": "application/json"}
    done = delaying.client.post(
        path, data={"csrf": token, "until": "2026-07-20", "reason": "r"}, headers=json_please
    )
    assert done.status_code == 200
    body = done.json()
    assert body["delay"].pop("at") == NOW.isoformat()
    assert body == {
        "notice_id": delaying.asked.notice_id,
        "state": "NY",
        "status": "pending",
        "due": "2026-07-24",
        "overdue": False,
        "delayed_until": "2026-07-20",
        "delay": {
            "event": "granted",
            "basis": "counsel",
            "until": "2026-07-20",
            "actor": "carl",
            "reason": "r",
            "reference": None,
        },
    }
    refused = delaying.client.post(
        path, data={"csrf": token, "until": "2026-07-01", "reason": "r"}, headers=json_please
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "2026-07-01 is in the past (today is 2026-07-09)"
    assert refused.json()["delayed_until"] == "2026-07-20"  # as it stood
