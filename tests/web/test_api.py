"""The agency API in-process: submit in both forms, refusals by status, replies, message list."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from stateline.bootstrap import System
from stateline.documents import MAX_DOCUMENT
from stateline.node.records.model import Person
from stateline.synthetic.agencies import SUSPENDED_ORI
from stateline.web.app import create_app, server_app

LOCAL = "NYSTP0000"


@pytest.fixture(params=["routes", "served"])
def client(system: System, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """Every test runs on the FastAPI routes and on what the server runs (the submission
    fast path in front of them): both must answer alike."""
    make = create_app if request.param == "routes" else server_app
    with TestClient(make(system.exchange, system.log)) as test_client:
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


PDF = b"%PDF-1.7\n% a synthetic warrant for the tests\n"


def test_attach_a_document_and_name_it_in_a_query(
    client: TestClient,
    tokens: dict[str, str],
    people: dict[str, list[Person]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    named = {"content-disposition": 'attachment; filename="warrant-for-the-tests.pdf"'}
    attached = client.post(
        "/v1/documents",
        content=PDF,
        headers=auth(tokens[LOCAL]) | {"content-type": "application/pdf"} | named,
    )
    assert attached.status_code == 201, attached.text
    receipt = attached.json()
    assert receipt["content_type"] == "application/pdf"
    assert receipt["size"] == len(PDF)
    assert receipt["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert receipt["filename"] == "warrant-for-the-tests.pdf"
    oln = people["NY"][2].oln
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{oln}.LPK/JUDICIAL-WARRANT.DOC/{receipt['id']}"
    sent = client.post("/v1/messages", content=raw, headers=auth(tokens[LOCAL]))
    assert sent.status_code == 200
    assert sent.json()["replies"][0].startswith("DR.NYOLN0000\n")
    # Another agency cannot name it, nor can anyone name an id never given: ER 45.
    other = raw.replace(LOCAL, "NJSTP0000")
    refused = client.post("/v1/messages", content=other, headers=auth(tokens["NJSTP0000"]))
    assert refused.status_code == 400
    assert ".45. DOCUMENT NOT FOUND" in refused.json()["replies"][0]
    unknown = raw.replace(receipt["id"], "NOSUCHDOCUMENT")
    missing = client.post("/v1/messages", content=unknown, headers=auth(tokens[LOCAL]))
    assert ".45. DOCUMENT NOT FOUND" in missing.json()["replies"][0]
    # The document is personal data: never in the application log.
    assert "warrant-for-the-tests" not in caplog.text and "synthetic warrant" not in caplog.text


def test_documents_refused(client: TestClient, tokens: dict[str, str]) -> None:
    def attach(content: bytes, token: str | None) -> int:
        headers = auth(token) if token else {}
        return client.post("/v1/documents", content=content, headers=headers).status_code

    assert attach(PDF, None) == 401
    assert attach(PDF, "stl_not-a-credential") == 403
    assert attach(PDF, tokens[SUSPENDED_ORI]) == 403
    assert attach(b"", tokens[LOCAL]) == 400
    assert attach(b"<html>not a document</html>", tokens[LOCAL]) == 415
    assert attach(b"GIF89a" + b"\x00" * 10, tokens[LOCAL]) == 415
    assert attach(b"%PDF-" + b"\x00" * MAX_DOCUMENT, tokens[LOCAL]) == 413


def test_the_document_route_is_in_the_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/pdf", "image/png", "image/jpeg"}


def test_the_fast_path_bounds_the_body_and_hides_faults(
    system: System,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from stateline.web.app import MAX_SUBMISSION

    with TestClient(server_app(system.exchange, system.log)) as served:
        huge = served.post(
            "/v1/messages", content=b"D" * (MAX_SUBMISSION + 1), headers=auth(tokens[LOCAL])
        )
        assert huge.status_code == 413

        async def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("a fault with OLN/D12345678 in it")

        monkeypatch.setattr(system.exchange, "submit", broken)
        fault = served.post(
            "/v1/messages", content=f"DQ.{LOCAL}.NY.TXT\nOLN/D12345678", headers=auth(tokens[LOCAL])
        )
        assert fault.status_code == 500
        assert fault.json() == {"detail": "internal error"}
        assert "D12345678" not in fault.text
        assert "D12345678" not in caplog.text  # nor in the application log


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/messages", "limit=-1"),
        ("/v1/messages", "limit=0"),
        ("/v1/messages", "limit=1001"),
        ("/v1/messages", "limit=-99999999999999999999999999"),
        ("/v1/messages", "limit=99999999999999999999999999"),
        ("/v1/messages", "limit=ten"),
        ("/v1/messages", "limit="),
        ("/v1/mailbox", "form=xml"),
        ("/v1/mailbox", "form="),
        ("/v1/messages/NOSUCHMESSAGE/replies", "form=TEXT%00"),
    ],
)
def test_a_bad_query_value_is_a_422_naming_it(
    client: TestClient, tokens: dict[str, str], path: str, query: str
) -> None:
    response = client.get(f"{path}?{query}", headers=auth(tokens[LOCAL]))
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["query", query.split("=")[0]]
    assert problem["msg"].startswith("Input should be")


def test_the_listing_takes_limits_from_1_to_1000(
    client: TestClient, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    for n in range(3):
        raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][n].oln}"
        assert client.post("/v1/messages", content=raw, headers=auth(tokens[LOCAL])).is_success
    one = client.get("/v1/messages?limit=1", headers=auth(tokens[LOCAL]))
    assert one.status_code == 200 and len(one.json()) == 1
    most = client.get("/v1/messages?limit=1000", headers=auth(tokens[LOCAL]))
    assert most.status_code == 200 and len(most.json()) >= 3


def resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def test_every_answer_of_every_route_has_a_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                where = f"{method.upper()} {path} {status}"
                (content,) = answer.get("content", {None: None}).values()
                assert content is not None, f"{where}: no body documented"
                schema = resolved(spec, content["schema"])
                assert schema.get("properties") or schema.get("items"), f"{where}: {schema}"


def conforms(spec: dict[str, Any], answer: httpx.Response, method: str, path: str) -> None:
    """``answer``'s body is what the OpenAPI document says the route answers with its status."""
    pointer = "/".join(
        step.replace("~", "~0").replace("/", "~1")
        for step in (
            "paths",
            path,
            method,
            "responses",
            str(answer.status_code),
            "content",
            "application/json",
            "schema",
        )
    )
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    Draft202012Validator({"$ref": f"urn:openapi#/{pointer}"}, registry=registry).validate(
        answer.json()
    )


