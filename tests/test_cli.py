"""The command line: message parse, agency management and query, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from stateline.cli import app
from stateline.config import Config
from stateline.node.records.model import Person

runner = CliRunner()

GUIDE_RQ = "RQ.AZNLETS20.AZ.TXT\nLIC/123456.LIT/PC"


def test_message_parse_prints_the_model_as_json() -> None:
    result = runner.invoke(app, ["message", "parse"], input="KQ.AZNLETS20.AZ.TXT\nOLN/D11111111")
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert parsed["mke"] == "KQ"
    assert parsed["fields"] == {"OLN": "D11111111"}


def test_message_parse_prints_the_er_and_exits_1() -> None:
    result = runner.invoke(app, ["message", "parse"], input=GUIDE_RQ)
    assert result.exit_code == 1
    assert result.output.startswith("ER.NL0000000")
    assert ".22. INVALID MESSAGE FORMAT - REFER TO RQ MKE OPTIONS BELOW\n1. LIC, LIY, LIT\n" in (
        result.output
    )
    assert result.output.rstrip().endswith("ORIGINAL MESSAGE\n" + GUIDE_RQ)


def test_agency_add_list_suspend(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path)]
    added = runner.invoke(
        app,
        [
            "agency",
            "add",
            "VT0050100",
            "--name",
            "Testville Police Department",
            "--type",
            "PD",
            "--home",
            "VT",
            "--mission",
            "criminal-law-enforcement",
            *data,
        ],
    )
    assert added.exit_code == 0, added.output
    assert "stl_" in added.output
    listed = runner.invoke(app, ["agency", "list", "--state", "VT", *data])
    assert "VT0050100" in listed.output and "active" in listed.output
    assert runner.invoke(app, ["agency", "suspend", "VT0050100", *data]).exit_code == 0
    assert "suspended" in runner.invoke(app, ["agency", "list", *data]).output
    again = runner.invoke(
        app,
        [
            "agency",
            "add",
            "VT0050100",
            "--name",
            "Again",
            "--type",
            "PD",
            "--home",
            "VT",
            "--mission",
            "criminal-law-enforcement",
            *data,
        ],
    )
    assert again.exit_code == 1


def test_agency_certify_and_decertify(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path)]
    add = ["agency", "add", "VT0050100", "--name", "Testville Police Department"]
    add += ["--type", "PD", "--home", "VT", "--mission", "criminal-law-enforcement", *data]
    assert runner.invoke(app, add).exit_code == 0
    certify = ["agency", "certify", "VT0050100", "--state", "co", "--filed", "2026-01-15"]
    done = runner.invoke(app, [*certify, "--expires", "2027-01-15", *data])
    assert done.exit_code == 0, done.output
    assert "on file with CO" in done.output
    listed = runner.invoke(app, ["agency", "list", "--state", "VT", *data])
    assert "2027-01" in listed.output  # the table wraps its last column on a narrow terminal
    bad = runner.invoke(app, [*certify, "--expires", "next year", *data])
    assert bad.exit_code == 2
    nowhere = runner.invoke(app, ["agency", "certify", "VT0050100", "--state", "ON", *data])
    assert nowhere.exit_code == 1
    decertify = ["agency", "decertify", "VT0050100", "--state", "CO", *data]
    assert runner.invoke(app, decertify).exit_code == 0
    assert runner.invoke(app, decertify).exit_code == 1


def test_agency_add_refuses_a_bad_ori(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "agency",
            "add",
            "XX12",
            "--name",
            "Nowhere",
            "--type",
            "PD",
            "--home",
            "VT",
            "--mission",
            "criminal-law-enforcement",
            "--data",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2


def test_query_in_process_as_a_demo_agency(
    prepared: Config, people: dict[str, list[Person]]
) -> None:
    oln = people["NY"][4].oln
    result = runner.invoke(
        app,
        [
            "query",
            "--as",
            "NYSTP0000",
            f"DQ.NYSTP0000.NY.TXT\\nOLN/{oln}",
            "--data",
            str(prepared.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("DR.NYOLN0000")
    assert f"OLN/{oln}" in result.output


def test_query_attaches_a_document_that_reaches_the_deciding_node(
    prepared: Config, people: dict[str, list[Person]], tmp_path: Path
) -> None:
    import hashlib

    from stateline.bootstrap import open_state_ledger
    from stateline.ledger.entries import RequestReceived

    warrant = tmp_path / "warrant.pdf"
    warrant.write_bytes(b"%PDF-1.7\n% a synthetic warrant\n%%EOF\n")
    oln = people["NY"][5].oln
    raw = f"DQ.NYSTP0000.NY.TXT\\nOLN/{oln}.LPK/JUDICIAL-WARRANT.LPN/26-0042"
    args = ["query", "--as", "NYSTP0000", raw, "--data", str(prepared.data_dir)]
    result = runner.invoke(app, [*args, "--document", str(warrant)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("DR.NYOLN0000")
    ledger, _keys = open_state_ledger(prepared, "NY")
    try:
        cited = [
            entry.legal_process
            for index in range(ledger.size)
            if isinstance(entry := ledger.entry(index), RequestReceived) and entry.legal_process
        ]
    finally:
        ledger.close()
    digest = hashlib.sha256(warrant.read_bytes()).hexdigest()
    assert any(c.get("document_sha256") == digest for c in cited)
    # Not a PDF, PNG or JPEG: refused before anything is sent.
    junk = tmp_path / "warrant.txt"
    junk.write_text("not a document")
    refused = runner.invoke(app, [*args, "--document", str(junk)])
    assert refused.exit_code == 1


def test_agency_export_then_load_elsewhere(prepared: Config, tmp_path: Path) -> None:
    exported = tmp_path / "directory.json"
    result = runner.invoke(
        app, ["agency", "export", str(exported), "--data", str(prepared.data_dir)]
    )
    assert result.exit_code == 0, result.output
    fresh = tmp_path / "fresh"
    loaded = runner.invoke(app, ["agency", "load", str(exported), "--data", str(fresh)])
    assert loaded.exit_code == 0, loaded.output
    assert "NYSTP0000 stl_" in loaded.output
    listed = runner.invoke(app, ["agency", "list", "--state", "US", "--data", str(fresh)])
    assert "DCICE0000" in listed.output


def test_agency_load_refuses_an_invalid_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"ori": "XX", "name": "Nowhere"}]')
    result = runner.invoke(app, ["agency", "load", str(bad), "--data", str(tmp_path)])
    assert result.exit_code == 2


def test_reviewer_add_creates_an_account_that_can_sign_in(tmp_path: Path) -> None:
    from stateline.bootstrap import open_node_engine
    from stateline.storage.accounts import AccountStore

    result = runner.invoke(
        app,
        ["reviewer", "add", "rita", "--state", "NY", "--role", "counsel", "--data", str(tmp_path)],
        input="a long passphrase\na long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    engine = open_node_engine(Config(data_dir=tmp_path), "NY")
    try:
        session = AccountStore(engine).authenticate("rita", "a long passphrase")
        assert session is not None
    finally:
        engine.dispose()
    bad = runner.invoke(
        app,
        ["reviewer", "add", "sam", "--state", "NY", "--role", "judge", "--data", str(tmp_path)],
        input="x\nx\n",
    )
    assert bad.exit_code == 2


def test_query_prints_wire_text_as_it_came_never_wrapped(
    prepared: Config, people: dict[str, list[Person]]
) -> None:
    """Piped (no terminal, 80 columns), the reply's long record line stays one line, so the
    output parses back to the reply; the message id goes to stderr, not into the wire text."""
    from stateline.wire import text
    from stateline.wire.messages import Response

    oln = people["NY"][6].oln
    raw = f"DQ.NYSTP0000.NY.TXT\\nOLN/{oln}"
    result = runner.invoke(
        app, ["query", "--as", "NYSTP0000", raw, "--data", str(prepared.data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) > 80
    reply = text.parse(result.stdout.strip())
    assert isinstance(reply, Response) and dict(reply.records[0])["OLN"] == oln
    assert result.stderr.startswith("message ")
