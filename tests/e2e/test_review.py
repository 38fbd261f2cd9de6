"""A held request from end to end: held by the state's bundle, decided by a reviewer, answered.

The node's bundle here is the status quo plus one review rule (photos are held for a person),
written to a bundle folder as a state's operator would.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from stateline.bootstrap import build
from stateline.cli import app
from stateline.config import Config
from stateline.ledger.entries import Disclosure, ReviewAction
from stateline.node.records.model import Person
from stateline.node.review.model import Action, Reviewer, Role
from stateline.wire.grammar import DataClass
from stateline.wire.messages import Response

runner = CliRunner()
STATUS_QUO = Path(__file__).resolve().parents[2] / "stateline/node/policy/bundles/status-quo"
HOLD_PHOTOS = """
// A test rule: every photo request waits for a person in the state.
@id("test-hold-photos")
@review("photo requests are reviewed")
forbid (principal, action in Action::"photo", resource);
"""


def photo_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "hold-photos"
    bundle.mkdir()
    (bundle / "bundle.toml").write_text(
        'name = "hold-photos"\ntitle = "Status quo, photos reviewed"\nstates = ["NY"]\n'
    )
    (bundle / "policies.cedar").write_text(
        (STATUS_QUO / "policies.cedar").read_text() + HOLD_PHOTOS
    )
    return bundle


def test_a_held_photo_request_is_approved_in_part_and_answered(
    prepared: Config, tokens: dict[str, str], people: dict[str, list[Person]], tmp_path: Path
) -> None:
    config = replace(prepared, policy=f"NY={photo_bundle(tmp_path)}")
    system = build(config)
    try:
        person = people["NY"][9]
        raw = f"DQ.NYSTP0000.NY.TXT\nOLN/{person.oln}.IMQ/Y"
        submission = asyncio.run(system.exchange.submit(raw, tokens["NYSTP0000"]))
        (held,) = submission.replies
        assert isinstance(held, Response) and held.records == ()
        assert held.text == ("REQUEST HELD FOR REVIEW BY NY",)

        review = system.nodes["NY"].review
        assert review is not None
        (item,) = review.queue()
        assert item.message_id == submission.id
        assert DataClass.PHOTO in item.under_review
        review.decide(
            submission.id,
            Reviewer("ny-reviewer-1", Role.REVIEWER),
            Action.APPROVE_IN_PART,
            released={DataClass.PHOTO},
            reason="photo released for the stop",
        )
        replies = system.exchange.replies(submission.id, "NYSTP0000")
        assert replies is not None and len(replies) == 2
        late = replies[-1]
        assert isinstance(late, Response) and late.output is not None
        (record,) = late.records
        tags = {tag for tag, _ in record}
        # What the policy released, and the photo the reviewer approved.
        assert {"OLN", "NAM", "ADR", "IMG"} <= tags

        ledger = system.nodes["NY"].ledger
        entries = [ledger.entry(i) for i in range(ledger.size)]
        mine = [e for e in entries if getattr(e, "message_id", None) == submission.id]
        assert any(isinstance(e, ReviewAction) for e in mine)
        late_disclosure = [e for e in mine if isinstance(e, Disclosure) and e.data_classes]
        assert late_disclosure and "photo" in late_disclosure[-1].data_classes

        # The late answer waits in the agency's mailbox, and the log counts both replies.
        (waiting,) = [
            w for w in system.exchange.waiting("NYSTP0000") if w.message_id == submission.id
        ]
        assert (waiting.message_id, waiting.kind, waiting.fetched) == (submission.id, "late", True)
        logged = system.log.get(submission.id)
        assert logged is not None and logged.replies == 2
    finally:
        system.close()

    # A restart loses none of it: the answer the ledger says was disclosed can be fetched.
    again = build(config)
    try:
        kept = again.exchange.replies(submission.id, "NYSTP0000")
        assert kept is not None and kept[-1] == late
    finally:
        again.close()
    fetched = runner.invoke(
        app, ["replies", submission.id, "--as", "NYSTP0000", "--data", str(config.data_dir)]
    )
    assert fetched.exit_code == 0, fetched.output
    # The late answer only: the first (held) one went out in the HTTP answer, and the hub
    # kept it in memory alone.
    assert fetched.output.count("DR.NYOLN0000") == 1 and "IMG/" in fetched.output
    reconciled = runner.invoke(
        app, ["ledger", "reconcile", "--state", "NY", "--data", str(config.data_dir)]
    )
    assert reconciled.exit_code == 0, reconciled.output


def test_a_held_requests_id_is_printed_and_its_answer_waited_for(
    prepared: Config, people: dict[str, list[Person]], tmp_path: Path
) -> None:
    config = replace(prepared, policy=f"NY={photo_bundle(tmp_path)}")
    oln = people["NY"][10].oln
    data = ["--data", str(config.data_dir)]
    env = {"STATELINE_POLICY": config.policy}
    held = runner.invoke(
        app,
        ["query", "--as", "NYSTP0000", f"DQ.NYSTP0000.NY.TXT\\nOLN/{oln}.IMQ/Y", *data],
        env=env,
    )
    assert held.exit_code == 0, held.output
    assert "REQUEST HELD FOR REVIEW BY NY" in held.stdout
    message_id = held.stderr.split("message ", 1)[1].split()[0]
    assert f"stateline replies {message_id} --wait" in held.stderr
    still = runner.invoke(
        app, ["replies", message_id, "--as", "NYSTP0000", "--wait", "--timeout", "0", *data]
    )
    assert still.exit_code == 3 and "still held for review" in still.stderr
    system = build(config)
    try:
        review = system.nodes["NY"].review
        assert review is not None
        review.decide(
            message_id, Reviewer("ny-reviewer-1", Role.REVIEWER), Action.DENY, reason="no need"
        )
    finally:
        system.close()
    answered = runner.invoke(app, ["replies", message_id, "--as", "NYSTP0000", "--wait", *data])
    assert answered.exit_code == 0, answered.output
    assert "REQUEST DENIED ON REVIEW BY NY" in answered.stdout


def test_a_reviewers_denial_asked_again_by_another_ori_of_the_agency_raises_an_alert(
    prepared: Config, people: dict[str, list[Person]], tmp_path: Path
) -> None:
    from datetime import date

    from stateline.bootstrap import open_hub
    from stateline.directory.model import Agency, AgencyType, Mission
    from stateline.storage.alerts import AlertStore
    from tests.conftest import fresh_copy

    data = fresh_copy(prepared, tmp_path / "data")
    config = replace(prepared, data_dir=data, policy=f"NY={photo_bundle(tmp_path)}")
    # Two ORIs of one agency (the first seven characters): the first is denied a photo, the
    # second asks for the same person.
    denied, again = "NY9070100", "NY9070101"
    engine, directory, log = open_hub(config)
    police = frozenset({Mission.CRIMINAL_LAW_ENFORCEMENT})
    directory.add_many(
        [
            Agency(ori, f"Seeded Police {ori}", AgencyType.PD, "NY", police)
            for ori in (denied, again)
        ]
    )
    tokens = {ori: directory.issue_credential(ori) for ori in (denied, again)}
    log.close()
    engine.dispose()
    system = build(config)
    try:
        person = people["NY"][9]
        query = f"\nOLN/{person.oln}.IMQ/Y.PRP/CRIMINAL-INVESTIGATION"
        submission = asyncio.run(
            system.exchange.submit(f"DQ.{denied}.NY.TXT{query}", tokens[denied])
        )
        review = system.nodes["NY"].review
        assert review is not None
        review.decide(
            submission.id,
            Reviewer("ny-reviewer-1", Role.REVIEWER),
            Action.DENY,
            reason="no case number given",
        )
        asked = asyncio.run(system.exchange.submit(f"DQ.{again}.NY.TXT{query}", tokens[again]))
        assert [type(r).__name__ for r in asked.replies] == ["Response"], asked.replies
        assert system.watch is not None and system.watch.settled()
        alerts = AlertStore(system.engines["NY"]).list()
        (alert,) = [a for a in alerts if a.rule == "denied-retried"]
        assert (alert.ori, alert.oris) == (again, (denied, again))
        ledger = system.nodes["NY"].ledger
        kinds = [type(ledger.entry(index)).__name__ for index in alert.evidence]
        # The held request, its hold and the reviewer's denial; then the second request.
        assert kinds[:3] == ["RequestReceived", "Decision", "ReviewAction"]
        assert date.today() >= alert.first.date()
    finally:
        system.close()
