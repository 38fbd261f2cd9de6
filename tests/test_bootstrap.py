"""The composition root on each backend: the same exchange on SQLite files and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from stateline import demo
from stateline.bootstrap import build
from stateline.config import Config
from stateline.storage.engine import open_engine
from stateline.synthetic.people import generate_people
from stateline.wire.messages import Response

STATES = ("NY", "NJ", "CT")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    url = os.environ.get("STATELINE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("STATELINE_TEST_POSTGRES_URL is not set: run the tests with ./dev test")
        pytest.skip("PostgreSQL not started (./dev test starts it)")
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = open_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.mark.postgres
def test_the_exchange_runs_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    config = Config(
        data_dir=tmp_path,
        database_url=postgres_database,
        node_database_url=postgres_database,  # no {state}: one schema per node
        states=STATES,
    )
    demo.prepare(config, 20, seed=3)
    system = build(config)
    try:
        tokens = demo.load_tokens(config)
        person = next(iter(generate_people("NJ", 20, 3)))
        raw = f"DQ.NYSTP0000.NY.NJ.CT.TXT\nOLN/{person.oln}"
        submission = asyncio.run(system.exchange.submit(raw, tokens["NYSTP0000"]))
        hits = [r for r in submission.replies if isinstance(r, Response) and r.records]
        assert [r.header.ori for r in hits] == ["NJOLN0000"]
        assert system.nodes["NY"].records.count() == 20
        with open_engine(postgres_database).connect() as conn:
            schemas = set(conn.execute(text("SELECT nspname FROM pg_namespace")).scalars())
        assert {"node_ny", "node_nj", "node_ct"} <= schemas
    finally:
        system.close()


def test_a_state_takes_its_statute_bundle(prepared: Config) -> None:
    """New York's Green Light law, not today's practice, decides a request from ICE."""
    from dataclasses import replace as with_

    from stateline.ledger.entries import Decision as DecisionEntry
    from stateline.ledger.entries import Notice as NoticeEntry

    config = with_(prepared, policy="NY=ny")
    system = build(config)
    try:
        tokens = demo.load_tokens(config)
        person = next(iter(generate_people("NY", 20, 7)))
        raw = f"DQ.DCICE0000.NY.TXT\nOLN/{person.oln}"
        (reply,) = asyncio.run(system.exchange.submit(raw, tokens["DCICE0000"])).replies
        assert isinstance(reply, Response)
        assert reply.records == () and reply.text[0] == "REQUEST DENIED"
        ledger = system.nodes["NY"].ledger
        # request, decision, disclosure, and the notice the law owes the person even so
        _request, decision, _disclosure, notice = (
            ledger.entry(i) for i in range(ledger.size - 4, ledger.size)
        )
        assert isinstance(decision, DecisionEntry) and decision.outcome == "deny"
        assert isinstance(notice, NoticeEntry) and notice.message_id == decision.message_id
        assert decision.policy_ids and all(p != "status-quo" for p in decision.policy_ids)
        # Every other state keeps today's practice.
        nj = next(iter(generate_people("NJ", 20, 7)))
        (other,) = asyncio.run(
            system.exchange.submit(f"DQ.DCICE0000.NJ.TXT\nOLN/{nj.oln}", tokens["DCICE0000"])
        ).replies
        assert isinstance(other, Response) and other.records
    finally:
        system.close()


def test_one_process_writes_a_data_directorys_ledgers(prepared: Config) -> None:
    """A second exchange on the same data directory is refused before it opens anything, and
    is told which process writes the ledgers; once that one closes, it may."""
    from stateline.ledger.lock import Holder, LedgerBusy

    server = Holder.this_process("stateline serve")
    first = build(prepared, server)
    try:
        first.announce("http://127.0.0.1:8123")
        with pytest.raises(LedgerBusy) as refused:
            build(prepared, Holder.this_process("stateline query"))
        assert refused.value.holder is not None
        assert refused.value.holder.url == "http://127.0.0.1:8123"
        assert refused.value.holder.command == "stateline serve"
    finally:
        first.close()
    build(prepared, Holder.this_process("stateline query")).close()


@pytest.mark.postgres
def test_ledgers_on_postgresql_have_one_writer_across_data_directories(
    postgres_database: str, tmp_path: Path
) -> None:
    """Two data directories, one PostgreSQL database of ledgers: the database's own lock keeps
    the second writer out, though the files of its data directory are free."""
    from stateline.ledger.lock import Holder, LedgerBusy

    def config(folder: str) -> Config:
        return Config(
            data_dir=tmp_path / folder,
            node_database_url=postgres_database,
            states=STATES,
        )

    demo.prepare(config("a"), 5, seed=3)
    first = build(config("a"), Holder.this_process("stateline serve"))
    try:
        with pytest.raises(LedgerBusy) as refused:
            build(config("b"), Holder.this_process("stateline serve"))
        assert refused.value.state in STATES and refused.value.holder is None
    finally:
        first.close()
    build(config("b"), Holder.this_process("stateline serve")).close()
