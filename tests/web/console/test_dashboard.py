"""Tests for the auditor's dashboard (stateline/web/console/views/dashboard*.py) and the
read-only auditor role (views/read_only.py, ``node.review.READ_ONLY``), over HTTP in-process.

The dashboard runs over a whole exchange (a fresh copy of the prepared one, New York deciding
by its statute), its ledger copied to Parquet and read with DuckDB, as in a serving node. The
auditor's refusals run over both SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from stateline.bootstrap import System, build, open_hub
from stateline.cli import app as cli
from stateline.config import Config
from stateline.directory.model import Agency, AgencyType, Mission
from stateline.hub.exchange import Exchange
from stateline.hub.switch import Directory, Switch
from stateline.node.notices.model import NoticeEvent, NoticeStatus, NotPermitted, close
from stateline.node.notices.service import Outbox
from stateline.node.records.model import Person
from stateline.node.review.model import (
    READ_ONLY,
    Action,
    HeldItem,
    Reviewer,
    ReviewState,
    Role,
    transition,
)
from stateline.node.review.model import NotPermitted as MayNotDecide
from stateline.node.review.service import ReviewService
from stateline.oversight.copy import connect
from stateline.oversight.parts import manifest
from stateline.oversight.transparency import OUTCOMES, Scope, transparency
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import Alert, open_alerts
from stateline.storage.delays import delays_beside
from stateline.storage.notices import SqlNoticeStore
from stateline.storage.records import SqlRecordStore
from stateline.storage.review import SqlReviewStore
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.web.console.views import dashboard_copy
from stateline.web.console.views.dashboard import DashboardSource
from stateline.web.console.views.dashboard_figures import cells
from stateline.web.console.views.dashboard_filters import (
    PAGE_SIZE,
    Drill,
    FilterError,
    Filters,
    condition,
    drill,
    evidence,
    filters,
)
from stateline.wire.grammar import MKE, DataClass
from stateline.wire.messages import Header, Query
from tests.conftest import PEOPLE, SEED, fresh_copy
from tests.hub.helpers import message_log

from .conftest import FAST, ICE, PASSWORD, Sink, hold, lookup
from .test_console import ROOT, sign_in
from .test_notices import NOW, made

HOSTILE_ORI = "NY0990000"
HOSTILE = '<script>alert("owned")</script> Police & <b>Co</b>'
"""A directory entry with markup in its name: every page must show it as text."""
ESCAPED = "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; Police &amp; &lt;b&gt;Co&lt;/b&gt;"
ROUTINE = 27
"""Traffic stops the state police ask about: more than a page of a drill-down."""


@dataclass
class Audited:
    """A whole exchange whose New York node has a console with the dashboard."""

    config: Config
    system: System
    tokens: dict[str, str]
    people: list[Person]
    held: str  # a request held for counsel, left undecided
    escalated: str  # a request a reviewer referred to counsel
    copy_dir: Path

    def send(self, ori: str, tail: str, person: int = 0) -> str:
        raw = f"DQ.{ori}.NY.TXT\nOLN/{self.people[person].oln}{tail}"
        return asyncio.run(self.system.exchange.submit(raw, self.tokens[ori])).id

    def console(self, **options: Any) -> Any:
        node = self.system.nodes["NY"]
        assert node.review is not None
        accounts = AccountStore(self.system.engines["NY"], hasher=FAST)
        accounts.create_schema()
        source = DashboardSource(self.config, node.ledger, self.copy_dir)
        outbox = node.notices.outbox if node.notices is not None else None
        return console_router(
            node.review,
            accounts,
            open_alerts(accounts.engine),
            title="NY review",
            state="NY",
            outbox=outbox,
            dashboard_source=source,
            **options,
        )


def audited_exchange(prepared: Config, folder: Path) -> Audited:
    """A fresh exchange with New York's statute, a hostile directory entry, an auditor's and a
    reviewer's account in New York's console, and traffic of every kind to New York: released,
    denied, held (one referred to counsel by the reviewer), with notices."""
    config = Config(data_dir=fresh_copy(prepared, folder / "data"), policy="statute")
    hub, directory, log = open_hub(config)
    try:
        missions = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})
        directory.add(Agency(HOSTILE_ORI, HOSTILE, AgencyType.PD, "NY", missions))
        hostile_token = directory.issue_credential(HOSTILE_ORI)
    finally:
        log.close()
        hub.dispose()
    from stateline import demo

    system = build(config)
    tokens = {**demo.load_tokens(config), HOSTILE_ORI: hostile_token}
    people = list(generate_people("NY", PEOPLE, SEED))
    audited = Audited(config, system, tokens, people, "", "", folder / "analytics")
    for n in range(ROUTINE):
        audited.send("NYSTP0000", ".PRP/TRAFFIC-ENFORCEMENT", n % PEOPLE)
    audited.send("DCICE0000", ".PRP/CIVIL-IMMIGRATION-ENFORCEMENT", 1)  # denied, a notice
    audited.send("DCHSI0000", ".PRP/CRIMINAL-INVESTIGATION", 2)  # denied
    audited.send("DCFBI0000", ".PRP/CRIMINAL-INVESTIGATION", 3)  # released
    audited.send(HOSTILE_ORI, ".PRP/CRIMINAL-INVESTIGATION", 4)  # denied: no certification
    warrant = ".PRP/CIVIL-IMMIGRATION-ENFORCEMENT.LPK/MAGISTRATE-WARRANT"
    audited.escalated = audited.send("DCICE0000", warrant, 5)
    audited.held = audited.send("DCICE0000", warrant, 6)
    node = system.nodes["NY"]
    accounts = AccountStore(system.engines["NY"], hasher=FAST)
    accounts.create_schema()
    accounts.create_account("ada", PASSWORD, Role.AUDITOR)
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    review = node.review
    assert review is not None
    review.decide(audited.escalated, Reviewer("rita", Role.REVIEWER), Action.ESCALATE)
    return audited


@pytest.fixture(scope="module")
def audited(prepared: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    exchange = audited_exchange(prepared, tmp_path_factory.mktemp("dashboard"))
    yield exchange
    exchange.system.close()


@pytest.fixture(scope="module")
def client(audited: Audited) -> Iterator[TestClient]:
    app = create_app(audited.system.exchange, audited.system.log, console=audited.console())
    with TestClient(app, base_url="https://testserver") as signed:
        sign_in(signed, "ada")
        yield signed


def page(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def links(html: str, pattern: str) -> list[str]:
    return [found.replace("&amp;", "&") for found in re.findall(pattern, html)]


def total(html: str) -> int:
    found = re.search(r'id="requests-count" class="hint">([\d,]+) request', html)
    assert found is not None
    return int(found.group(1).replace(",", ""))


# Filters and drill-downs -----------------------------------------------------------------------


def test_filters_are_read_as_a_link_carries_them() -> None:
    chosen = filters("2026-12-01", "2026-12-07", "state agency", " nystp0000 ", "deny")
    assert chosen == Filters(date(2026, 12, 1), date(2026, 12, 7), "state agency", "NYSTP0000",
                             "deny")  # fmt: skip
    assert chosen.scope("NY") == Scope(("NY",), date(2026, 12, 1), date(2026, 12, 7),
                                       "state agency", "NYSTP0000", "deny")  # fmt: skip
    assert chosen.href() == (
        "/console/dashboard?from=2026-12-01&to=2026-12-07&category=state+agency"
        "&ori=NYSTP0000&outcome=deny"
    )
    assert filters("", "", "", "", "") == Filters() and not Filters().filtered
    assert Filters().href("/x", by="summary", label=None, column="") == "/x?by=summary"


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        (("yesterday", "", "", "", ""), "the first day must be a date"),
        (("", "2026-13-01", "", "", ""), "the last day must be a date"),
        (("2026-12-08", "2026-12-01", "", "", ""), "before it starts"),
        (("", "", "spies", "", ""), "no such requester category"),
        (("", "", "", "NYSTP", ""), "an ORI is 9 letters and digits"),
        (("", "", "", "", "<script>"), "no such outcome"),
    ],
)
def test_a_filter_no_page_offers_is_refused_in_one_line(asked: tuple[str, ...], said: str) -> None:
    with pytest.raises(FilterError, match=said):
        filters(*asked)


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        (("everything", None, "", None, None), "no such section"),
        (("classes", None, "released", None, None), "a data class"),
        (("review", None, "lost", None, None), "no such figure"),
        (("by_category", "state agency", "maybe", None, None), "no such outcome"),
        (("over_time", "2026-12-07", "", None, "fortnight"), "a period"),
        (("over_time", "last week", "", None, "week"), "must be a date"),
        (("immigration_reasons", "federal immigration: ICE ERO", "deny", None, None), "a rule"),
        (("by_agency", "x" * 200, "", None, None), "too long"),
    ],
)
def test_a_drill_down_no_page_makes_is_refused(asked: tuple[Any, ...], said: str) -> None:
    with pytest.raises(FilterError, match=said):
        drill(*asked)


def test_a_period_runs_from_its_first_day_to_the_next_ones() -> None:
    assert Drill("over_time", "2026-12-07", period="day").window() == (
        date(2026, 12, 7), date(2026, 12, 8))  # fmt: skip
    assert Drill("over_time", "2026-12-07", period="week").window() == (
        date(2026, 12, 7), date(2026, 12, 14))  # fmt: skip
    assert Drill("over_time", "2026-12-01", period="month").window() == (
        date(2026, 12, 1), date(2027, 1, 1))  # fmt: skip
    assert Drill("over_time", "2026-02-01", period="month").window() == (
        date(2026, 2, 1), date(2026, 3, 1))  # fmt: skip


def test_a_drill_down_says_which_number_it_came_from() -> None:
    picked = drill("by_category", "federal immigration: ICE ERO", "deny", None, None)
    assert picked.words() == "requester category: federal immigration: ICE ERO, denied"
    assert picked.terms == {"by": "by_category", "label": "federal immigration: ICE ERO",
                            "column": "deny"}  # fmt: skip
    assert drill("review", "ignored", "waiting", None, None) == Drill("review", None, "waiting")
    sql, values = condition(Drill("notices", None, "overdue"), date(2026, 12, 7), [])
    assert sql == "notices_open > 0 AND notice_due < ?" and values == ["2026-12-07"]


def test_every_number_leads_to_as_many_requests(audited: Audited) -> None:
    """Each count of the report, drilled into, lists exactly the requests it counts; the
    notices' counts letters, so their drill-downs list the requests that owe them."""
    dashboard_copy.refresh(audited.config, "NY", audited.copy_dir)
    db = connect(audited.copy_dir)
    today = datetime.now(UTC).date()
    try:
        for chosen in (Filters(), Filters(category="federal immigration: ICE ERO"),
                       Filters(ori="NYSTP0000", start=today), Filters(outcome="deny")):  # fmt: skip
            scope = chosen.scope("NY")
            report = transparency(db, scope, today, "NY")
            where, values = scope.where()
            checked = 0
            for section in report.sections:
                for row, drills in zip(section.rows, cells(section, report.period), strict=True):
                    for value, picked in zip(row, drills, strict=True):
                        if picked is None or picked.section == "alerts":
                            continue
                        narrower, more = condition(picked, today, [])
                        found = dashboard_copy.requests_page(
                            db, f"{where} AND {narrower}", [*values, *more], 1
                        )
                        if picked.section == "notices":
                            assert found.total <= value and bool(found.total) == bool(value)
                        else:
                            assert found.total == value, (section.name, row, picked)
                        checked += 1
            assert checked > 20
    finally:
        db.close()


