"""Attached documents in a whole exchange: kept in the hub's database across a restart, and
each agency within its own quota, so that no agency's uploads take away another's document."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stateline import demo
from stateline.bootstrap import System, build
from stateline.config import Config
from stateline.hub.attachments import MAX_HELD_BYTES, DocumentRefusal, Receipt
from stateline.synthetic.people import generate_people
from stateline.web.app import create_app
from stateline.wire.messages import ErrorMessage, Response

STATES = ("NY", "NJ")
PEOPLE = 5
SEED = 7
LOCAL = "NYSTP0000"
OTHER = "NJSTP0000"
PDF = b"%PDF-1.7\n% a synthetic warrant for the tests\n"
# Large enough that a hundred of them (700 MiB) pass what the hub once held in all.
LARGE = b"%PDF-1.7\n" + b"\x00" * (7 * 1024 * 1024)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    made = Config(data_dir=tmp_path, states=STATES)
    demo.prepare(made, PEOPLE, SEED)
    return made


@pytest.fixture
def tokens(config: Config) -> dict[str, str]:
    return demo.load_tokens(config)


@pytest.fixture
def system(config: Config) -> Iterator[System]:
    built = build(config)
    yield built
    built.close()


def query_naming(system: System, token: str, document_id: str) -> Response:
    """A DQ under a judge's warrant naming ``document_id``; its one reply, which must be a DR."""
    oln = next(iter(generate_people("NY", PEOPLE, SEED))).oln
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{oln}.LPK/JUDICIAL-WARRANT.DOC/{document_id}"
    submission = asyncio.run(system.exchange.submit(raw, token))
    (reply,) = submission.replies
    assert not isinstance(reply, ErrorMessage), reply.reason  # DOCUMENT_NOT_FOUND, before
    assert isinstance(reply, Response) and reply.header.ori == "NYOLN0000"
    return reply


def test_a_document_attached_before_a_restart_is_found_by_the_query_naming_it(
    config: Config, tokens: dict[str, str]
) -> None:
    before = build(config)
    try:
        receipt = before.exchange.attach(tokens[LOCAL], PDF, "warrant.pdf")
    finally:
        before.close()
    assert isinstance(receipt, Receipt)
    after = build(config)
    try:
        query_naming(after, tokens[LOCAL], receipt.id)
    finally:
        after.close()


def test_a_hundred_uploads_by_one_agency_leave_another_agencys_document(
    system: System, tokens: dict[str, str]
) -> None:
    mine = system.exchange.attach(tokens[LOCAL], PDF, "warrant.pdf")
    assert isinstance(mine, Receipt)
    theirs = [system.exchange.attach(tokens[OTHER], LARGE, None) for _ in range(100)]
    kept = MAX_HELD_BYTES // len(LARGE)
    assert all(isinstance(receipt, Receipt) for receipt in theirs[:kept])
    assert theirs[kept:] == [DocumentRefusal.OVER_QUOTA] * (100 - kept)
    query_naming(system, tokens[LOCAL], mine.id)
    # The agency over its quota still has every document it was given a receipt for.
    first = theirs[0]
    assert isinstance(first, Receipt)
    held = system.exchange.switch.attachments.get(first.id, OTHER, system.exchange.switch.clock())
    assert held is not None and held.content == LARGE


def test_an_agency_over_its_quota_is_told_so_over_http(
    system: System, tokens: dict[str, str]
) -> None:
    headers = {"authorization": f"Bearer {tokens[OTHER]}", "content-type": "application/pdf"}
    with TestClient(create_app(system.exchange, system.log)) as client:
        answers = [
            client.post("/v1/documents", content=LARGE, headers=headers)
            for _ in range(MAX_HELD_BYTES // len(LARGE) + 1)
        ]
        mine = client.post(
            "/v1/documents",
            content=PDF,
            headers=headers | {"authorization": f"Bearer {tokens[LOCAL]}"},
        )
    assert [a.status_code for a in answers[:-1]] == [201] * (len(answers) - 1)
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.json() == {"detail": DocumentRefusal.OVER_QUOTA.value}
    assert refused.json()["detail"].startswith("this agency holds its quota of documents")
    assert mine.status_code == 201  # another agency's quota is its own
