"""A delivery and its reply as bytes, for a transport that carries them between processes.

A delivery travels as one JSON object: the hub's message id, the query as wire text, the
requester's directory entry, the node's ORI, and the legal-process document (base64) if the
query names one. A reply travels as its wire text. Both are pure functions over plain data;
:func:`delivery_from` and :func:`reply_from` raise :class:`CodecError` with a plain reason for
bytes that are not what they claim, so a transport can dead-letter them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from stateline.directory.file import agency_entry, agency_from_entry
from stateline.documents import Document
from stateline.transport.base import Delivery
from stateline.wire import text
from stateline.wire.errors import Rejection
from stateline.wire.messages import Query, Reply

VERSION = 1
"""The form of a delivery; one that names another is refused."""


class CodecError(ValueError):
    """Bytes that are not a delivery or a reply; the message says why, in one line."""


def delivery_bytes(delivery: Delivery) -> bytes:
    document = delivery.document
    body: dict[str, Any] = {
        "v": VERSION,
        "message_id": delivery.message_id,
        "query": text.encode(delivery.query),
        "requester": agency_entry(delivery.requester),
        "destination": delivery.destination,
    }
    if document is not None:
        body["document"] = {
            "content": base64.b64encode(document.content).decode("ascii"),
            "content_type": document.content_type,
            "filename": document.filename,
        }
    return orjson.dumps(body)


def delivery_from(data: bytes) -> Delivery:
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise CodecError(f"a delivery is JSON: {error}") from error
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise CodecError(f"not a delivery of form {VERSION}")
    try:
        query = text.parse(str(body["query"]))
        requester = agency_from_entry(body["requester"], check=False)
        message_id, destination = str(body["message_id"]), str(body["destination"])
        document = None
        if body.get("document") is not None:
            attached = body["document"]
            document = Document(
                base64.b64decode(attached["content"], validate=True),
                str(attached["content_type"]),
                str(attached["filename"]),
            )
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise CodecError(f"a delivery's field is missing or wrong: {error}") from error
    if not isinstance(query, Query):
        raise CodecError("a delivery carries a query")
    return Delivery(message_id, query, requester, destination, document)


def reply_bytes(reply: Reply) -> bytes:
    return text.encode(reply).encode()


def reply_from(data: bytes) -> Reply:
    try:
        parsed = text.parse(data.decode())
    except UnicodeDecodeError as error:
        raise CodecError(f"a reply is UTF-8 text: {error}") from error
    if isinstance(parsed, (Rejection, Query)):
        raise CodecError("not a reply")
    return parsed