def test_the_filters_narrow_the_report_as_the_copy_has_it(audited: Audited) -> None:
    dashboard_copy.refresh(audited.config, "NY", audited.copy_dir)
    db = connect(audited.copy_dir)
    try:
        counted = {
            (ori, outcome): n
            for ori, outcome, n in db.execute(
                "SELECT requester, outcome, count(*) FROM requests GROUP BY ALL"
            ).fetchall()
        }
        today = datetime.now(UTC).date()
        for ori, outcome in counted:
            report = transparency(db, Scope(("NY",), ori=ori, outcome=outcome), today, "NY")
            assert report.section("summary").rows[0][0] == counted[ori, outcome]
        ice = transparency(db, Scope(("NY",), category="federal immigration: ICE ERO"), today, "")
        assert [row[0] for row in ice.section("by_category").rows] == [
            "federal immigration: ICE ERO"
        ]
        assert set(dashboard_copy.outcomes(db, "NY")) >= set(OUTCOMES)
    finally:
        db.close()


def test_an_alert_leads_to_the_requests_its_evidence_names(audited: Audited) -> None:
    dashboard_copy.refresh(audited.config, "NY", audited.copy_dir)
    db = connect(audited.copy_dir)
    try:
        (row,) = db.execute(
            "SELECT request_index, decision_index, message_id FROM requests "
            "WHERE requester = ? LIMIT 1",
            [HOSTILE_ORI],
        ).fetchall()
        at = datetime(2026, 12, 7, 3, tzinfo=UTC)
        raised = [
            _alert("bulk", "high", HOSTILE_ORI, (row[0], row[1]), at),
            _alert("bulk", "low", HOSTILE_ORI, (1_000_000,), at),  # another severity
            _alert("bulk", "high", "NYSTP0000", (2_000_000,), at - timedelta(days=30)),
        ]
        picked = drill("alerts", "bulk", "high", None, None)
        assert evidence(raised, Filters(), picked) == [row[0], row[1], 2_000_000]
        assert evidence(raised, Filters(start=date(2026, 12, 1)), picked) == [row[0], row[1]]
        assert evidence(raised, Filters(ori="NYSTP0000"), picked) == [2_000_000]
        sql, values = condition(picked, date(2026, 12, 7), evidence(raised, Filters(), picked))
        found = dashboard_copy.requests_page(db, sql, values, 1)
        assert [r["message_id"] for r in found.rows] == [row[2]]
    finally:
        db.close()


