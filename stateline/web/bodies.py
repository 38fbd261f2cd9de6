"""The JSON bodies the agency API answers with, as models for its OpenAPI document.

The routes build their answers themselves (the hot ones with orjson), so these models only
document them: each route names its answers in ``responses`` and never runs them through
pydantic. ``tests/web/test_api.py`` checks real answers against what is documented here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from stateline.hub.switch import Form

MessageJson = Annotated[dict[str, Any], WithJsonSchema({"$ref": "#/components/schemas/Message"})]
"""A message in the JSON form (the ``Message`` schema, which the app adds to the document)."""

Reply = Annotated[
    str | MessageJson,
    Field(description="A reply in the form the message came in: its text, or its JSON form."),
]


class Detail(BaseModel):
    """Why a request was refused, in plain English."""

    detail: str


class Submitted(BaseModel):
    """A submission's outcome: its id, and every reply (an ER when it was refused)."""

    id: str = Field(description="The message's id, to fetch its replies again.")
    accepted: bool
    form: Form
    replies: list[Reply]
    replayed: bool = Field(
        default=False,
        description="Present and true when this is a retry's answer: the first one again.",
    )


class Receipt(BaseModel):
    """A document kept for the caller's queries, named in their ``DOC/`` tag by its id."""

    id: str
    sha256: str
    content_type: str
    size: int
    filename: str
    expires: datetime


class Replies(BaseModel):
    """The replies to one of the caller's messages, while the hub keeps them."""

    id: str
    replies: list[Reply]


class MessageRecord(BaseModel):
    """One of the caller's messages as the message log keeps it: metadata, no field values."""

    id: str
    sender: str | None
    mke: str | None
    destinations: str = Field(description="The destinations, separated by spaces.")
    form: Form
    received: datetime
    accepted: bool
    reason: int | None = Field(description="The ER reason number of a refused message.")
    replies: int = Field(description="How many replies it had, late ones included.")
    idempotency_key: str | None = Field(
        default=None, description="The key a retry names it by (its own, or its control field's)."
    )
    input_sha256: str | None = Field(
        default=None, description="The SHA-256 of the message's text, where it has a key."
    )


class Waiting(BaseModel):
    """Something left in the caller's mailbox."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="The id of the message it answers, or of the AM.")
    kind: str = Field(description="`late`: a late reply to the caller's message; `am`: an AM.")
    at: datetime
    fetched: bool = Field(description="Whether its message's replies were fetched since.")
    message: Reply


class JsonSchema(BaseModel):
    """A JSON Schema document (draft 2020-12)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_: str = Field(alias="$schema")
    title: str


Answers = dict[int | str, dict[str, Any]]
"""A route's documented answers by status, as FastAPI's ``responses`` takes them."""


def _answer(model: Any, description: str) -> dict[str, Any]:
    return {"model": model, "description": description}


_NO_CREDENTIAL = _answer(Detail, "No valid bearer credential.")

SUBMIT: Answers = {
    200: _answer(Submitted, "Accepted: every reply, in the form the message came in."),
    400: _answer(Submitted, "Malformed or refused: the ER says why."),
    401: _answer(Submitted, "No credential: the ER says so."),
    403: _answer(Submitted, "The credential, the sender or its suspension: the ER says which."),
    409: _answer(Detail, "A retry whose first answer the hub no longer holds."),
    413: _answer(Detail, "Larger than a message may be."),
    422: _answer(Detail, "An Idempotency-Key that is not valid, or names another message."),
    503: _answer(Detail, "The hub could not log the message, so it was not answered."),
}
ATTACH: Answers = {
    201: _answer(Receipt, "Kept: the id to name in `DOC/`."),
    400: _answer(Detail, "The document is empty."),
    401: _answer(Detail, "No credential."),
    403: _answer(Detail, "The credential, the sender or its suspension."),
    413: _answer(Detail, "Larger than a document may be."),
    415: _answer(Detail, "Not a PDF, PNG or JPEG file."),
    429: _answer(Detail, "The agency holds its quota of documents until some expire."),
}
REPLIES: Answers = {
    200: _answer(Replies, "The replies, in the form asked for."),
    401: _NO_CREDENTIAL,
    404: _answer(Detail, "No such message of the caller's, or its replies expired."),
}
MESSAGES: Answers = {
    200: _answer(list[MessageRecord], "The caller's latest messages, newest first."),
    401: _NO_CREDENTIAL,
}
MAILBOX: Answers = {
    200: _answer(list[Waiting], "What waits for the caller."),
    401: _NO_CREDENTIAL,
}
SCHEMA: Answers = {200: _answer(JsonSchema, "The JSON Schema of the message JSON form.")}
