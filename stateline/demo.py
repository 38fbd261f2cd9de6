"""The demo: build a national exchange on the embedded default and replay realistic traffic.

``prepare`` creates the data directory: the demo directory of agencies with a credential each,
and every jurisdiction's synthetic records. The traffic comes from ``synthetic.traffic``;
``replay`` attaches the documents, sends the messages through the exchange and tallies what
came back.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from stateline.bootstrap import fill_records, open_hub
from stateline.config import Config
from stateline.directory.file import dump_directory, load_directory
from stateline.hub.attachments import Receipt
from stateline.hub.exchange import Exchange
from stateline.hub.switch import Form
from stateline.synthetic.agencies import demo_agencies
from stateline.synthetic.people import generate_people
from stateline.synthetic.traffic import Sent
from stateline.wire.grammar import NOT_ON_FILE
from stateline.wire.messages import ErrorMessage, Response, StatusMessage

Progress = Callable[[str, int, int], None]
"""Called as ``progress(task, done, total)``."""


def prepare(config: Config, people: int, seed: int, progress: Progress | None = None) -> None:
    """Create the hub's directory and credentials and every node's records, unless already there."""
    hub_engine, directory, _log = open_hub(config)
    if not directory.snapshot():
        # The directory goes through its file, as an operator's would.
        directory_file = config.data_dir / "directory.json"
        dump_directory(demo_agencies(seed=seed), directory_file)
        directory.add_many(load_directory(directory_file))
        tokens = {agency.ori: directory.issue_credential(agency.ori) for agency in directory.list()}
        config.credentials_file.write_text(json.dumps(tokens, indent=1))
        os.chmod(config.credentials_file, 0o600)
    hub_engine.dispose()
    for index, state in enumerate(config.states):
        fill_records(config, state, people, partial(generate_people, state, people, seed))
        if progress is not None:
            progress("records", index + 1, len(config.states))


def load_tokens(config: Config) -> dict[str, str]:
    tokens: dict[str, str] = json.loads(config.credentials_file.read_text())
    return tokens


HELD = "REQUEST HELD FOR REVIEW"
"""How a state's answer says the request waits for a person in its review console."""


def outcome(reply: Response) -> str:
    """What a state's answer did: released, withheld (released in part), denied, held, not
    on file, or unanswered (the state could not answer at the time)."""
    if reply.records:
        withheld = any(line.startswith("WITHHELD BY") for line in reply.text)
        return "withheld" if withheld else "released"
    if any(line.startswith("REQUEST DENIED") for line in reply.text):
        return "denied"
    if any(line.startswith(HELD) for line in reply.text):
        return "held"
    return "not on file" if NOT_ON_FILE in reply.text else "unanswered"


@dataclass
class Tally:
    """What the replay saw: each count is of replies (a multi-state query gets several), by
    kind of message, and ``by_state`` by answering state, requester and outcome."""

    sent: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)  # records released, all or in part
    withheld: Counter[str] = field(default_factory=Counter)  # of the hits, those in part
    not_on_file: Counter[str] = field(default_factory=Counter)
    denied: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    status: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    senders: Counter[str] = field(default_factory=Counter)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    # (state, "home" | "elsewhere" | "federal", outcome): who the state answered, and how
    by_state: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, sent: Sent, reply: Response) -> None:
        """Count a state's answer to ``sent``."""
        done = outcome(reply)
        if done in ("released", "withheld"):
            self.hits[sent.kind] += 1
        if done == "withheld":
            self.withheld[sent.kind] += 1
        elif done == "denied":
            self.denied[sent.kind] += 1
        elif done == "held":
            self.held[sent.kind] += 1
        elif done in ("not on file", "unanswered"):
            self.not_on_file[sent.kind] += 1
        state = reply.header.ori[:2]  # the state's bureau ORI that answered: xxOLN0000 ...
        who = sent.sender if sent.sender == "federal" else "elsewhere"
        self.by_state[state, "home" if sent.home_state == state else who, done] += 1


def with_document(raw: str, document_id: str, form: Form) -> str:
    """The message naming an attached document in ``DOC/``, in either encoding."""
    if form is Form.JSON:
        body = json.loads(raw)
        body["fields"]["DOC"] = document_id
        return json.dumps(body)
    return f"{raw}.DOC/{document_id}"


async def replay(
    exchange: Exchange,
    messages: list[Sent],
    tokens: dict[str, str],
    progress: Progress | None = None,
) -> Tally:
    """Send every message as its agency would (attaching its document first) and count the
    replies."""
    tally = Tally()
    for index, sent in enumerate(messages):
        token = tokens.get(sent.token_of) if sent.token_of else None
        raw = sent.raw
        if sent.document is not None:
            receipt = exchange.attach(token, sent.document, "legal-process.pdf")
            if isinstance(receipt, Receipt):
                raw = with_document(raw, receipt.id, sent.form)
        start = time.perf_counter()
        submission = await exchange.submit(raw, token, sent.form)
        tally.latency_ms.setdefault(sent.kind, []).append((time.perf_counter() - start) * 1000)
        tally.sent[sent.kind] += 1
        tally.senders[sent.sender] += 1
        for reply in submission.replies:
            if isinstance(reply, ErrorMessage):
                tally.errors[sent.kind] += 1
                tally.reasons[f"{reply.reason.code} {reply.reason.text}"] += 1
            elif isinstance(reply, StatusMessage):
                tally.status[sent.kind] += 1
            elif isinstance(reply, Response):
                tally.add(sent, reply)
        if progress is not None:
            progress("traffic", index + 1, len(messages))
    return tally