def _alert(rule: str, severity: str, ori: str, indexes: tuple[int, ...], at: datetime) -> Alert:
    return Alert("a-" + severity + ori, "NY", rule, ori, ori, None, severity,
                 timedelta(hours=1), len(indexes), at, at, at, indexes, (ori,))  # fmt: skip


def test_an_auditors_account_is_made_on_the_command_line(audited: Audited) -> None:
    typed = f"{PASSWORD}\n" * 2
    data = str(audited.config.data_dir)
    args = ["reviewer", "add", "avery", "--state", "NY", "--role", "auditor", "--data", data]
    done = CliRunner().invoke(cli, args, input=typed)
    assert done.exit_code == 0, done.output
    assert "created auditor avery for NY" in done.output
    account = AccountStore(audited.system.engines["NY"]).get("avery")
    assert account is not None and account.role is Role.AUDITOR


# The pages -------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_reports_figures_for_the_nodes_state(client: TestClient) -> None:
    html = page(client, "/console/dashboard")
    assert "<h1>Auditor's dashboard</h1>" in html and "Requests to New York" in html
    for section in ("by_category", "by_agency", "immigration", "review", "notices", "classes"):
        assert f'id="section-{section}"' in html
    assert 'href="/console/dashboard">Dashboard</a>' in html  # in the navigation
    specs = re.search(r'<script type="application/json" id="dashboard-charts">(.*?)</script>',
                      html, re.S)  # fmt: skip
    assert specs is not None
    charts = json.loads(specs.group(1))
    assert set(charts["specs"]) == {"by_category", "immigration", "over_time", "classes"}
    assert charts["outcomes"]["denied"] == "deny"
    assert "/console/dashboard/static/vega.js" in html
    assert re.search(r"signed head of [\d,]+ entries, root <code>[A-Za-z0-9+/=]+</code>", html)


