"""Abuse alerts through the real exchange: each pattern seeded as agencies' queries raises its
alert while the traffic arrives, ``stateline alerts`` and the console list them once, a restart
goes on with the same alerts, and the demo's own traffic raises no alert but those of the
task-force queries it seeds on purpose (docs/alerts.md).

New York decides by its statute. The seeded agencies are this module's own (county codes 9xx
are not drawn by the demo), so that other traffic never mixes into their windows, and the
nodes' clock runs through a day and a night of their own, a second a request.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stateline import demo
from stateline.bootstrap import System, build
from stateline.cli import app
from stateline.config import Config
from stateline.directory.model import Agency, AgencyType, Certification, Mission
from stateline.hub.exchange import Exchange
from stateline.hub.switch import Form
from stateline.ledger.entries import RequestReceived, subject_key
from stateline.node.records.model import Person
from stateline.node.review.model import Role
from stateline.oversight.alert_settings import Settings
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import Alert, AlertStore, open_alerts
from stateline.synthetic import traffic
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.wire import jsonform, text
from stateline.wire.messages import Query, Response

NEW_YORK = ZoneInfo("America/New_York")
PEOPLE = 30
SEED = 5
POLICE = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT, Mission.TRAFFIC_ENFORCEMENT})
WHY = "PRP/CRIMINAL-INVESTIGATION"
runner = CliRunner()

BULK = "NY9010100"
ASKING = "NY9030100"
FISHING = "NY9050100"
DENIED = "NY9070100"  # no certification filed with New York: its requests are refused
RETRY = "NY9070101"  # another ORI of the same agency, certified
FIRST, SECOND, THIRD = "NY9110100", "NY9130100", "NY9150100"
TASK_FORCE = "NY9170100"
NIGHT_SHIFT = "NY9190100"
SEEDED = (BULK, ASKING, FISHING, DENIED, RETRY, FIRST, SECOND, THIRD, TASK_FORCE, NIGHT_SHIFT)


class Clock:
    """The nodes' clock: moves a second each time it is read, and only forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def go_to(self, moment: datetime) -> None:
        assert moment >= self.now
        self.now = moment


@dataclass
class Site:
    config: Config
    system: System
    tokens: dict[str, str]
    people: list[Person]
    clock: Clock

    def send(self, ori: str, fields: str) -> Response:
        raw = f"DQ.{ori}.NY.TXT\n{fields}"
        submission = asyncio.run(self.system.exchange.submit(raw, self.tokens[ori], Form.TEXT))
        (reply,) = submission.replies
        assert isinstance(reply, Response), reply
        return reply

    def alerts(self) -> list[Alert]:
        watch = self.system.watch
        assert watch is not None and watch.settled()
        return AlertStore(self.system.engines["NY"]).list()

    def subject(self, person: Person) -> str:
        return subject_key(self.system.nodes["NY"].subject_secret, "NY", oln=person.oln)

    def restart(self) -> None:
        self.system.close()
        self.system = build(self.config)
        self.system.nodes["NY"].clock = self.clock


def seeded_agencies(on: date) -> list[Agency]:
    filed = (Certification("NY", on - timedelta(days=200), None),)
    made = []
    for ori in SEEDED:
        certified = () if ori == DENIED else filed
        name = f"Seeded Police Department {ori}"
        made.append(Agency(ori, name, AgencyType.PD, "NY", POLICE, certifications=certified))
    return made


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from stateline.bootstrap import open_hub

    config = Config(
        data_dir=Path(tmp_path_factory.mktemp("alerts")), states=("NY",), policy="statute"
    )
    demo.prepare(config, PEOPLE, SEED)
    engine, directory, log = open_hub(config)
    directory.add_many(seeded_agencies(date.today()))
    tokens = {ori: directory.issue_credential(ori) for ori in SEEDED}
    log.close()
    engine.dispose()
    # A day of the nodes' own, two days back: 10:00 in New York, then the night after.
    day = datetime.now(NEW_YORK).date() - timedelta(days=2)
    clock = Clock(datetime.combine(day, time(10), NEW_YORK).astimezone(UTC))
    system = build(config)
    system.nodes["NY"].clock = clock
    built = Site(config, system, tokens, list(generate_people("NY", PEOPLE, SEED)), clock)
    yield built
    built.system.close()


