"""Witnessing rounds over the whole exchange: every log checkpointed and cosigned by a neighbour."""

from __future__ import annotations

import asyncio

from stateline.bootstrap import System
from stateline.ledger.checkpoint import Checkpoint, parse_note
from stateline.ledger.witness.cosign import Refusal, Witness, WitnessRefused, WitnessState
from stateline.node.records.model import Person

LOCAL = "NYSTP0000"


def ask(system: System, tokens: dict[str, str], person: Person, state: str) -> None:
    raw = f"DQ.{LOCAL}.{state}.TXT\nOLN/{person.oln}"
    asyncio.run(system.exchange.submit(raw, tokens[LOCAL]))


def test_rounds_cosign_every_log_and_refuse_a_rollback(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    ask(system, tokens, people["NY"][0], "NY")
    assert system.witness_round(now=1_800_000_000) == []
    ask(system, tokens, people["NY"][1], "NY")
    assert system.witness_round(now=1_800_000_060) == []

    ny = system.nodes["NY"].ledger
    checkpoints = ny.store.checkpoints()
    cosignatures = ny.store.cosignatures()
    assert len(cosignatures) >= 2
    assert {c[0] for c in cosignatures} <= {c[0] for c in checkpoints}
    # New York's log is witnessed by the next state in the ring, which remembers the size.
    states = list(system.nodes)
    neighbour = system.nodes[states[(states.index("NY") + 1) % len(states)]]
    size, note = neighbour.ledger.store.witnessed(ny.origin) or (0, "")
    assert size == ny.size
    # An older checkpoint, shown again, is a rollback the witness refuses.
    oldest = checkpoints[0][3]
    witness = Witness(
        system.keys[neighbour.state].witness, {ny.origin: system.keys["NY"].verifiers}
    )
    remembered = WitnessState({ny.origin: note})
    try:
        witness.cosign(remembered, oldest, [], 1_800_000_120)
    except WitnessRefused as refusal:
        assert refusal.reason is Refusal.ROLLBACK
    else:
        raise AssertionError("the witness cosigned a rollback")
    assert Checkpoint.parse(parse_note(oldest).text).size < size


def test_the_hub_witnesses_every_log_beside_the_ring(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    from stateline.ledger.verify import verify_ledger

    assert system.hub_witness is not None
    hub = system.hub_witness
    ask(system, tokens, people["NY"][2], "NY")
    assert system.witness_round(now=1_800_000_200) == []
    ny = system.nodes["NY"].ledger
    # The hub remembers New York's latest checkpoint, in the hub's database.
    size, note = hub.memory.witnessed(ny.origin) or (0, "")
    assert size == ny.size
    # Both the neighbour and the hub cosigned that checkpoint; each cosignature verifies.
    latest_id = max(c[0] for c in ny.store.checkpoints())
    witnesses = {w for cid, w, _at, _line in ny.store.cosignatures() if cid == latest_id}
    assert hub.signer.verifier.vkey in witnesses and len(witnesses) == 2
    states = list(system.nodes)
    neighbour = states[(states.index("NY") + 1) % len(states)]
    trusted = [hub.signer.verifier, system.keys[neighbour].witness.verifier]
    report = verify_ledger(ny.store, system.keys["NY"].verifiers, witnesses=trusted)
    assert report.ok, report.problems
    assert report.cosignatures == len(ny.store.cosignatures())
    # With the hub's key unknown to the verifier, its cosignatures do not count as trusted.
    alone = verify_ledger(ny.store, system.keys["NY"].verifiers, witnesses=trusted[1:])
    assert any("not a witness this verifier trusts" in p.what for p in alone.problems)
    # A checkpoint of a shorter history, shown to the hub later, is refused as a rollback.
    oldest = ny.store.checkpoints()[0][3]
    if Checkpoint.parse(parse_note(oldest).text).size < size:
        witness = Witness(hub.signer, {ny.origin: system.keys["NY"].verifiers})
        try:
            witness.cosign(WitnessState({ny.origin: note}), oldest, [], 1_800_000_300)
        except WitnessRefused as refusal:
            assert refusal.reason is Refusal.ROLLBACK
        else:
            raise AssertionError("the hub cosigned a rollback")
    # Nothing new: the next round signs nothing more for New York.
    count = len(ny.store.checkpoints())
    assert system.witness_round(now=1_800_000_400) == []
    assert len(ny.store.checkpoints()) == count


def test_a_node_elsewhere_gets_the_hubs_cosignature_over_http(
    system: System, tokens: dict[str, str], people: dict[str, list[Person]]
) -> None:
    from fastapi.testclient import TestClient

    from stateline.ledger.verify import verify_ledger
    from stateline.ledger.witness.rounds import Site, remote_cosign
    from stateline.web.app import create_app
    from stateline.web.witness import witness_router

    assert system.hub_witness is not None
    hub = system.hub_witness
    app = create_app(system.exchange, system.log, witness=witness_router(hub, system.logs()))
    ca = system.nodes["CA"]
    site = Site(ca.ledger, system.keys["CA"])
    with TestClient(app) as client:

        def post(body: bytes) -> tuple[int, bytes]:
            answer = client.post("/witness/add-checkpoint", content=body)
            return answer.status_code, answer.content

        ask(system, tokens, people["CA"][0], "CA")
        assert remote_cosign(site, post, hub.signer.verifier, 1_800_001_000) is None
        # More entries: the hub answers 409 with what it saw, then takes the proof from there.
        ask(system, tokens, people["CA"][1], "CA")
        assert remote_cosign(site, post, hub.signer.verifier, 1_800_001_060) is None
        assert (hub.memory.witnessed(ca.ledger.origin) or (0, ""))[0] == ca.ledger.size
        # Nothing new since: the hub says so (409 with this very size), nothing is stored.
        before = len(ca.ledger.store.cosignatures())
        assert remote_cosign(site, post, hub.signer.verifier, 1_800_001_090) is None
        assert len(ca.ledger.store.cosignatures()) == before
        # A cosignature from a key the caller does not expect is not kept.
        stranger = system.keys["NY"].witness.verifier
        ask(system, tokens, people["CA"][2], "CA")
        refusal = remote_cosign(site, post, stranger, 1_800_001_120)
        assert refusal is not None and "no valid cosignature" in refusal
    report = verify_ledger(ca.ledger.store, system.keys["CA"].verifiers)
    assert report.ok, report.problems
    hub_lines = [c for c in ca.ledger.store.cosignatures() if c[1] == hub.signer.verifier.vkey]
    assert len(hub_lines) >= 2
