"""A review console over real stores in a temporary SQLite node database, served in-process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from stateline.directory.model import Agency, AgencyType, Mission
from stateline.hub.exchange import Exchange
from stateline.hub.switch import Directory, Switch
from stateline.node.records.model import Person
from stateline.node.records.render import driver_fields
from stateline.node.redact import redact
from stateline.node.review.model import COUNSEL_DUTY, CitedProcess, Document, HeldItem, Role
from stateline.node.review.service import RecordsLookup, ReviewService
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import open_alerts
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.records import SqlRecordStore
from stateline.storage.review import SqlReviewStore
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.web.console import console_router
from stateline.wire.grammar import MKE, NOT_ON_FILE, DataClass
from stateline.wire.messages import Header, Query, Reply, Response
from tests.hub.helpers import message_log

PASSWORD = "correct horse battery"
SECRET = pyotp.random_base32()
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ICE = Agency(
    "DCICE0100", "ICE ERO", AgencyType.FE, "US", frozenset({Mission.IMMIGRATION_ENFORCEMENT})
)
UNDER_REVIEW = frozenset({DataClass.IDENTITY, DataClass.ADDRESS, DataClass.PHYSICAL})
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class Sink:
    delivered: list[tuple[str, str, Reply]] = field(default_factory=list)

    def deliver(self, message_id: str, requester: str, reply: Reply) -> None:
        self.delivered.append((message_id, requester, reply))


@dataclass
class Console:
    client: TestClient
    service: ReviewService
    accounts: AccountStore
    sink: Sink
    people: list[Person]


def lookup(records: SqlRecordStore) -> RecordsLookup:
    def run(item: HeldItem, released: frozenset[DataClass]) -> Response:
        person = records.by_oln(item.query.get("OLN") or "")
        found = (driver_fields(person, score=None, photo=False),) if person else ()
        header = Header(MKE.DR, item.destination, (item.requester.ori,), item.query.header.control)
        kept = tuple(redact(r, released) for r in found)
        return Response(header, kept, () if kept else (NOT_ON_FILE,))

    return run


def hold(service: ReviewService, message_id: str, person: Person, **more: object) -> HeldItem:
    received = more.pop("received", datetime.now(UTC) - timedelta(hours=1))
    assert isinstance(received, datetime)
    document = more.pop("document", None)
    assert document is None or isinstance(document, Document)
    item = HeldItem(
        message_id=message_id,
        query=Query(Header(MKE.DQ, ICE.ori, ("NY",), "CASE-7"), (("OLN", person.oln),)),
        destination="NYOLN0000",
        requester=ICE,
        received=received,
        deadline=received + timedelta(hours=24),
        requested=UNDER_REVIEW | {DataClass.SSN},
        under_review=UNDER_REVIEW,
        policy_ids=("ny-review-federal",),
        reasons=("FEDERAL REQUESTER",),
        duties=("log",),
        purpose="criminal-investigation",
        legal_process=CitedProcess(
            "judicial-warrant", number="24-MJ-1031", court="S.D.N.Y.", judge="Hon. A. Judge"
        ),
    )
    return service.hold(replace(item, **more), document)  # type: ignore[arg-type]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    engine = open_engine(sqlite_url(str(tmp_path / "node.sqlite")))
    records = SqlRecordStore(engine)
    records.create_schema()
    people = list(generate_people("NY", 4, seed=9))
    records.insert_people(people)
    store = SqlReviewStore(engine)
    store.create_schema()
    accounts = AccountStore(engine, hasher=FAST)
    accounts.create_schema()
    accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    accounts.create_account("carl", PASSWORD, Role.COUNSEL, totp_secret=SECRET)
    sink = Sink()
    service = ReviewService(store, lookup(records), sink, lambda _action: None)
    hold(service, "m-old", people[0], received=datetime.now(UTC) - timedelta(hours=30))
    hold(service, "m-new", people[1], document=Document(PNG, "image/png", "warrant.png"))
    hold(service, "m-counsel", people[2], duties=("log", COUNSEL_DUTY))
    exchange = Exchange(Switch(Directory({}, {}), {}), message_log(engine))
    router = console_router(
        service, accounts, open_alerts(accounts.engine), title="NY review", state="NY"
    )
    app = create_app(exchange, console=router)
    with TestClient(app, base_url="https://testserver") as client:
        yield Console(client, service, accounts, sink, people)
    engine.dispose()