def test_opening_the_dashboard_brings_the_copy_up_to_date_and_nothing_else_does(
    audited: Audited, client: TestClient
) -> None:
    page(client, "/console/dashboard")
    before = manifest(audited.copy_dir)["states"]["NY"]["through"]
    sent = audited.send("NYSTP0000", ".PRP/TRAFFIC-ENFORCEMENT", 7)
    for path in ("/console/", "/console/decided", "/console/alerts", "/console/dashboard/figures",
                 "/console/dashboard/requests", f"/console/dashboard/requests/{sent}"):  # fmt: skip
        client.get(path)
    assert manifest(audited.copy_dir)["states"]["NY"]["through"] == before
    assert sent not in page(client, "/console/dashboard/requests")
    page(client, "/console/dashboard")
    assert manifest(audited.copy_dir)["states"]["NY"]["through"] == before + 3
    assert sent in page(client, "/console/dashboard/requests")


def test_a_number_leads_to_its_requests_newest_first_a_page_at_a_time(client: TestClient) -> None:
    html = page(client, "/console/dashboard?ori=NYSTP0000")
    assert "filtered: ori NYSTP0000" in html
    (released,) = links(html, r'href="(/console/dashboard/requests\?ori=NYSTP0000&amp;by=summary'
                              r'&amp;column=release)"')  # fmt: skip
    first = page(client, released)
    count = total(first)
    assert count > PAGE_SIZE
    assert "page 1 of 2" in first and "all requests, released" in first
    rows = re.findall(r'<tr data-message="([0-9a-f]+)">', first)
    assert len(rows) == PAGE_SIZE
    times = re.findall(r'<tr data-message="[0-9a-f]+">\s*<td><time datetime="([^"]+)"', first)
    assert times == sorted(times, reverse=True)
    (older,) = links(first, r'href="([^"]+)" rel="next"')
    second = page(client, older)
    assert len(re.findall(r'<tr data-message="', second)) == count - PAGE_SIZE
    assert not set(rows) & set(re.findall(r'<tr data-message="([0-9a-f]+)">', second))


