"""The ledger on each real database: appends, proofs, look-ups, checkpoints, retention."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from stateline.ledger import merkle
from stateline.ledger.checkpoint import COSIGNATURE_V1, Signer, cosign, open_checkpoint
from stateline.ledger.entries import encode
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.layout import BUCKET_BITS
from stateline.ledger.log import Ledger
from stateline.ledger.verify import verify_ledger
from stateline.storage.engine import open_engine
from stateline.storage.ledger.database import PAGE_SIZE
from stateline.storage.ledger.store import SqlLedgerStore
from tests.ledger.helpers import START, entries, subject

ORIGIN = "stateline/ledger/NY"


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


def open_ledger(engine: Engine, signer: Signer) -> Ledger:
    store = SqlLedgerStore(engine)
    store.create_schema()
    return Ledger(store, signer)


def test_appends_prove_and_reopen(engine: Engine, signer: Signer) -> None:
    batch = entries(300)
    with open_ledger(engine, signer) as ledger:
        assert ledger.append(batch[:1]) == [0]
        assert ledger.append(batch[1:137]) == list(range(1, 137))
        assert ledger.append(batch[137:]) == list(range(137, 300))
        leaves = [merkle.leaf_hash(encode(e)) for e in batch]
        assert ledger.root == merkle.root(leaves)
        for index in (0, 1, 7, 8, 64, 150, 255, 256, 299):
            for size in (index + 1, 200, 300):
                if index < size:
                    proof = ledger.inclusion_proof(index, size)
                    assert list(proof.path) == merkle.inclusion_proof(index, leaves[:size])
                    assert proof.root() == merkle.root(leaves[:size])
        for old in (1, 2, 8, 9, 100, 256, 299, 300):
            assert ledger.consistency_proof(old) == merkle.consistency_proof(old, leaves)
            assert ledger.root_at(old) == merkle.root(leaves[:old])
        assert ledger.entry(42) == batch[42]
        named = ledger.entries_for_subject(subject(3))
        assert [i for i, _ in named] == [i for i, e in enumerate(batch) if subject(3) in e.subjects]
        assert all(subject(3) in e.subjects for _, e in named)
        head = ledger.head
    with open_ledger(engine, signer) as again:
        assert again.size == 300 and again.head == head
        assert again.append(entries(5, 300)) == list(range(300, 305))


def test_proofs_from_remembered_subtrees_match_the_reference(
    engine: Engine, signer: Signer
) -> None:
    """Past 512 entries the store remembers complete subtrees; proofs must not change."""
    batch = entries(2600)
    leaves = [merkle.leaf_hash(encode(e)) for e in batch]
    with open_ledger(engine, signer) as ledger:
        ledger.append(batch[:1500])
        for _ in range(2):  # the second pass reads what the first one remembered
            for index in (0, 511, 512, 1023, 1024, 1499):
                proof = ledger.inclusion_proof(index)
                assert list(proof.path) == merkle.inclusion_proof(index, leaves[:1500])
        ledger.append(batch[1500:])  # the tree grows past the remembered subtrees
        for index in (0, 511, 512, 1499, 2047, 2048, 2599):
            for size in (1500, 2048, 2600):
                if index < size:
                    proof = ledger.inclusion_proof(index, size)
                    assert list(proof.path) == merkle.inclusion_proof(index, leaves[:size])
                    assert proof.root() == merkle.root(leaves[:size])
        for old in (512, 1024, 1500, 2048):
            assert ledger.consistency_proof(old) == merkle.consistency_proof(old, leaves)


def test_checkpoints_and_cosignatures_are_stored_and_verify(engine: Engine, signer: Signer) -> None:
    witness = Signer.generate("stateline/witness/NJ", COSIGNATURE_V1)
    with open_ledger(engine, signer) as ledger:
        ledger.append(entries(70))
        note = ledger.checkpoint(1_760_000_000)
        assert open_checkpoint(note, signer.verifier, ORIGIN).size == 70
        cosigned = cosign(note, witness, 1_760_000_050)
        assert ledger.add_cosignature(str(cosigned), witness.verifier) == 1_760_000_050
        ledger.append(entries(30, 70))
        ledger.checkpoint(1_760_000_100)
        report = verify_ledger(ledger.store, [signer.verifier], witnesses=[witness.verifier])
    assert report.ok, report.problems
    assert (report.size, report.checkpoints, report.cosignatures) == (100, 2, 1)


def test_retention_drops_old_bodies_and_the_log_still_verifies(
    engine: Engine, signer: Signer
) -> None:
    with open_ledger(engine, signer) as ledger:
        ledger.append(entries(40, start=START - timedelta(days=3000)))  # over eight years ago
        ledger.append(entries(20, 40))
        root = ledger.root
        with pytest.raises(ValueError):
            ledger.apply_retention(START, timedelta(days=300))
        assert ledger.apply_retention(START + timedelta(days=1)) == 40
        assert ledger.apply_retention(START + timedelta(days=1)) == 0  # nothing more is old
        assert ledger.entry(39) is None and ledger.entry(40) is not None
        assert ledger.inclusion_proof(3).root() == ledger.root
        assert ledger.root_at(60) == root
        report = verify_ledger(ledger.store, [signer.verifier])
    assert report.ok, report.problems
    assert report.pruned == 40


def _buckets(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT bucket, idx FROM ledger_subjects ORDER BY idx"))
        return [(int(b), int(i)) for b, i in rows]


def test_a_ledger_with_the_old_bucket_size_is_rebucketed_when_opened(
    engine: Engine, signer: Signer
) -> None:
    # Ledgers written with 65,536 entries a bucket name their subject rows differently; opened,
    # they move to today's buckets once, and look-ups and verification work as before.
    count = (1 << BUCKET_BITS) + 300
    batch = entries(count)
    with open_ledger(engine, signer) as ledger:
        ledger.append(batch)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_subjects SET bucket = idx / 65536"))
    assert {b for b, _ in _buckets(engine)} == {0}
    with open_ledger(engine, signer) as ledger:
        assert all(b == i >> BUCKET_BITS for b, i in _buckets(engine))
        assert {b for b, _ in _buckets(engine)} == {0, 1}
        named = ledger.entries_for_subject(subject(3))
        assert [i for i, _ in named] == [i for i, e in enumerate(batch) if subject(3) in e.subjects]
        assert named[-1][0] >= 1 << BUCKET_BITS  # found in both buckets
        ledger.append(entries(5, count))
        assert ledger.size == count + 5  # read, so folded: new rows go to today's buckets
        report = verify_ledger(ledger.store, [signer.verifier])
    assert report.ok, report.problems
    assert report.size == count + 5


def test_a_subject_index_of_no_known_bucket_size_is_left_for_verify_to_report(
    engine: Engine, signer: Signer
) -> None:
    with open_ledger(engine, signer) as ledger:
        ledger.append(entries((1 << BUCKET_BITS) + 10))
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_subjects SET bucket = 7"))
    with open_ledger(engine, signer) as ledger:
        assert {b for b, _ in _buckets(engine)} == {7}  # not moved
        report = verify_ledger(ledger.store, [signer.verifier])
    assert "entry 0: subject index differs from the body's subjects" in map(str, report.problems)


def test_entries_folded_in_while_the_log_is_verified_are_not_taken_for_tampering(
    engine: Engine, signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a serving node a fold can land between the verifier's reads: new entries, subject
    # rows, nodes and a new signed head, in one transaction. They are signed, not forged.
    with open_ledger(engine, signer) as ledger:
        ledger.append(entries(300))
        store = ledger.store
        stream = store.stream_entries

        def fold_first(*args: Any, **kwargs: Any) -> Any:
            monkeypatch.setattr(store, "stream_entries", stream)
            ledger.append(entries(40, 300))
            assert ledger.size == 340  # read, so folded
            return stream(*args, **kwargs)

        monkeypatch.setattr(store, "stream_entries", fold_first)
        report = verify_ledger(store, [signer.verifier], workers=1)
        assert report.ok, report.problems
        assert report.size == 300 and report.appended == 40
        # Rows past every signed head are still reported.
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO ledger_subjects (bucket, subject, idx) VALUES (0, 5, 345)")
            )
        report = verify_ledger(store, [signer.verifier], workers=1)
    assert [str(p) for p in report.problems] == [
        "entry 345: subject rows for an entry the log does not hold"
    ]


def test_a_failed_write_raises_ledger_unavailable_and_the_ledger_recovers(
    engine: Engine, signer: Signer
) -> None:
    with open_ledger(engine, signer) as ledger:
        ledger.append(entries(10))
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE ledger_entries RENAME TO ledger_entries_away"))
        # The append is durable in the journal, but the tree cannot take it: reads refuse,
        # and so do further appends (fail closed) until the entries can be folded.
        assert ledger.append(entries(3, 10)) == [10, 11, 12]
        with pytest.raises(LedgerUnavailable):
            ledger.entry(10)
        with pytest.raises(LedgerUnavailable):
            ledger.append(entries(1, 13))
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE ledger_entries_away RENAME TO ledger_entries"))
        assert ledger.size == 13
        assert ledger.entry(12) == entries(3, 10)[2]
        assert ledger.append(entries(2, 13)) == [13, 14]
        report = verify_ledger(ledger.store, [signer.verifier])
    assert report.ok, report.problems


def test_worker_processes_verify_the_log_on_each_database(engine: Engine, signer: Signer) -> None:
    # Workers open the database themselves, from its URL and a node's schema mapping (as a
    # node on a shared PostgreSQL has it), and check spans of 32 entries at once.
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        schema = f"v_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        mapped = open_engine(url).execution_options(schema_translate_map={None: schema})
        table = f"{schema}.ledger_entries"  # plain SQL text is not mapped
    else:
        mapped, table = engine, "ledger_entries"
    try:
        with open_ledger(mapped, signer) as ledger:
            ledger.append(entries(150))
            ledger.checkpoint(1_760_000_000)
            ledger.append(entries(50, 150))
            store = ledger.store
        for workers in (1, 2):
            report = verify_ledger(store, [signer.verifier], span_level=5, workers=workers)
            assert report.ok and report.size == 200 and report.checkpoints == 1, report.problems
        with mapped.begin() as conn:
            conn.execute(
                text(f"UPDATE {table} SET leaf_hash = :h WHERE idx = 100"), {"h": bytes(32)}
            )
        for workers in (1, 2):
            report = verify_ledger(store, [signer.verifier], span_level=5, workers=workers)
            assert "entry 100: body does not match its leaf hash" in map(str, report.problems)
    finally:
        if mapped is not engine:
            mapped.dispose()
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def test_a_ledger_database_is_made_for_appends(tmp_path: Path) -> None:
    from stateline.bootstrap import open_ledger_engine
    from stateline.config import Config

    engine = open_ledger_engine(Config(data_dir=tmp_path), "NY")
    try:
        store = SqlLedgerStore(engine, "ny_")
        store.create_schema()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE
            # INTEGER keys are SQLite's row ids: no second B-tree to write per row.
            indexes = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                "tbl_name IN ('ny_ledger_entries', 'ny_ledger_nodes')"
            ).all()
        assert indexes == []
    finally:
        engine.dispose()