def raised(site: Site, rule: str) -> list[Alert]:
    return [alert for alert in site.alerts() if alert.rule == rule]


def requests_behind(site: Site, alert: Alert) -> list[RequestReceived]:
    """The request entries among an alert's evidence, read back from the ledger."""
    ledger = site.system.nodes["NY"].ledger
    found = [ledger.entry(index) for index in alert.evidence]
    return [entry for entry in found if isinstance(entry, RequestReceived)]


def test_bulk_queries_raise_as_they_arrive(site: Site) -> None:
    for n in range(200):
        site.send(BULK, f"OLN/{site.people[n % 10].oln}.{WHY}")
    assert raised(site, "bulk") == []
    site.send(BULK, f"OLN/{site.people[0].oln}.{WHY}")
    (alert,) = raised(site, "bulk")  # no batch run: the serving node raised it
    assert (alert.ori, alert.count, alert.severity, len(alert.evidence)) == (
        BULK,
        201,
        "medium",
        603,
    )
    assert {entry.requester for entry in requests_behind(site, alert)} == {BULK}
    site.send(BULK, f"OLN/{site.people[1].oln}.{WHY}")
    (grown,) = raised(site, "bulk")
    assert (grown.id, grown.count) == (alert.id, 202)


def test_one_person_asking_more_than_fifty_times_an_hour(site: Site) -> None:
    for n in range(51):
        site.send(ASKING, f"OLN/{site.people[n % 10].oln}.ATN/OFC KRUPKE.{WHY}")
    (alert,) = raised(site, "bulk-asker")
    assert alert.ori == ASKING and alert.count == 51 and alert.key.startswith(f"{ASKING} ATN#")
    assert "KRUPKE" not in alert.key


def test_name_searches_that_find_nobody(site: Site) -> None:
    for n in range(10):
        reply = site.send(FISHING, f"NAM/NOBODY,JOE{'ABCDEFGHIJ'[n]}.DOB/19700101.SEX/M.{WHY}")
        assert reply.records == ()
    (alert,) = raised(site, "name-fishing")
    assert (alert.ori, alert.count, alert.severity) == (FISHING, 10, "high")


def test_a_denied_request_asked_again_by_another_unit_of_the_agency(site: Site) -> None:
    person = site.people[10]
    refused = site.send(DENIED, f"OLN/{person.oln}.{WHY}")
    assert refused.records == () and refused.text[0] == "REQUEST DENIED"
    assert raised(site, "denied-retried") == []
    answered = site.send(RETRY, f"OLN/{person.oln}.{WHY}")
    assert answered.records
    (alert,) = raised(site, "denied-retried")
    assert (alert.ori, alert.subject, alert.oris) == (RETRY, site.subject(person), (DENIED, RETRY))


def test_one_person_looked_up_by_three_unrelated_agencies(site: Site) -> None:
    person = site.people[11]
    for ori in (FIRST, SECOND):
        site.send(ori, f"OLN/{person.oln}.{WHY}")
    assert raised(site, "many-agencies") == []
    site.send(THIRD, f"OLN/{person.oln}.{WHY}")
    (alert,) = raised(site, "many-agencies")
    assert (alert.ori, alert.subject, alert.oris) == (
        None,
        site.subject(person),
        (FIRST, SECOND, THIRD),
    )


def test_a_local_agency_acting_for_immigration_enforcement(site: Site) -> None:
    site.send(TASK_FORCE, f"OLN/{site.people[12].oln}.{WHY}.AFM/IMMIGRATION-ENFORCEMENT")
    (alert,) = raised(site, "acting-for-immigration")
    assert (alert.ori, alert.count, alert.severity) == (TASK_FORCE, 1, "high")


