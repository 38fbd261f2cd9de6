"""The resident view in-process over a whole exchange: ``POST /v1/resident/lookups`` and the page
at ``/resident``, with the code the CLI issues, wrong and expired codes, the lockout, a delayed
request hidden then shown, and every access in the state's ledger."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from stateline.bootstrap import System, build
from stateline.cli.ledger import app as ledger_cli
from stateline.cli.resident import app as resident_app
from stateline.config import Config
from stateline.directory.model import Agency
from stateline.ledger.checkpoint import Verifier, open_checkpoint
from stateline.ledger.entries import ResidentAccess, subject_key
from stateline.ledger.merkle import leaf_hash, verify_inclusion
from stateline.node.deadlines import local_day, state_zone
from stateline.node.notices.delays import DelayBasis, DelayEvent, delay_entry
from stateline.node.records.model import Person
from stateline.storage.resident import (
    CODE_LIFETIME,
    ResidentStore,
    code_digest,
    new_code,
    resident_tries,
)
from stateline.web.app import create_app
from stateline.web.resident import resident_router

API = "/v1/resident/lookups"
resident_cli = typer.Typer()
resident_cli.add_typer(resident_app, name="resident")  # as `stateline resident`
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
START = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 10:00 in Albany


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    client: TestClient
    system: System
    clock: Clock
    names: dict[str, str]  # agency names to show instead of the directory's, by ORI

    def issue(self, person: Person, state: str = "NY") -> str:
        """A code for ``person``, issued now on the site's clock, as the DMV's command does."""
        node = self.system.nodes[state]
        subject = subject_key(node.subject_secret, state, oln=person.oln)
        code = new_code()
        codes = ResidentStore(self.system.engines[state])
        codes.issue(state, subject, code_digest(node.subject_secret, subject, code), self.clock())
        return code

    def look(self, oln: str, code: str, state: str = "NY") -> Any:
        return self.client.post(API, json={"state": state, "oln": oln, "code": code})

    def send(self, raw: str, token: str) -> str:
        submission = asyncio.run(self.system.exchange.submit(raw, token))
        return submission.id

    def accesses(self, oln: str, state: str = "NY") -> list[ResidentAccess]:
        node = self.system.nodes[state]
        key = subject_key(node.subject_secret, state, oln=oln)
        found = node.ledger.entries_for_subject(key)
        return [e for _, e in found if isinstance(e, ResidentAccess)]


def serve(system: System) -> Iterator[Site]:
    clock = Clock(START)
    names: dict[str, str] = {}

    def agencies(ori: str) -> Agency | None:
        agency = system.exchange.switch.directory.agencies.get(ori)
        if agency is not None and ori in names:
            return replace(agency, name=names[ori])
        return agency

    router = resident_router(system.nodes, system.codes(), agencies, clock=clock)
    with TestClient(create_app(system.exchange, system.log, resident=router)) as client:
        yield Site(client, system, clock, names)


@pytest.fixture
def site(system: System) -> Iterator[Site]:
    yield from serve(system)


@pytest.fixture
def ny_law(prepared: Config) -> Iterator[Site]:
    """New York's own law: immigration agencies' requests are denied and owe a notice."""
    system = build(replace(prepared, policy="NY=ny"))
    try:
        yield from serve(system)
    finally:
        system.close()


def check_proof(proof: dict[str, Any], vkey: str) -> None:
    """What ``stateline ledger check-proof`` checks, done here: signature, leaf, path."""
    import base64

    checkpoint = open_checkpoint(proof["checkpoint"], Verifier.parse(vkey), proof["origin"])
    leaf = base64.b64decode(proof["leaf_hash"])
    assert leaf_hash(base64.b64decode(proof["entry"])) == leaf
    path = [base64.b64decode(h) for h in proof["proof"]]
    verify_inclusion(proof["index"], proof["tree_size"], leaf, path, checkpoint.root)


# The right code ---------------------------------------------------------------------------------


def test_the_right_code_shows_every_request_with_its_proofs(
    site: Site, tokens: dict[str, str], people: dict[str, list[Person]], tmp_path: Path
) -> None:
    person = people["NY"][20]
    by_oln = site.send(
        f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}.PRP/TRAFFIC-ENFORCEMENT", tokens["NYSTP0000"]
    )
    name = f"{person.last},{person.first}"[:30]
    by_name = site.send(
        f"KQ.NYSTP0000.NY.TXT\nNAM/{name}.DOB/{person.dob:%Y%m%d}.SEX/{person.sex}",
        tokens["NYSTP0000"],
    )
    other = site.send(f"DQ.NYSTP0000.NY.TXT\nOLN/{people['NY'][21].oln}", tokens["NYSTP0000"])
    code = site.issue(person)

    response = site.look(person.oln, code.lower().replace("-", " "))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["state"] == "NY" and body["time_zone"] == "America/New_York"
    assert body["withheld"] is False and body["withheld_note"] is None
    shown = {item["message_id"]: item for item in body["lookups"]}
    assert by_oln in shown and by_name in shown and other not in shown
    item = shown[by_oln]
    assert item["agency"] == {
        "ori": "NYSTP0000",
        "name": "New York State Police",
        "type": "SA",
        "type_description": "state-wide agency",
    }
    assert item["message_key"] == "DQ" and item["purpose"] == "traffic-enforcement"
    assert item["legal_process"] == {} and item["outcome"] == "release"
    assert "identity" in item["released"] and "photo" not in item["released"]
    assert item["at_local"].endswith(("EST", "EDT"))
    assert [e["kind"] for e in item["entries"]] == ["request", "decision", "disclosure"]
    assert shown[by_name]["message_key"] == "KQ"  # found by the name and date of birth
    assert shown[by_name]["released"] == ["driving-history", "identity"]

    # Every entry shown is proven against the head the answer gives, signed by NY's key.
    vkey = site.system.keys["NY"].signer.verifier.vkey
    assert body["verifier_key"] == vkey
    proofs = [e["proof"] for i in body["lookups"] for e in i["entries"]]
    proofs += [a["proof"] for a in body["accesses"]]
    for proof in proofs:
        assert proof["checkpoint"] == body["checkpoint"]
        assert proof["tree_size"] == body["tree_size"]
        check_proof(proof, vkey)
    # ... and `stateline ledger check-proof` verifies one saved to a file.
    saved = tmp_path / "proof.json"
    saved.write_text(json.dumps(item["entries"][0]["proof"]))
    checked = CliRunner().invoke(ledger_cli, ["check-proof", str(saved), "--key", vkey])
    assert checked.exit_code == 0, checked.output
    assert "verified" in checked.output and "request entry" in checked.output

    # The access itself is a ledger entry, shown first among the person's accesses.
    [access] = site.accesses(person.oln)
    assert access.outcome == "shown" and access.shown == len(body["lookups"])
    assert body["accesses"][0]["outcome"] == "shown"


def test_a_plate_query_is_shown_to_the_owner_with_its_purpose(
    site: Site, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    owner = next(p for p in people["NY"][5:13] if p.vehicles)
    plate = owner.vehicles[0]
    message = site.send(
        f"RQ.NYSTP0000.NY.TXT\nLIC/{plate.plate}.LIY/{plate.plate_year}.LIT/{plate.plate_type}"
        ".PRP/CRIMINAL-INVESTIGATION",
        tokens["NYSTP0000"],
    )
    body = site.look(owner.oln, site.issue(owner)).json()
    [item] = [i for i in body["lookups"] if i["message_id"] == message]
    assert item["message_key"] == "RQ" and item["purpose"] == "criminal-investigation"
    assert "vehicles" in item["released"]


def test_the_code_the_command_prints_opens_the_view(
    system: System, prepared: Config, people: dict[str, list[Person]]
) -> None:
    person = people["NY"][22]
    result = CliRunner().invoke(
        resident_cli,
        [
            "resident",
            "code",
            "--state",
            "ny",
            "--oln",
            person.oln,
            "--data",
            str(prepared.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert len(code) == 19 and code.count("-") == 3
    assert "valid until" in result.stderr
    router = resident_router(
        system.nodes, system.codes(), system.exchange.switch.directory.agencies.get
    )
    with TestClient(create_app(system.exchange, resident=router)) as client:
        answer = client.post(API, json={"state": "NY", "oln": person.oln, "code": code})
    assert answer.status_code == 200
    expires = datetime.fromisoformat(answer.json()["code_expires"])
    assert timedelta(0) < expires - datetime.now(UTC) <= CODE_LIFETIME


def test_the_command_refuses_a_licence_the_state_does_not_hold(prepared: Config) -> None:
    data = ["--data", str(prepared.data_dir)]
    unknown = CliRunner().invoke(
        resident_cli, ["resident", "code", "--state", "NY", "--oln", "X1", *data]
    )
    assert unknown.exit_code == 1 and "no licence with that number" in unknown.stderr
    state = CliRunner().invoke(
        resident_cli, ["resident", "code", "--state", "ZZ", "--oln", "X1", *data]
    )
    assert state.exit_code == 2 and "not a state" in state.output
    bad = CliRunner().invoke(
        resident_cli, ["resident", "code", "--state", "NY", "--oln", "<b>", *data]
    )
    assert bad.exit_code == 2 and "letters and digits" in bad.stderr


# Wrong, expired, locked -------------------------------------------------------------------------


def test_a_wrong_code_is_refused_and_recorded(site: Site, people: dict[str, list[Person]]) -> None:
    person = people["NY"][16]
    site.issue(person)
    response = site.look(person.oln, "AAAA-AAAA-AAAA-AAAA")
    assert response.status_code == 403
    assert "do not match a code the DMV issued" in response.json()["detail"]
    assert "4 tries left this hour" in response.json()["detail"]
    assert [a.outcome for a in site.accesses(person.oln)] == ["wrong-code"]


def test_an_unknown_licence_reads_as_a_wrong_code(site: Site) -> None:
    response = site.look("Z99999999", "AAAA-AAAA-AAAA-AAAA")
    assert response.status_code == 403
    assert "do not match a code the DMV issued" in response.json()["detail"]
    assert [a.outcome for a in site.accesses("Z99999999")] == ["wrong-code"]


def test_five_wrong_codes_lock_the_licence_for_the_hour(
    site: Site, people: dict[str, list[Person]]
) -> None:
    person = people["NY"][17]
    code = site.issue(person)
    for n in range(5):
        site.clock.now = START + timedelta(minutes=n)
        assert site.look(person.oln, f"WRONG-{n}").status_code == 403
    site.clock.now = START + timedelta(minutes=10)
    locked = site.look(person.oln, code)  # the right code too: it is not even compared
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(50 * 60)
    detail = locked.json()["detail"]
    assert "Too many wrong codes" in detail and "until 2026-12-07 11:00 EST" in detail
    outcomes = [a.outcome for a in site.accesses(person.oln)]
    assert outcomes == ["wrong-code"] * 5 + ["locked"]
    site.clock.now = START + timedelta(hours=1)
    assert site.look(person.oln, code).status_code == 200


def test_an_expired_code_is_refused(site: Site, people: dict[str, list[Person]]) -> None:
    person = people["NY"][18]
    code = site.issue(person)
    site.clock.now = START + CODE_LIFETIME - timedelta(seconds=1)
    assert site.look(person.oln, code).status_code == 200
    site.clock.now = START + CODE_LIFETIME
    expired = site.look(person.oln, code)
    assert expired.status_code == 403 and "expired on 2027-01-06" in expired.json()["detail"]
    assert [a.outcome for a in site.accesses(person.oln)] == ["shown", "expired-code"]


# Bad input --------------------------------------------------------------------------------------


def test_bad_input_is_refused_before_anything_is_read_or_written(
    site: Site, people: dict[str, list[Person]]
) -> None:
    person = people["NY"][19]
    ledgers = {s: n.ledger.size for s, n in site.system.nodes.items()}
    unknown_state = site.look(person.oln, "AAAA", state="ZZ")
    assert unknown_state.status_code == 404 and "No state node" in unknown_state.json()["detail"]
    licence = site.look("D123<>", "AAAA")
    assert licence.status_code == 422 and "1 to 20 letters and digits" in licence.json()["detail"]
    missing = site.client.post(API, json={"state": "NY", "oln": person.oln})
    assert missing.status_code == 422 and "non-empty string" in missing.json()["detail"]
    not_json = site.client.post(API, content=b"state=NY", headers={"content-type": "text/plain"})
    assert not_json.status_code == 400
    huge = site.client.post(API, content=b"{" + b" " * 5000 + b"}")
    assert huge.status_code == 413
    assert {s: n.ledger.size for s, n in site.system.nodes.items()} == ledgers
    with site.system.engines["NY"].connect() as conn:
        key = subject_key(site.system.nodes["NY"].subject_secret, "NY", oln=person.oln)
        rows = conn.execute(select(resident_tries).where(resident_tries.c.subject == key)).all()
    assert rows == []


# Delays -----------------------------------------------------------------------------------------


def test_a_delayed_request_is_hidden_then_shown_once_the_delay_ends(
    site: Site, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][23]
    seen = site.send(f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}", tokens["NYSTP0000"])
    covert = site.send(f"DQ.DCICE0000.NY.TXT\nOLN/{person.oln}", tokens["DCICE0000"])
    node = site.system.nodes["NY"]
    until = local_day(START, "NY") + timedelta(days=10)
    node.ledger.append(
        [
            delay_entry(
                at=START,
                state="NY",
                message_id=covert,
                subject=subject_key(node.subject_secret, "NY", oln=person.oln),
                event=DelayEvent.GRANTED,
                basis=DelayBasis.COURT_ORDER,
                actor="counsel-1",
                until=until,
                reference="26-MJ-0042",
            )
        ]
    )
    code = site.issue(person)

    during = site.look(person.oln, code).json()
    ids = [item["message_id"] for item in during["lookups"]]
    assert seen in ids and covert not in ids
    assert during["withheld"] is True and "not shown for now" in during["withheld_note"]
    assert covert not in json.dumps(during)  # not its id, nor any of its entries' proofs
    page = site.client.post("/resident", data={"state": "NY", "oln": person.oln, "code": code})
    assert "not shown for now" in page.text and covert not in page.text

    last_day = datetime.combine(until, time(23, 59), state_zone("NY"))
    site.clock.now = last_day
    assert site.look(person.oln, code).json()["withheld"] is True
    site.clock.now = last_day + timedelta(minutes=1)  # midnight in Albany: the delay has ended
    after = site.look(person.oln, code).json()
    assert after["withheld"] is False
    [shown] = [item for item in after["lookups"] if item["message_id"] == covert]
    assert shown["agency"]["ori"] == "DCICE0000"
    assert [e["kind"] for e in shown["entries"]] == ["request", "decision", "disclosure", "notice"]


def test_a_delay_asked_for_hides_the_request_until_the_notice_is_due(
    ny_law: Site, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][24]
    asked = ny_law.send(f"DQ.DCICE0000.NY.TXT\nOLN/{person.oln}.NDR/Y", tokens["DCICE0000"])
    ny_law.clock.now = datetime.now(UTC)  # the notice is due days after the node's own clock
    code = ny_law.issue(person)
    notices = ny_law.system.nodes["NY"].notices
    assert notices is not None
    [notice] = notices.outbox.store.for_message(asked)
    assert notice.delay_requested
    due = datetime.combine(notice.due, time(12, 0), state_zone("NY"))

    ny_law.clock.now = due
    hidden = ny_law.look(person.oln, code).json()
    assert hidden["withheld"] is True
    assert asked not in [item["message_id"] for item in hidden["lookups"]]
    ny_law.clock.now = due + timedelta(days=1)  # the law has had the person told by now
    shown = ny_law.look(person.oln, code).json()
    [item] = [i for i in shown["lookups"] if i["message_id"] == asked]
    assert item["outcome"] == "deny" and item["released"] == []


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_hostile_values_inertly(
    site: Site, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    person = people["NY"][14]
    site.send(f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}", tokens["NYSTP0000"])
    site.names["NYSTP0000"] = HOSTILE
    code = site.issue(person)
    form = site.client.get("/resident")
    assert form.status_code == 200 and 'name="code"' in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]
    page = site.client.post("/resident", data={"state": "NY", "oln": person.oln, "code": code})
    assert page.status_code == 200
    assert HOSTILE not in page.text and "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    # The proofs ride in attributes, escaped, and in data: links for download.
    assert 'data-proof="{' in page.text and 'href="data:application/json;base64,' in page.text
    wrong = site.client.post(
        "/resident", data={"state": "NY", "oln": f"{person.oln}", "code": HOSTILE}
    )
    assert wrong.status_code == 403 and "do not match" in wrong.text and HOSTILE not in wrong.text


def test_the_page_refuses_a_locked_licence_with_retry_after(
    site: Site, people: dict[str, list[Person]]
) -> None:
    person = people["NY"][13]
    for _ in range(5):
        site.client.post("/resident", data={"state": "NY", "oln": person.oln, "code": "WRONG"})
    locked = site.client.post("/resident", data={"state": "NY", "oln": person.oln, "code": "X"})
    assert locked.status_code == 429 and locked.headers["retry-after"] == "3600"
    assert "Too many wrong codes" in locked.text
    cross_site = site.client.post(
        "/resident",
        data={"state": "NY", "oln": person.oln, "code": "X"},
        headers={"origin": "https://elsewhere.example"},
    )
    assert cross_site.status_code == 403