def test_a_request_leads_to_its_ledger_entries(audited: Audited, client: TestClient) -> None:
    html = page(client, f"/console/dashboard/requests/{audited.escalated}")
    assert "DQ from DCICE0000" in html and "magistrate-warrant" in html
    kinds = re.findall(r'<tr data-index="(\d+)"><td><a href="[^"]+">\d+</a></td><td>([a-z ]+)<',
                       html)  # fmt: skip
    found = {kind for _index, kind in kinds}
    assert {"request", "decision", "disclosure", "review", "notice"} <= found
    indexes = [int(index) for index, _kind in kinds]
    assert indexes == sorted(indexes)
    assert "escalate → escalated by rita (reviewer)" in html
    assert client.get("/console/dashboard/requests/no-such-message").status_code == 404


def test_an_entry_comes_with_its_proof_against_the_latest_signed_head(
    audited: Audited, client: TestClient, tmp_path: Path
) -> None:
    ledger = audited.system.nodes["NY"].ledger
    request = page(client, f"/console/dashboard/requests/{audited.escalated}")
    index = int(re.findall(r'<tr data-index="(\d+)">', request)[1])  # its decision
    html = page(client, f"/console/dashboard/entries/{index}")
    assert f'data-key="{ledger.verifier.vkey}"' in html
    assert "data-proof=" in html and "/console/dashboard/static/proofs.js" in html
    assert "&#34;kind&#34;: &#34;decision&#34;" in html  # what it says, as text
    proof = client.get(f"/console/dashboard/entries/{index}/proof.json")
    assert proof.headers["content-disposition"] == f'attachment; filename="proof-NY-{index}.json"'
    document = proof.json()
    assert document["index"] == index and document["origin"] == "stateline/ledger/NY"
    kept = tmp_path / "proof.json"
    kept.write_text(proof.text)
    checked = CliRunner().invoke(
        cli, ["ledger", "check-proof", str(kept), "--key", ledger.verifier.vkey]
    )
    assert checked.exit_code == 0, checked.output
    assert f"verified: entry {index} (a decision entry)" in checked.output
    assert client.get(f"/console/dashboard/entries/{ledger.size + 5}").status_code == 404
    assert client.get("/console/dashboard/entries/-1").status_code == 404