def test_answers_are_what_the_openapi_document_says(
    client: TestClient, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    spec = client.get("/openapi.json").json()
    headers = auth(tokens[LOCAL])
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][3].oln}"
    sent = client.post("/v1/messages", content=raw, headers=headers)
    conforms(spec, sent, "post", "/v1/messages")
    message = {"mke": "DQ", "ori": LOCAL, "destinations": ["NY"], "fields": {"OLN": "1"}}
    conforms(
        spec, client.post("/v1/messages", json=message, headers=headers), "post", "/v1/messages"
    )
    conforms(spec, client.post("/v1/messages", content=raw), "post", "/v1/messages")
    replies = f"/v1/messages/{sent.json()['id']}/replies"
    conforms(spec, client.get(replies, headers=headers), "get", "/v1/messages/{message_id}/replies")
    conforms(
        spec,
        client.get(f"{replies}?form=json", headers=headers),
        "get",
        "/v1/messages/{message_id}/replies",
    )
    conforms(spec, client.get(replies), "get", "/v1/messages/{message_id}/replies")
    conforms(spec, client.get("/v1/messages", headers=headers), "get", "/v1/messages")
    pdf = {"content-type": "application/pdf"}
    conforms(
        spec,
        client.post("/v1/documents", content=PDF, headers=headers | pdf),
        "post",
        "/v1/documents",
    )
    conforms(
        spec, client.post("/v1/documents", content=b"", headers=headers), "post", "/v1/documents"
    )
    am = f"AM.{LOCAL}.NJSTP0000.TXT\nPLEASE CALL DESK SERGEANT"
    assert client.post("/v1/messages", content=am, headers=headers).is_success
    inbox = client.get("/v1/mailbox", headers=auth(tokens["NJSTP0000"]))
    assert inbox.json()
    conforms(spec, inbox, "get", "/v1/mailbox")
    conforms(spec, client.get("/v1/schema/message"), "get", "/v1/schema/message")


def test_a_retry_with_its_idempotency_key_gets_the_first_answer(
    client: TestClient, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    raw = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][11].oln}"
    headers = {**auth(tokens[LOCAL]), "content-type": "text/plain"}
    key = f"retry-{client.app.__class__.__name__}"  # one per fixture: both share the hub
    first = client.post("/v1/messages", content=raw, headers={**headers, "idempotency-key": key})
    again = client.post("/v1/messages", content=raw, headers={**headers, "idempotency-key": key})
    assert first.status_code == again.status_code == 200
    assert "replayed" not in first.json()
    assert again.json() == {**first.json(), "replayed": True}
    other = f"DQ.{LOCAL}.NY.TXT\nOLN/{people['NY'][12].oln}"
    reused = client.post("/v1/messages", content=other, headers={**headers, "idempotency-key": key})
    assert reused.status_code == 422 and "names another message" in reused.json()["detail"]
    bad = client.post(
        "/v1/messages", content=raw, headers={**headers, "idempotency-key": "x" * 101}
    )
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json()["detail"]
