"""``stateline query`` and ``replies``: asking the exchange, in this process or through the
server that writes the data directory's ledgers."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stateline.cli.common import DataDir, busy_exit, errors
from stateline.config import Config

if TYPE_CHECKING:
    from stateline.bootstrap import System


def register(app: typer.Typer) -> None:
    """Add the exchange's commands to the top-level ``app``."""
    app.command()(query)
    app.command()(replies)


def query(
    message: Annotated[str | None, typer.Argument(help="The message; '-' or none: stdin.")] = None,
    as_ori: Annotated[
        str | None, typer.Option("--as", help="Send as this agency (demo credentials).")
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="STATELINE_TOKEN", help="Credential.")] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="A running server; default: in-process, or through the server that serves "
            "the data directory, if one does."
        ),
    ] = None,
    json_form: Annotated[bool, typer.Option("--json", help="Send the JSON form.")] = False,
    document: Annotated[
        Path | None,
        typer.Option(help="Attach this legal-process document (PDF, PNG, JPEG): adds DOC/."),
    ] = None,
    data: DataDir = None,
) -> None:
    """Send a query as an agency and print the replies (wire text as it is, or JSON)."""
    from stateline.demo import load_tokens

    raw = message if message not in (None, "-") else sys.stdin.read()
    assert raw is not None
    raw = raw.replace("\\n", "\n")
    config = Config.from_env(data)
    if token is None and as_ori is not None:
        token = load_tokens(config).get(as_ori)
    sent = (
        _query_over_http(url, raw, token, json_form, document)
        if url is not None
        else _query_in_process(config, raw, token, json_form, document)
    )
    for reply in sent.replies:
        # Raw: wire text must reach a pipe exactly as sent, never wrapped to a terminal's width.
        typer.echo(reply if isinstance(reply, str) else json.dumps(reply, indent=2))
        typer.echo()
    if sent.id is not None:
        errors.print(f"message {sent.id}", highlight=False)
        if any(HELD in str(reply) for reply in sent.replies):
            errors.print(
                f"held for review: `stateline replies {sent.id} --wait` fetches the answer",
                highlight=False,
                markup=False,
            )
    raise typer.Exit(0 if sent.accepted else 1)


HELD = "REQUEST HELD FOR REVIEW"
"""The note of a node's answer that says the request waits for a person."""


@dataclass(frozen=True, slots=True)
class _Sent:
    id: str | None
    accepted: bool
    replies: list[Any]  # wire text, or the JSON form as a dict


