"""The agency API in-process: submit in both forms, refusals by status, replies, message list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stateline.bootstrap import System
from stateline.node.records.model import Person
from stateline.web.app import create_app

LOCAL = "NYSTP0000"


@pytest.fixture
def client(system: System) -> Iterator[TestClient]:
    with TestClient(create_app(system.exchange, system.log)) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_submit_text_and_fetch_replies(
    client: TestClient, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    oln = people["NY"][0].oln
    response = client.post(
        "/v1/messages",
        content=f"DQ.{LOCAL}.NY.TXT\nOLN/{oln}",
        headers=auth(tokens[LOCAL]) | {"content-type": "text/plain"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] is True
    assert body["replies"][0].startswith("DR.NYOLN0000\n")
    assert f"OLN/{oln}" in body["replies"][0]

    fetched = client.get(f"/v1/messages/{body['id']}/replies", headers=auth(tokens[LOCAL]))
    assert fetched.status_code == 200
    assert fetched.json()["replies"] == body["replies"]
    other = client.get(f"/v1/messages/{body['id']}/replies", headers=auth(tokens["NJSTP0000"]))
    assert other.status_code == 404

    listed = client.get("/v1/messages", headers=auth(tokens[LOCAL])).json()
    assert listed[0]["id"] == body["id"]
    assert listed[0]["mke"] == "DQ"
    assert oln not in str(listed)  # the log holds no field values


def test_submit_json(
    client: TestClient, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    message = {
        "mke": "DQ",
        "ori": LOCAL,
        "destinations": ["NY"],
        "fields": {"OLN": people["NY"][1].oln},
    }
    response = client.post("/v1/messages", json=message, headers=auth(tokens[LOCAL]))
    assert response.status_code == 200
    reply = response.json()["replies"][0]
    assert reply["mke"] == "DR"
    assert reply["records"][0]["OLN"] == people["NY"][1].oln


def test_refusals_map_to_http_status(client: TestClient, tokens: dict[str, str]) -> None:
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/1"
    missing = client.post("/v1/messages", content=raw)
    assert missing.status_code == 401
    assert missing.json()["replies"][0].startswith("ER.NL0000000\n")
    assert ".40. " in missing.json()["replies"][0]
    wrong = client.post("/v1/messages", content=raw, headers=auth(tokens["NJSTP0000"]))
    assert wrong.status_code == 403
    bad = client.post(
        "/v1/messages", content=f"RQ.{LOCAL}.NY.TXT\nLIC/123456.LIT/PC", headers=auth(tokens[LOCAL])
    )
    assert bad.status_code == 400
    assert (
        ".22. INVALID MESSAGE FORMAT - REFER TO RQ MKE OPTIONS BELOW\n1. LIC, LIY, LIT"
        in (bad.json()["replies"][0])
    )


def test_garbage_never_gives_a_500(client: TestClient, tokens: dict[str, str]) -> None:
    for body in (b"\x00\xff\xfe", b"{", b"[1,2]", b"DQ." * 5000, b""):
        for content_type in ("text/plain", "application/json"):
            response = client.post(
                "/v1/messages",
                content=body,
                headers=auth(tokens[LOCAL]) | {"content-type": content_type},
            )
            assert response.status_code == 400, (body[:20], content_type)
            assert response.json()["accepted"] is False


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/messages" in spec["paths"]
    assert "Message" in spec["components"]["schemas"]
