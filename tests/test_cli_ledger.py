"""``stateline ledger``: verify, checkpoint, prove and check-proof, consistency, export."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stateline.bootstrap import open_state_ledger
from stateline.cli.ledger import app
from stateline.config import Config
from tests.ledger.helpers import entries

runner = CliRunner()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    config = Config(data_dir=tmp_path)
    ledger, _keys = open_state_ledger(config, "NY")
    with ledger:
        ledger.append(entries(90))
        ledger.checkpoint(1_760_000_000)
        ledger.append(entries(10, 90))
    return tmp_path


def run(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--data", str(data)])
    return result.exit_code, result.output


def test_verify_passes_then_reports_tampering(data: Path) -> None:
    code, out = run(data, "verify", "--state", "NY")
    assert code == 0 and "verifies" in out and "100 entries" in out
    # On the embedded default every node's ledger is in ledgers.sqlite, under its state's prefix.
    with sqlite3.connect(data / "ledgers.sqlite") as db:
        db.execute("UPDATE ny_ledger_entries SET body = CAST('{}' AS BLOB) WHERE idx = 7")
    code, out = run(data, "verify", "--state", "NY")
    assert code == 1 and "entry 7: body does not match its leaf hash" in out


def test_prove_then_check_proof_without_the_database(data: Path, tmp_path: Path) -> None:
    proof = tmp_path / "proof.json"
    code, out = run(data, "prove", "42", "--state", "NY", "--out", str(proof))
    assert code == 0, out
    assert json.loads(proof.read_text())["tree_size"] == 90  # the published checkpoint
    vkey = (data / "keys" / "NY" / "ledger.vkey").read_text().strip()
    (data / "ledgers.sqlite").unlink()
    result = runner.invoke(app, ["check-proof", str(proof), "--key", vkey])
    assert result.exit_code == 0 and "entry 42" in result.output
    document = json.loads(proof.read_text())
    document["index"] = 43
    proof.write_text(json.dumps(document))
    result = runner.invoke(app, ["check-proof", str(proof), "--key", vkey])
    assert result.exit_code == 1 and "does NOT verify" in result.output


def test_checkpoint_consistency_and_export(data: Path, tmp_path: Path) -> None:
    code, out = run(data, "checkpoint", "--state", "NY")
    assert code == 0 and out.startswith("stateline/ledger/NY\n100\n")
    code, out = run(data, "consistency", "90", "100", "--state", "NY")
    assert code == 0 and json.loads(out)["old_size"] == 90
    code, out = run(data, "consistency", "100", "90", "--state", "NY")
    assert code == 2
    target = tmp_path / "ledger.parquet"
    code, out = run(data, "export", "--state", "NY", "--parquet", str(target))
    assert code == 0, out
    import pyarrow.parquet as pq

    table = pq.read_table(target)
    assert table.num_rows == 100
    assert table.column("kind").to_pylist()[:4] == ["request", "decision", "disclosure", "admin"]
