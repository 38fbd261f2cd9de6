"""The agency API: submit messages, attach legal-process documents, fetch replies, list an
agency's messages and mailbox."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Protocol

import orjson
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import Response

from stateline.directory.checks import SenderRefusal
from stateline.documents import MAGIC, MAX_DOCUMENT
from stateline.errors import StorageError
from stateline.hub.attachments import DocumentRefusal, Receipt
from stateline.hub.exchange import Exchange
from stateline.hub.records import MessageRecord
from stateline.hub.retries import MAX_KEY, RetryRefused, valid_key
from stateline.hub.switch import Form, Submission
from stateline.web import bodies
from stateline.wire import jsonform, text
from stateline.wire.errors import ErReason
from stateline.wire.messages import ErrorMessage, Message

STATUS_FOR_REASON = {
    ErReason.NO_CREDENTIAL: 401,
    ErReason.CREDENTIAL_MISMATCH: 403,
    ErReason.AGENCY_SUSPENDED: 403,
    ErReason.UNKNOWN_SENDER: 403,
}
"""HTTP status of a refused submission; any other refusal is a 400 with its ER."""

SUBMIT_BODY: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Names this message for a retry: the same key from the same agency "
            "gets the first answer again, never a second one (1 to 100 printable ASCII).",
            "schema": {"type": "string", "minLength": 1, "maxLength": 100},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": "DQ.NYSTP0000.NY.TXT\nOLN/123456789",
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/Message"}},
        },
    },
}


DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"The document's bytes: a PDF, PNG or JPEG file of at most {MAX_DOCUMENT} "
        "bytes (its type is read from the bytes).",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in MAGIC.values()
        },
    }
}

STATUS_FOR_DOCUMENT = {
    DocumentRefusal.EMPTY: 400,
    DocumentRefusal.TOO_LARGE: 413,
    DocumentRefusal.NOT_ACCEPTED: 415,
    DocumentRefusal.OVER_QUOTA: 429,
}
"""HTTP status of a refused document."""


def bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def encode(message: Message, form: Form) -> Any:
    return text.encode(message) if form is Form.TEXT else jsonform.to_dict(message)


def submission_body(submission: Submission, form: Form) -> dict[str, Any]:
    return {
        "id": submission.id,
        "accepted": submission.accepted,
        "form": form.value,
        "replies": [encode(reply, form) for reply in submission.replies],
    }


_FILENAME = re.compile(r'filename="?([^";]*)"?')


def disposition_filename(request: Request) -> str | None:
    """The file name a ``Content-Disposition`` header gives, if any."""
    found = _FILENAME.search(request.headers.get("content-disposition", ""))
    return found.group(1) if found else None


def receipt_body(receipt: Receipt) -> dict[str, Any]:
    return {
        "id": receipt.id,
        "sha256": receipt.sha256,
        "content_type": receipt.content_type,
        "size": receipt.size,
        "filename": receipt.filename,
        "expires": receipt.expires.isoformat(),
    }


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _refused(refusal: SenderRefusal) -> Response:
    return _json({"detail": refusal.reason.text.lower()}, STATUS_FOR_REASON[refusal.reason])


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it is longer than a document may be."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_DOCUMENT:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_DOCUMENT:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def submit_message(
    exchange: Exchange,
    content_type: str,
    authorization: str | None,
    body: bytes,
    key: str | None = None,
) -> tuple[int, bytes]:
    """One submission, as ``POST /v1/messages`` answers it: the status and the JSON body.

    The FastAPI route and the server's fast path (:class:`stateline.web.app.SubmitFastPath`)
    both answer through this, so they cannot drift apart. ``key`` is the request's
    ``Idempotency-Key``: a retry under it gets the first answer again (``"replayed": true``).
    """
    if key is not None and not valid_key(key):
        return 422, _IDEMPOTENCY_KEY_INVALID
    form = Form.JSON if "json" in content_type else Form.TEXT
    raw = body.decode("utf-8", errors="replace")
    try:
        submission = await exchange.submit(raw, bearer(authorization), form, key)
    except RetryRefused as refused:
        return refused.status, orjson.dumps({"detail": refused.detail})
    except StorageError:
        # The hub could not log it: nothing is answered that the log does not hold.
        return 503, _NOT_LOGGED
    status = 200
    if not submission.accepted:
        first = submission.replies[0]
        reason = first.reason if isinstance(first, ErrorMessage) else None
        status = STATUS_FOR_REASON.get(reason, 400) if reason else 400
    answer = submission_body(submission, form)
    if submission.replayed:
        answer["replayed"] = True
    return status, orjson.dumps(answer)


_IDEMPOTENCY_KEY_INVALID = orjson.dumps(
    {"detail": f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters"}
)
_NOT_LOGGED = orjson.dumps(
    {"detail": "the hub could not record the message, so it is not answered: send it again"}
)


class Sent(Protocol):
    """The hub's message log as the API reads it: an agency's messages, and the mailbox's
    expired replies removed."""

    def for_sender(self, ori: str, limit: int = ...) -> list[MessageRecord]: ...

    def purge(self, now: datetime) -> int: ...


def router(exchange: Exchange, log: Sent | None) -> APIRouter:
    api = APIRouter(prefix="/v1")

    def caller(authorization: str | None) -> str:
        ori = exchange.switch.directory.ori_for(bearer(authorization))
        if ori is None:
            raise HTTPException(401, "a valid bearer credential is required")
        return ori

    @api.post(
        "/messages",
        openapi_extra=SUBMIT_BODY,
        summary="Submit a message",
        responses=bodies.SUBMIT,
    )
    async def submit(request: Request) -> Response:
        """Send one DQ, RQ, KQ or AM, as text (``text/plain``) or JSON (``application/json``).

        The answer holds every reply in the same form; a refused message gets its ER with
        status 400 (malformed), 401 (no credential) or 403 (credential, sender or suspension).
        """
        status, body = await submit_message(
            exchange,
            request.headers.get("content-type", ""),
            request.headers.get("authorization"),
            await request.body(),
            request.headers.get("idempotency-key"),
        )
        return Response(body, status_code=status, media_type="application/json")

    @api.post(
        "/documents",
        openapi_extra=DOCUMENT_BODY,
        status_code=201,
        summary="Attach a legal-process document",
        responses=bodies.ATTACH,
    )
    async def attach(request: Request) -> Response:
        """Attach a warrant, order or subpoena (PDF, PNG or JPEG) for the caller's queries.

        The body is the file; a ``Content-Disposition`` header may name it (a name in the URL
        would reach access logs). The answer's ``id`` goes in the query's ``DOC/`` tag, next
        to its ``LPK/``; the hub hands the document to each state the query goes to and keeps
        it for an hour. Refused:
        401 or 403 (credential, sender or suspension, as for messages), 413 (too large), 415
        (not a PDF, PNG or JPEG), 400 (empty).
        """
        token = bearer(request.headers.get("authorization"))
        # The credential is checked before the body is read, and again as the document is kept.
        sender = exchange.switch.sender(token)
        if isinstance(sender, SenderRefusal):
            return _refused(sender)
        content = await _bounded_body(request)
        result = (
            DocumentRefusal.TOO_LARGE
            if content is None
            else exchange.attach(token, content, disposition_filename(request))
        )
        if isinstance(result, SenderRefusal):
            return _refused(result)
        if isinstance(result, DocumentRefusal):
            return _json({"detail": result.value}, STATUS_FOR_DOCUMENT[result])
        return _json(receipt_body(result), 201)

    @api.get(
        "/messages/{message_id}/replies",
        summary="Fetch a message's replies",
        response_model=None,
        responses=bodies.REPLIES,
    )
    async def replies(
        message_id: str, form: Form = Form.TEXT, authorization: str | None = Header(None)
    ) -> dict[str, Any]:
        """The replies to one of the caller's own messages, while the hub still holds them."""
        ori = caller(authorization)
        found = exchange.replies(message_id, ori)
        if found is None:
            raise HTTPException(404, "no such message of this agency, or its replies expired")
        return {"id": message_id, "replies": [encode(reply, form) for reply in found]}

    @api.get(
        "/messages",
        summary="List the agency's own messages",
        response_model=None,
        responses=bodies.MESSAGES,
    )
    async def messages(
        limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
        authorization: str | None = Header(None),
    ) -> Any:
        """Metadata of the caller's latest messages (no field values: see the audit ledger)."""
        ori = caller(authorization)
        if log is None:
            return []
        # Each answer's digest is the ledgers' business (reconcile), not the listing's.
        return [
            {name: value for name, value in asdict(record).items() if name != "answers"}
            for record in log.for_sender(ori, limit)
        ]

    @api.get(
        "/mailbox",
        summary="Late replies and administrative messages for the agency",
        response_model=None,
        responses=bodies.MAILBOX,
    )
    async def mailbox(
        form: Form = Form.TEXT, authorization: str | None = Header(None)
    ) -> list[dict[str, Any]]:
        """What waits for the caller without being asked for by id, newest first: the late
        replies to its messages (a reviewed request's answer, a state that answered after the
        deadline; ``kind`` ``late``) and AMs left for it (``am``). Each stays until it
        expires; ``fetched`` says whether its message's replies were fetched since."""
        ori = caller(authorization)
        return [
            {
                "id": waiting.message_id,
                "kind": waiting.kind,
                "at": waiting.at.isoformat(),
                "fetched": waiting.fetched,
                "message": encode(waiting.message, form),
            }
            for waiting in exchange.waiting(ori)
        ]

    @api.get(
        "/schema/message",
        summary="The JSON Schema of the message JSON form",
        response_model=None,
        responses=bodies.SCHEMA,
    )
    async def schema() -> dict[str, Any]:
        return jsonform.json_schema()

    return api