def test_hostile_agency_names_are_shown_as_text(audited: Audited, client: TestClient) -> None:
    pages = [
        page(client, "/console/dashboard"),
        page(client, f"/console/dashboard/requests?ori={HOSTILE_ORI}"),
    ]
    (message,) = re.findall(r'<tr data-message="([0-9a-f]+)">', pages[1])
    pages.append(page(client, f"/console/dashboard/requests/{message}"))
    for html in pages:
        assert ESCAPED in html
        assert "<script>alert" not in html and "<b>Co</b>" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/console/dashboard?from=yesterday",
        "/console/dashboard/figures?category=spies",
        "/console/dashboard/requests?by=everything",
        "/console/dashboard/requests?by=classes&column=released",
        "/console/dashboard/requests?outcome=%3Cscript%3E",
    ],
)
def test_bad_filters_are_a_400_with_a_message(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "<" not in response.text


def test_the_dashboard_needs_a_session_but_its_scripts_do_not(audited: Audited) -> None:
    app = create_app(audited.system.exchange, audited.system.log, console=audited.console())
    with TestClient(app, base_url="https://testserver") as anonymous:
        for path in ("/console/dashboard", "/console/dashboard/requests",
                     "/console/dashboard/entries/0", "/console/dashboard/entries/0/proof.json",
                     f"/console/dashboard/requests/{audited.held}"):  # fmt: skip
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"] == (
                "/console/signin"
            )
        for name in ("dashboard.js", "dashboard.css", "proofs.js"):
            assert anonymous.get(f"/console/dashboard/static/{name}").status_code == 200
        assert anonymous.get("/console/dashboard/static/console.py").status_code == 404
        # The resident page's proof check, from its one shared place.
        served = anonymous.get("/console/dashboard/static/proofs.js").text
        assert served == (ROOT / "stateline/web/static/proofs.js").read_text()


def test_a_reviewer_reads_the_dashboard_too(audited: Audited) -> None:
    app = create_app(audited.system.exchange, audited.system.log, console=audited.console())
    with TestClient(app, base_url="https://testserver") as reviewer:
        sign_in(reviewer, "rita")
        assert "Requests to New York" in page(reviewer, "/console/dashboard")


def test_a_console_without_the_dashboard_has_no_link_to_it(audited: Audited) -> None:
    node = audited.system.nodes["NY"]
    assert node.review is not None
    accounts = AccountStore(audited.system.engines["NY"], hasher=FAST)
    router = console_router(node.review, accounts, open_alerts(accounts.engine), state="NY")
    app = create_app(audited.system.exchange, audited.system.log, console=router)
    with TestClient(app, base_url="https://testserver") as plain:
        sign_in(plain, "ada")
        assert "/console/dashboard" not in page(plain, "/console/")
        assert plain.get("/console/dashboard").status_code == 404
    with pytest.raises(ValueError, match="give the node's state"):
        source = DashboardSource(audited.config, node.ledger)
        console_router(node.review, accounts, open_alerts(accounts.engine), dashboard_source=source)


def test_every_dashboard_page_is_documented(audited: Audited) -> None:
    doc = (ROOT / "docs" / "review.md").read_text()
    paths = {getattr(route, "path", "") for route in audited.console().routes}
    dashboard = {path for path in paths if path.startswith("/console/dashboard")}
    assert len(dashboard) == 7
    for path in dashboard:
        assert f" {path}`" in doc, f"{path} is not in docs/review.md"
    assert "## The auditor's dashboard" in (ROOT / "docs" / "oversight.md").read_text()


# The auditor reads and acts on nothing ---------------------------------------------------------


def test_the_rule_tables_give_an_auditor_no_action() -> None:
    assert Role.AUDITOR in READ_ONLY
    person = next(iter(generate_people("NY", 1, seed=2)))
    auditor = Reviewer("ada", Role.AUDITOR)
    for item in (_held(person), replace(_held(person), duties=("escalate-counsel",))):
        for action in Action:
            with pytest.raises(MayNotDecide, match="auditor reads requests"):
                transition(item, action, auditor, datetime.now(UTC), reason="no")
    [notice] = made([(person, frozenset())], "m-1", NOW)
    for event in (NoticeEvent.SENT, NoticeEvent.CANCELLED):
        with pytest.raises(NotPermitted, match="auditor reads notices"):
            close(notice, event, auditor, NOW, "no")


