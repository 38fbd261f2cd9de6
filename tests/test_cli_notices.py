"""``stateline notices delay`` and ``lift``: counsel's delay step on the command line, over a
copy of the prepared exchange under New York's law, in this process and beside a running
server (the step then goes through the server's console, which writes the ledger)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stateline.bootstrap import System, build, ledger_lock_path
from stateline.cli import app
from stateline.cli import notices as notices_cli
from stateline.config import Config
from stateline.ledger.entries import Notice as NoticeEntry
from stateline.ledger.lock import Holder, WriterLock
from stateline.node.deadlines import local_day
from stateline.node.notices.delays import DELAY_NOTICE, DelayEvent
from stateline.node.notices.model import Notice
from stateline.node.notices.service import Outbox
from stateline.node.records.model import Person
from stateline.node.review.model import Role
from stateline.storage.accounts import AccountStore
from stateline.storage.alerts import open_alerts
from stateline.web.app import create_app
from stateline.web.console import console_router
from tests.conftest import fresh_copy
from tests.serving import serving
from tests.web.console.conftest import FAST

runner = CliRunner()
PASSWORD = "a long passphrase"
ORDER = "26-MJ-0042, S.D.N.Y."


@dataclass
class Site:
    config: Config
    notice: Notice  # New York's notice of an ICE request whose requester asked for a delay

    def run(self, *args: str, password: str = PASSWORD, **options: str) -> Result:
        argv = ["notices", *args, "--state", "NY", "--notice", self.notice.notice_id]
        for name, value in options.items():
            argv += [f"--{name.replace('_', '-')}", value]
        argv += ["--data", str(self.config.data_dir)]
        return runner.invoke(app, argv, input=f"{password}\n")

    def open(self) -> System:
        return build(self.config)


def outbox(system: System) -> Outbox:
    notices = system.nodes["NY"].notices
    assert notices is not None
    return notices.outbox


def delay_entries(system: System, notice: Notice) -> list[NoticeEntry]:
    found = system.nodes["NY"].ledger.entries_for_subject(notice.subject)
    return [e for _, e in found if isinstance(e, NoticeEntry) and e.notice == DELAY_NOTICE]


def today() -> date:
    return local_day(datetime.now(UTC), "NY")


@pytest.fixture
def site(
    prepared: Config, tmp_path: Path, tokens: dict[str, str], people: dict[str, list[Person]]
) -> Iterator[Site]:
    config = replace(prepared, data_dir=fresh_copy(prepared, tmp_path / "data"), policy="NY=ny")
    system = build(config)
    try:
        raw = f"DQ.DCICE0000.NY.TXT\nOLN/{people['NY'][5].oln}.NDR/Y"
        asked = asyncio.run(system.exchange.submit(raw, tokens["DCICE0000"])).id
        [notice] = outbox(system).store.for_message(asked)
        assert notice.delay_requested
        accounts = AccountStore(system.engines["NY"], hasher=FAST)
        accounts.create_schema()
        accounts.create_account("carl", PASSWORD, Role.COUNSEL)
        accounts.create_account("rita", PASSWORD, Role.REVIEWER)
    finally:
        system.close()
    yield Site(config, notice)


def test_counsel_delays_and_lifts_on_the_command_line(site: Site) -> None:
    until = (today() + timedelta(days=30)).isoformat()
    done = site.run("delay", until=until, reason="claim accepted", **{"as": "carl"})
    assert done.exit_code == 0, done.output
    assert (
        f"{site.notice.notice_id} delayed through {until} on the requester's request" in done.output
    )
    assert "by carl" in done.output and "due again on" in done.output
    system = site.open()
    try:
        [entry] = delay_entries(system, site.notice)
        assert (entry.detail["actor"], entry.detail["until"]) == ("carl", until)
        assert entry.detail["reason"] == "claim accepted"
        delay = outbox(system).delay(site.notice.notice_id)
        assert delay is not None and delay.until == date.fromisoformat(until)
    finally:
        system.close()
    lifted = site.run("lift", reason="investigation closed", **{"as": "carl"})
    assert lifted.exit_code == 0, lifted.output
    assert "delay lifted by carl" in lifted.output
    system = site.open()
    try:
        events = [e.detail["event"] for e in delay_entries(system, site.notice)]
        assert events == ["granted", "lifted"]
    finally:
        system.close()


@pytest.mark.parametrize(
    ("options", "account", "password", "message"),
    [
        ({"until": "2020-01-01", "reason": "r"}, "carl", PASSWORD, "2020-01-01 is in the past"),
        ({"until": "+91", "reason": "r"}, "carl", PASSWORD, "ends within 90 days"),
        ({"until": "+10", "reason": " "}, "carl", PASSWORD, "say why the notice is delayed"),
        ({"until": "+10", "reason": "r"}, "rita", PASSWORD, "only counsel may delay"),
        ({"until": "+10", "reason": "r"}, "carl", "wrong password", "sign-in failed"),
    ],
)
def test_a_refused_delay_says_why_and_writes_nothing(
    site: Site, options: dict[str, str], account: str, password: str, message: str
) -> None:
    if options["until"].startswith("+"):
        options = {
            **options,
            "until": (today() + timedelta(days=int(options["until"]))).isoformat(),
        }
    refused = site.run("delay", password=password, **options, **{"as": account})
    assert refused.exit_code == 1, refused.output
    assert message in " ".join(refused.output.split())
    system = site.open()
    try:
        assert delay_entries(system, site.notice) == []
        assert outbox(system).delay(site.notice.notice_id) is None
    finally:
        system.close()


def test_arguments_are_checked_before_anything_is_opened(site: Site) -> None:
    bad = site.run("delay", until="next week", reason="r", **{"as": "carl"})
    assert bad.exit_code == 2 and "not a date" in bad.output
    elsewhere = runner.invoke(
        app, ["notices", "lift", "--state", "ZZ", "--notice", "N-1", "--as", "carl"], input="x\n"
    )
    assert elsewhere.exit_code == 2


def test_beside_a_running_server_the_step_goes_through_its_console(site: Site) -> None:
    system = build(site.config, Holder.this_process("stateline serve"))
    try:
        node = system.nodes["NY"]
        assert node.review is not None
        without = create_app(system.exchange, system.log)
        with serving(without) as url:
            system.announce(url)
            refused = site.run("delay", until=today().isoformat(), reason="r", **{"as": "carl"})
            assert refused.exit_code == 1
            assert "serves no review console: serve it with --console NY" in refused.output
        accounts = AccountStore(system.engines["NY"])
        router = console_router(
            node.review, accounts, open_alerts(accounts.engine), state="NY", outbox=outbox(system)
        )
        with serving(create_app(system.exchange, system.log, console=router)) as url:
            system.announce(url)
            until = (today() + timedelta(days=5)).isoformat()
            done = site.run(
                "delay", until=until, reason="sealed", court_order=ORDER, **{"as": "carl"}
            )
            assert done.exit_code == 0, done.output
            assert (
                "`stateline serve` (process" in done.output and "sending through it" in done.output
            )
            assert f"on court order {ORDER}" in done.output
            delay = outbox(system).delay(site.notice.notice_id)
            assert delay is not None and delay.reference == ORDER and delay.actor == "carl"
            [entry] = delay_entries(system, site.notice)  # in the server's own ledger writer
            assert entry.detail["basis"] == "court-order"

            refused = site.run("delay", until="2020-01-01", reason="r", **{"as": "carl"})
            assert refused.exit_code == 1 and "2020-01-01 is in the past" in refused.output
            wrong = site.run("lift", password="wrong", **{"as": "carl"})
            assert wrong.exit_code == 1 and "sign-in failed" in wrong.output
            lifted = site.run("lift", **{"as": "carl"})
            assert lifted.exit_code == 0, lifted.output
            latest = outbox(system).delay(site.notice.notice_id)
            assert latest is not None and latest.event is DelayEvent.LIFTED
            assert len(delay_entries(system, site.notice)) == 2
            assert accounts.purge_sessions() == 0  # each step signed out after itself
    finally:
        system.close()


def test_another_command_writing_the_ledger_is_named(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notices_cli, "WAIT_FOR_WRITER", 0.3)
    holder = Holder.this_process("stateline ledger witness")
    lock = WriterLock.acquire(ledger_lock_path(site.config, "NY"), "NY", holder)
    try:
        busy = site.run("lift", **{"as": "carl"})
    finally:
        lock.release()
    assert busy.exit_code == 1
    assert "the NY ledger is written by `stateline ledger witness`" in busy.output
