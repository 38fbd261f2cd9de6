"""The statute demo, small: New York, Colorado, Illinois and Maryland decide a replay of the
demo's traffic by their own law, over the demo directory and its certifications.

Each state answers its own police, holds what its law leaves to a person, refuses what it
forbids, and the replay's counts agree with each other.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from stateline import demo
from stateline.bootstrap import build
from stateline.config import Config
from stateline.node.review.model import HeldItem
from stateline.synthetic import traffic
from stateline.wire.errors import ErReason

STATES = ("CO", "IL", "MD", "NY")
PEOPLE = 10
MESSAGES = 800
SEED = 1

# The ER each bad message of the demo is made to draw.
BAD = {
    "bad: RQ without LIY": ErReason.INVALID_FORMAT,
    "bad: DOB invalid": ErReason.DOB_INVALID,
    "bad: no TXT": ErReason.TXT_NOT_FOUND,
    "bad: destination": ErReason.INVALID_DESTINATION,
    "bad: KQ to two states": ErReason.NOT_ALLOWED_TO_DESTINATION,
    "bad: no credential": ErReason.NO_CREDENTIAL,
    "bad: another's credential": ErReason.CREDENTIAL_MISMATCH,
    "bad: suspended agency": ErReason.AGENCY_SUSPENDED,
}


@dataclass(frozen=True)
class Replayed:
    tally: demo.Tally
    queues: dict[str, list[HeldItem]]
    notices: dict[str, int]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    config = Config(data_dir=Path(tmp_path_factory.mktemp("demo")), policy="statute", states=STATES)
    demo.prepare(config, PEOPLE, SEED)
    system = build(config)
    try:
        agencies = system.directory.list()
        sent = list(traffic.traffic(config, PEOPLE, SEED, MESSAGES, agencies))
        tally = asyncio.run(demo.replay(system.exchange, sent, demo.load_tokens(config)))
        queues = {s: node.review.queue() for s, node in system.nodes.items() if node.review}
        notices = {s: len(n.notices.outbox.list()) for s, n in system.nodes.items() if n.notices}
    finally:
        system.close()
    return Replayed(tally, queues, notices)


def outcomes(tally: demo.Tally, state: str, who: str | None = None) -> Counter[str]:
    """How ``state`` answered (only requesters ``who``: home, elsewhere, federal)."""
    found: Counter[str] = Counter()
    for (answering, asking, outcome), count in tally.by_state.items():
        if answering == state and who in (None, asking):
            found[outcome] += count
    return found


@pytest.mark.parametrize("state", STATES)
def test_each_state_answers_its_own_police_and_refuses_what_its_law_forbids(
    replayed: Replayed, state: str
) -> None:
    home = outcomes(replayed.tally, state, "home")
    answered = home["released"] + home["withheld"] + home["not on file"]
    assert answered > 0.75 * sum(home.values()), home  # a few lack a certification, or act for ICE
    assert outcomes(replayed.tally, state)["denied"] > 0


@pytest.mark.parametrize("state", ["CO", "IL", "NY"])
def test_states_hold_what_their_law_leaves_to_a_person(replayed: Replayed, state: str) -> None:
    # Maryland's law opens records to a warrant and nothing else, and leaves nothing unsettled
    # for a person to decide, so its bundle never holds a request.
    held = outcomes(replayed.tally, state)["held"]
    queue = replayed.queues[state]
    assert held > 0 and len(queue) == held
    served = [item for item in queue if item.legal_process is not None]
    # The rest are Illinois's officers acting for ICE: whether they are immigration agents is
    # for a person to say.
    assert served or state == "IL"
    assert all(
        item.query.get("AFM") == "IMMIGRATION-ENFORCEMENT" for item in queue if item not in served
    )
    # Each warrant or subpoena came with its document, kept for the reviewer.
    assert [item.document.content_type for item in served if item.document] == [
        "application/pdf"
    ] * len(served)


def test_every_outcome_shows_and_the_notices_law_owes_wait_in_the_outbox(
    replayed: Replayed,
) -> None:
    every = Counter[str]()
    for state in STATES:
        every += outcomes(replayed.tally, state)
    assert {"released", "withheld", "denied", "held", "not on file"} <= set(every)
    assert sum(replayed.tally.held.values()) == every["held"]
    assert sum(replayed.tally.withheld.values()) == every["withheld"]
    # New York owes a letter for every request from an immigration agency; Illinois for the
    # process one serves.
    assert replayed.notices["NY"] > 0 and replayed.notices["IL"] > 0


def test_the_error_column_agrees_with_the_errors_table(replayed: Replayed) -> None:
    tally = replayed.tally
    assert set(tally.errors) == set(BAD)  # nothing but the bad messages draws an ER
    for kind, reason in BAD.items():
        assert tally.errors[kind] == tally.reasons[f"{reason.code} {reason.text}"], kind
    assert sum(tally.errors.values()) == sum(tally.reasons.values())