def _held(person: Person) -> HeldItem:
    return HeldItem(
        message_id="m-1",
        query=Query(Header(MKE.DQ, ICE.ori, ("NY",), None), (("OLN", person.oln),)),
        destination="NYOLN0000",
        requester=ICE,
        received=NOW,
        deadline=NOW + timedelta(hours=24),
        requested=frozenset({DataClass.ADDRESS}),
        under_review=frozenset({DataClass.ADDRESS}),
    )


@dataclass
class Desk:
    client: TestClient
    service: Any
    outbox: Outbox
    notice: str


@pytest.fixture
def desk(engine: Engine) -> Iterator[Desk]:
    """A console over one database (SQLite, then PostgreSQL) with a held request and a
    notice, and an auditor's and a reviewer's account."""
    records = SqlRecordStore(engine)
    records.create_schema()
    people = list(generate_people("NY", 3, seed=5))
    records.insert_people(people)
    store = SqlReviewStore(engine)
    store.create_schema()
    accounts = AccountStore(engine, hasher=FAST)
    accounts.create_schema()
    accounts.create_account("ada", PASSWORD, Role.AUDITOR)
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    notices = SqlNoticeStore(engine)
    notices.create_schema()
    outbox = Outbox(
        notices, lambda _entries: None, delays=delays_beside(notices), clock=lambda: NOW
    )
    [notice] = outbox.create(made([(people[0], frozenset())], "m-letter", NOW))
    service = ReviewService(store, lookup(records), Sink(), lambda _action: None)
    hold(service, "m-held", people[1])
    exchange = Exchange(Switch(Directory({}, {}), {}), message_log(engine))
    router = console_router(
        service,
        accounts,
        open_alerts(accounts.engine),
        title="NY review",
        state="NY",
        outbox=outbox,
    )
    app = create_app(exchange, console=router)
    with TestClient(app, base_url="https://testserver") as client:
        yield Desk(client, service, outbox, notice.notice_id)


def test_an_auditor_cannot_decide_a_held_request(desk: Desk) -> None:
    token = sign_in(desk.client, "ada")
    item = page(desk.client, "/console/items/m-held")
    assert "As auditor you may not act on this request." in item
    assert 'name="action"' not in item
    for action in ("approve", "deny", "escalate"):
        form = {"csrf": token, "action": action, "reason": "none"}
        response = desk.client.post("/console/items/m-held/decision", data=form)
        assert response.status_code == 403
        assert response.text == "An auditor reads the console and acts on nothing."
    htmx = desk.client.post("/console/items/m-held/decision", data=form,
                            headers={"HX-Request": "true"})  # fmt: skip
    assert htmx.status_code == 403
    assert desk.service.get("m-held").state is ReviewState.HELD
    assert desk.service.actions("m-held") == []


def test_an_auditor_cannot_send_or_cancel_a_notice(desk: Desk) -> None:
    token = sign_in(desk.client, "ada")
    letter = page(desk.client, f"/console/notices/{desk.notice}")
    assert "Mark sent" not in letter and 'name="reason"' not in letter
    for step in ("sent", "cancel"):
        done = desk.client.post(f"/console/notices/{desk.notice}/{step}",
                                data={"csrf": token, "reason": "none"})  # fmt: skip
        assert done.status_code == 403
    assert desk.outbox.get(desk.notice).status is NoticeStatus.PENDING


def test_an_auditor_signs_out_and_a_reviewer_still_acts(desk: Desk) -> None:
    token = sign_in(desk.client, "ada")
    out = desk.client.post("/console/signout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    token = sign_in(desk.client, "rita")
    form = {"csrf": token, "action": "escalate", "reason": ""}
    done = desk.client.post("/console/items/m-held/decision", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert desk.service.get("m-held").state is ReviewState.ESCALATED