def test_an_off_hours_spike(site: Site) -> None:
    night = site.clock.now.astimezone(NEW_YORK).date() + timedelta(days=1)
    site.clock.go_to(datetime.combine(night, time(3), NEW_YORK).astimezone(UTC))
    for n in range(19):
        site.send(NIGHT_SHIFT, f"OLN/{site.people[13 + n % 3].oln}.{WHY}")
        site.clock.now += timedelta(minutes=1)
    assert raised(site, "off-hours") == []
    site.send(NIGHT_SHIFT, f"OLN/{site.people[13].oln}.{WHY}")
    (alert,) = raised(site, "off-hours")
    assert (alert.ori, alert.count) == (NIGHT_SHIFT, 20)


def test_every_pattern_raised_its_alert_and_nothing_else(site: Site) -> None:
    assert Counter((a.rule, a.ori) for a in site.alerts()) == Counter(
        {
            ("bulk", BULK): 1,
            ("bulk-asker", ASKING): 1,
            ("name-fishing", FISHING): 1,
            ("denied-retried", RETRY): 1,
            ("many-agencies", None): 1,
            ("acting-for-immigration", TASK_FORCE): 1,
            ("off-hours", NIGHT_SHIFT): 1,
        }
    )


def test_stateline_alerts_lists_them_once(site: Site) -> None:
    data = ["--data", str(site.config.data_dir)]
    listed = runner.invoke(app, ["alerts", "--state", "ny", "--json", *data])
    assert listed.exit_code == 0, listed.output
    stored = [alert.as_json() for alert in site.alerts()]
    assert json.loads(listed.output) == stored  # its scan of the ledger added nothing
    assert {"rule", "ori", "count", "window", "first", "last", "evidence"} <= set(stored[0])
    table = runner.invoke(app, ["alerts", "--state", "NY", *data])
    assert table.exit_code == 0, table.output
    assert "NY: 7 alerts" in table.output and "name-fishing" in table.output
    tomorrow = (datetime.now(NEW_YORK).date() + timedelta(days=1)).isoformat()
    later = runner.invoke(app, ["alerts", "--state", "NY", "--since", tomorrow, "--json", *data])
    assert later.exit_code == 0 and json.loads(later.output) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--state", "ZZ"], "no node for state 'ZZ'"),
        (["--state", "NY", "--since", "last week"], "--since 'last week' is not a day"),
        (["--state", "NY", "--since", "2026-03-02T10:00"], "is not a day (YYYY-MM-DD) or a time"),
    ],
)
def test_stateline_alerts_refuses_bad_input_in_one_line(
    site: Site, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["alerts", *arguments, "--data", str(site.config.data_dir)])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_stateline_alerts_names_a_settings_file_it_cannot_use(site: Site, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["alerts", "--state", "NY", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no data directory" in missing.output
    path = site.config.data_dir / "alerts" / "NY.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("[bulk]\ncount = 0\n")
    try:
        result = runner.invoke(
            app, ["alerts", "--state", "NY", "--data", str(site.config.data_dir)]
        )
    finally:
        path.unlink()
    assert result.exit_code == 1
    assert "NY.toml: bulk.count must be a whole number" in result.output


def test_the_console_shows_the_alerts(site: Site) -> None:
    node = site.system.nodes["NY"]
    assert node.review is not None
    accounts = AccountStore(site.system.engines["NY"])
    accounts.create_schema()
    accounts.create_account("ada", "correct horse battery", Role.REVIEWER)
    router = console_router(
        node.review, accounts, open_alerts(accounts.engine), title="NY review", state="NY"
    )
    exchange: Exchange = site.system.exchange
    with TestClient(create_app(exchange, console=router), base_url="https://testserver") as web:
        form = web.get("/console/signin").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        data = {"username": "ada", "password": "correct horse battery", "code": "", "csrf": csrf}
        assert web.post("/console/signin", data=data, follow_redirects=False).status_code == 303
        page = web.get("/console/alerts")
        rows = web.get("/console/alerts/rows")
    assert page.status_code == 200 and rows.status_code == 200
    for alert in site.alerts():
        assert f'data-alert="{alert.id}"' in page.text and f'data-alert="{alert.id}"' in rows.text
    assert "Name searches finding nobody or several people" in page.text
    assert "A state or local agency acting for immigration enforcement" in page.text


def test_after_a_restart_an_alert_goes_on(site: Site) -> None:
    (before,) = raised(site, "acting-for-immigration")
    site.restart()  # the watch reads the ledger's recent past again
    site.send(TASK_FORCE, f"OLN/{site.people[12].oln}.{WHY}.AFM/IMMIGRATION-ENFORCEMENT")
    (after,) = raised(site, "acting-for-immigration")
    assert (after.id, after.count) == (before.id, 2)
    assert len(site.alerts()) == 7


DEMO_PEOPLE, DEMO_MESSAGES, DEMO_SEED = 1000, 2000, 0  # as `stateline demo` runs by default
DEMO_STATES = Config().states


@dataclass
class DemoNight:
    """The demo's traffic replayed through all 51 nodes in the small hours of the night."""

    system: System
    sent: list[traffic.Sent]


def replay_at_night(data_dir: Path, task_force: bool) -> Iterator[DemoNight]:
    """Replay the demo's traffic over the prepared exchange at ``data_dir``, from 03:00 in New
    York on, the nodes' clock moving a second each time it is read."""
    config = Config(data_dir=data_dir)
    day = datetime.now(NEW_YORK).date() - timedelta(days=1)
    clock = Clock(datetime.combine(day, time(3), NEW_YORK).astimezone(UTC))
    system = build(config)
    try:
        for node in system.nodes.values():
            node.clock = clock
        agencies = system.directory.list()
        sent = list(
            traffic.traffic(config, DEMO_PEOPLE, DEMO_SEED, DEMO_MESSAGES, agencies, task_force)
        )
        asyncio.run(demo.replay(system.exchange, sent, demo.load_tokens(config)))
        assert system.watch is not None and system.watch.settled()
        yield DemoNight(system, sent)
    finally:
        system.close()


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's exchange as ``stateline demo`` prepares it, before any traffic."""
    config = Config(data_dir=Path(tmp_path_factory.mktemp("demo")) / "prepared")
    demo.prepare(config, DEMO_PEOPLE, DEMO_SEED)
    return config.data_dir


@pytest.fixture(scope="module")
def clean_night(demo_data: Path) -> Iterator[DemoNight]:
    """The demo's traffic without its task-force queries."""
    yield from replay_at_night(shutil.copytree(demo_data, demo_data.parent / "clean"), False)


@pytest.fixture(scope="module")
def demo_night(demo_data: Path) -> Iterator[DemoNight]:
    """The demo's traffic as ``stateline demo`` sends it."""
    yield from replay_at_night(shutil.copytree(demo_data, demo_data.parent / "full"), True)


def query_of(sent: traffic.Sent) -> Query | None:
    """The query a message of the demo sends (None: a bad message the exchange refuses)."""
    if sent.kind.startswith("bad:"):
        return None
    parsed = jsonform.parse_json(sent.raw) if sent.form is Form.JSON else text.parse(sent.raw)
    assert isinstance(parsed, Query), sent
    return parsed


def destinations(query: Query) -> tuple[str, ...]:
    """The states a query asks (``NL``: every one)."""
    return DEMO_STATES if query.header.destinations == ("NL",) else query.header.destinations


def test_the_demos_clean_traffic_raises_no_alert_in_any_state(clean_night: DemoNight) -> None:
    # No bulk, no fishing, no retry, no person looked up by three agencies, no off-hours spike
    # although it all happens at night, and no one acting for immigration enforcement.
    nodes = clean_night.system.nodes
    assert set(nodes) == set(DEMO_STATES)
    for state, node in nodes.items():
        assert node.ledger.size > 0, state  # every state answered some of the traffic
        assert AlertStore(clean_night.system.engines[state]).list() == [], state


def test_the_demos_traffic_raises_exactly_its_task_force_alerts(
    demo_night: DemoNight, clean_night: DemoNight
) -> None:
    # The task-force queries are the only difference from the clean traffic, message for
    # message: each stated AFM/IMMIGRATION-ENFORCEMENT where the clean one does not.
    sent, clean = demo_night.sent, clean_night.sent
    assert [(s.kind, s.ori) for s in sent] == [(s.kind, s.ori) for s in clean]
    federal = {a.ori for a in demo_night.system.directory.list() if a.federal}
    expected: Counter[tuple[str, str]] = Counter()
    for full, plain in zip(sent, clean, strict=True):
        query = query_of(full)
        if query is None or query.get("AFM") is None:
            assert full == plain
            continue
        assert query.get("AFM") == "IMMIGRATION-ENFORCEMENT" and full != plain
        if full.ori not in federal:  # a federal agency acting for immigration is no alert
            expected.update((state, full.ori) for state in destinations(query))
    assert len({ori for _state, ori in expected}) > 10
    found: Counter[tuple[str, str]] = Counter()
    for state, engine in demo_night.system.engines.items():
        for alert in AlertStore(engine).list():
            assert (alert.rule, alert.severity) == ("acting-for-immigration", "high"), alert
            assert alert.ori is not None and (state, alert.ori) not in found, alert
            found[state, alert.ori] = alert.count  # each of the agency's queries there
    assert found == expected


def test_no_agency_comes_near_a_limit_however_fast_the_demo_runs(clean_night: DemoNight) -> None:
    # Over the whole replay, which `stateline demo` sends within minutes, each ORI's queries to
    # one state stay below the counts of the rules that count them, and nobody is looked up by
    # as many unrelated agencies as many-agencies counts, nor by two ORIs of one agency; people
    # told apart by their day of birth, as the demo does (a name search may find anyone born
    # that day with a name like theirs).
    limits = Settings()
    queries: Counter[tuple[str, str]] = Counter()
    searches: Counter[tuple[str, str]] = Counter()
    asked: dict[str, set[str]] = {}  # day of birth -> ORIs
    born: dict[tuple[str, str], str] = {}  # (state, licence, plate or VIN) -> day of birth
    for state in DEMO_STATES:
        for person in generate_people(state, DEMO_PEOPLE, DEMO_SEED):
            vehicles = [key for v in person.vehicles for key in (v.plate, v.vin)]
            for key in (person.oln, person.oln[::-1], *vehicles):  # a mistyped licence too
                born[state, key] = person.dob.strftime("%Y%m%d")
    for sent in clean_night.sent:
        query = query_of(sent)
        if query is None:
            continue
        assert query.get("ATN") is None  # nobody for bulk-asker to count
        by_name = query.get("NAM") is not None and query.get("OLN") is None
        for state in destinations(query):
            queries[sent.ori, state] += 1
            searches[sent.ori, state] += by_name
        if by_name:
            dob = query.get("DOB")
        else:
            (state,) = query.header.destinations
            key = query.get("OLN") or query.get("LIC") or query.get("VIN")
            dob = born[state, key or ""]
        assert dob is not None
        asked.setdefault(dob, set()).add(sent.ori)
    most = max(queries.values())
    assert most < min(limits.bulk.count, limits.off_hours.limit.count), queries.most_common(3)
    assert max(searches.values()) < limits.name_fishing.count, searches.most_common(3)
    for oris in asked.values():
        agencies = {ori[: limits.parent_length] for ori in oris}
        assert len(agencies) == len(oris) < limits.many_agencies.count, oris