def _query_over_http(
    url: str, raw: str, token: str | None, json_form: bool, document: Path | None
) -> _Sent:
    import httpx

    base = url.rstrip("/")
    headers = {"content-type": "application/json" if json_form else "text/plain"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        if document is not None:
            attached = httpx.post(
                f"{base}/v1/documents",
                content=document.read_bytes(),
                headers={
                    **headers,
                    "content-type": "application/octet-stream",
                    "content-disposition": f'attachment; filename="{document.name}"',
                },
            )
            if attached.status_code != 201:
                errors.print(f"[red]document refused:[/red] {attached.json().get('detail')}")
                raise typer.Exit(1)
            raw = with_document(raw, str(attached.json()["id"]), json_form)
        response = httpx.post(f"{base}/v1/messages", content=raw, headers=headers, timeout=120)
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        errors.print(f"[red]cannot reach {base}:[/red] {error}")
        raise typer.Exit(1) from error
    return _Sent(body.get("id"), bool(body.get("accepted")), list(body.get("replies", [])))


def _query_in_process(
    config: Config, raw: str, token: str | None, json_form: bool, document: Path | None
) -> _Sent:
    """Build the exchange here and send the message through it; if a server already writes
    this data directory's ledgers, send it through that server instead (one writer each)."""
    from stateline.hub.attachments import Receipt
    from stateline.hub.switch import Form
    from stateline.web.api import encode

    system = _open_system(config, "stateline query")
    if isinstance(system, str):
        return _query_over_http(system, raw, token, json_form, document)
    form = Form.JSON if json_form else Form.TEXT
    try:
        if document is not None:
            receipt = system.exchange.attach(token, document.read_bytes(), document.name)
            if not isinstance(receipt, Receipt):
                errors.print(f"[red]document refused:[/red] {receipt.value}")
                raise typer.Exit(1)
            raw = with_document(raw, receipt.id, json_form)
        submission = asyncio.run(system.exchange.submit(raw, token, form))
    finally:
        system.close()
    replies = [encode(reply, form) for reply in submission.replies]
    return _Sent(submission.id, submission.accepted, replies)


WAIT_FOR_WRITER = 30.0
"""Seconds an in-process command waits for another command (not a server) to let go of the
ledgers."""


def _open_system(config: Config, command: str) -> System | str:
    """The exchange built in this process, or the URL of the server that writes the data
    directory's ledgers already (the caller sends its work there). Another writer that serves
    nothing (a command, or a server still starting) is waited for a while, then named in the
    error."""
    import time

    from stateline.bootstrap import build
    from stateline.ledger.lock import Holder, LedgerBusy

    holder = Holder.this_process(command)
    deadline = time.monotonic() + WAIT_FOR_WRITER
    while True:
        try:
            return build(config, holder, wait=0.2)
        except LedgerBusy as busy:
            if busy.holder is not None and busy.holder.url:
                errors.print(
                    f"{busy.holder.describe()} writes this data directory's ledgers: "
                    "sending through it",
                    highlight=False,
                    markup=False,
                )
                return busy.holder.url
            if time.monotonic() >= deadline:
                raise busy_exit(busy) from busy


def replies(
    message_id: Annotated[str, typer.Argument(help="The message's id, as `query` printed it.")],
    as_ori: Annotated[
        str | None, typer.Option("--as", help="As this agency (demo credentials).")
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="STATELINE_TOKEN", help="Credential.")] = None,
    url: Annotated[
        str | None,
        typer.Option(help="A running server; default: the one serving the data directory, if any."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until a held request's answer has come.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="With --wait: give up after this many s.")] = 600,
    json_form: Annotated[bool, typer.Option("--json", help="Print the JSON form.")] = False,
    data: DataDir = None,
) -> None:
    """Print the replies to one of the agency's messages while the hub keeps them: those sent
    at once, and a held request's answer once its state has decided."""
    import time

    from stateline.demo import load_tokens

    config = Config.from_env(data)
    if token is None and as_ori is not None:
        token = load_tokens(config).get(as_ori)
    url = url or _serving_url(config)
    deadline = time.monotonic() + timeout
    while True:
        found = (
            _replies_over_http(url, message_id, token, json_form)
            if url is not None
            else _replies_in_process(config, message_id, token, json_form)
        )
        if found is None:
            errors.print(f"no message {message_id} of this agency, or its replies expired")
            raise typer.Exit(1)
        if not wait or (found and not all(HELD in str(reply) for reply in found)):
            break
        if time.monotonic() >= deadline:
            errors.print(f"message {message_id} has no answer yet: it is still held for review")
            raise typer.Exit(3)
        time.sleep(1.0)
    for reply in found:
        typer.echo(reply if isinstance(reply, str) else json.dumps(reply, indent=2))
        typer.echo()


def _serving_url(config: Config) -> str | None:
    """The URL of the server that writes the data directory's ledgers, if one does."""
    from stateline.bootstrap import ledger_lock_path
    from stateline.ledger.lock import holder_of

    holder = holder_of(ledger_lock_path(config, config.states[0]))
    return holder.url if holder is not None else None


def _replies_over_http(
    url: str, message_id: str, token: str | None, json_form: bool
) -> list[Any] | None:
    import httpx

    headers = {"authorization": f"Bearer {token}"} if token else {}
    form = "json" if json_form else "text"
    try:
        answer = httpx.get(
            f"{url.rstrip('/')}/v1/messages/{message_id}/replies",
            params={"form": form},
            headers=headers,
        )
    except httpx.HTTPError as error:
        errors.print(f"[red]cannot reach {url}:[/red] {error}")
        raise typer.Exit(1) from error
    if answer.status_code == 404:
        return None
    if answer.status_code != 200:
        errors.print(f"[red]refused ({answer.status_code}):[/red] {answer.json().get('detail')}")
        raise typer.Exit(1)
    return list(answer.json()["replies"])


def _replies_in_process(
    config: Config, message_id: str, token: str | None, json_form: bool
) -> list[Any] | None:
    """The replies read from the hub's database itself: no exchange needs to run for it."""
    from datetime import UTC, datetime

    from stateline.bootstrap import open_hub
    from stateline.hub.mailbox import parsed_reply
    from stateline.hub.switch import Form
    from stateline.web.api import encode

    engine, directory, log = open_hub(config)
    try:
        ori = directory.authenticate(token) if token else None
        if ori is None:
            errors.print("[red]a valid credential is needed[/red] (--as ORI, --token)")
            raise typer.Exit(1)
        # Late replies only: those sent at once went out in the answer to the query.
        kept = log.held_for(message_id, ori, datetime.now(UTC))
        if kept is None:
            record = log.get(message_id)
            kept = [] if record is not None and record.sender == ori else None
    finally:
        log.close()
        engine.dispose()
    if kept is None:
        return None
    form = Form.JSON if json_form else Form.TEXT
    return [encode(parsed_reply(k.body), form) for k in kept]


def with_document(raw: str, document_id: str, json_form: bool) -> str:
    """The message with ``DOC/`` naming an attached document, in either encoding."""
    if json_form:
        body = json.loads(raw)
        body.setdefault("fields", {})["DOC"] = document_id
        return json.dumps(body)
    return f"{raw.rstrip()}.DOC/{document_id}"
