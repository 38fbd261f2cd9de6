"""The verifier catches tampering: 1,000 random edits of the stored log, forged signatures,
and a rollback against a checkpoint a witness cosigned."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from stateline.ledger import merkle
from stateline.ledger.checkpoint import COSIGNATURE_V1, Checkpoint, Signer, sign_checkpoint
from stateline.ledger.log import Ledger
from stateline.ledger.verify import SPAN_LEVEL, verify_ledger
from stateline.ledger.witness.cosign import Refusal, Witness, WitnessRefused, WitnessState
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.ledger.store import SqlLedgerStore
from tests.ledger.helpers import entries

ORIGIN = "stateline/ledger/NY"
SIGNER = Signer.generate(ORIGIN)
SIZE = 40


def build(path: Path, count: int = SIZE, checkpoint_at: tuple[int, ...] = (17,)) -> None:
    engine = open_engine(sqlite_url(str(path)))
    store = SqlLedgerStore(engine)
    store.create_schema()
    with Ledger(store, SIGNER) as ledger:
        done = 0
        for size in (*checkpoint_at, count):
            ledger.append(entries(size - done, done))
            done = size
            ledger.checkpoint(1_760_000_000 + size)
    engine.dispose()


def verify(
    path: Path, trusted: tuple[str, ...] = (), span_level: int = SPAN_LEVEL, workers: int = 1
) -> list[str]:
    engine = open_engine(sqlite_url(str(path)))
    try:
        report = verify_ledger(
            SqlLedgerStore(engine),
            [SIGNER.verifier],
            trusted=trusted,
            span_level=span_level,
            workers=workers,
        )
    finally:
        engine.dispose()
    return [str(p) for p in report.problems]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "template.sqlite"
    build(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    db.close()
    return path


# Tampering, as someone with write access to the database (but not the key) might do it.
Tamper = Callable[[sqlite3.Connection, random.Random], None]


def flip(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def row(db: sqlite3.Connection, rng: random.Random) -> tuple[int, bytes, bytes]:
    idx = rng.randrange(SIZE)
    body, leaf = db.execute(
        "SELECT body, leaf_hash FROM ledger_entries WHERE idx=?", (idx,)
    ).fetchone()
    return idx, body, leaf


def change_body(db: sqlite3.Connection, rng: random.Random) -> None:
    idx, body, _ = row(db, rng)
    db.execute("UPDATE ledger_entries SET body=? WHERE idx=?", (flip(body, rng), idx))


def change_body_and_leaf(db: sqlite3.Connection, rng: random.Random) -> None:
    idx, body, _ = row(db, rng)
    body = body.replace(b'"NY"', b'"NJ"', 1) if rng.random() < 0.5 else flip(body, rng)
    db.execute(
        "UPDATE ledger_entries SET body=?, leaf_hash=? WHERE idx=?",
        (body, merkle.leaf_hash(body), idx),
    )


def change_leaf(db: sqlite3.Connection, rng: random.Random) -> None:
    idx, _, leaf = row(db, rng)
    db.execute("UPDATE ledger_entries SET leaf_hash=? WHERE idx=?", (flip(leaf, rng), idx))


def remove_body(db: sqlite3.Connection, rng: random.Random) -> None:
    idx, _, _ = row(db, rng)
    db.execute("UPDATE ledger_entries SET body=NULL WHERE idx=?", (idx,))


def delete_entry(db: sqlite3.Connection, rng: random.Random) -> None:
    idx = SIZE - 1 if rng.random() < 0.3 else rng.randrange(SIZE)
    db.execute("DELETE FROM ledger_entries WHERE idx=?", (idx,))


def reorder(db: sqlite3.Connection, rng: random.Random) -> None:
    a, b = rng.sample(range(SIZE), 2)
    db.execute("UPDATE ledger_entries SET idx=-1 WHERE idx=?", (a,))
    db.execute("UPDATE ledger_entries SET idx=? WHERE idx=?", (a, b))
    db.execute("UPDATE ledger_entries SET idx=? WHERE idx=-1", (b,))


def insert_entry(db: sqlite3.Connection, rng: random.Random) -> None:
    at = rng.randrange(SIZE + 1)  # SIZE: appended after the last entry
    body = rng.choice(db.execute("SELECT body FROM ledger_entries").fetchall())[0]
    body = body.replace(b'"m-', b'"x-', 1)
    for (idx,) in db.execute(
        "SELECT idx FROM ledger_entries WHERE idx>=? ORDER BY idx DESC", (at,)
    ).fetchall():
        db.execute("UPDATE ledger_entries SET idx=? WHERE idx=?", (idx + 1, idx))
    db.execute(
        "INSERT INTO ledger_entries (idx, body, leaf_hash) VALUES (?, ?, ?)",
        (at, body, merkle.leaf_hash(body)),
    )


def change_subjects(db: sqlite3.Connection, rng: random.Random) -> None:
    rows = db.execute("SELECT bucket, subject, idx FROM ledger_subjects").fetchall()
    bucket, tag, idx = rng.choice(rows)
    match rng.randrange(3):
        case 0:
            db.execute("DELETE FROM ledger_subjects WHERE subject=? AND idx=?", (tag, idx))
        case 1:
            db.execute(
                "UPDATE ledger_subjects SET subject=? WHERE subject=? AND idx=?",
                (tag ^ (1 << rng.randrange(60)), tag, idx),
            )
        case _:
            other = rng.choice([i for i in range(SIZE) if i != idx])
            db.execute(
                "INSERT OR IGNORE INTO ledger_subjects VALUES (?, ?, ?)", (bucket, tag, other)
            )
            if db.total_changes == 0:  # it named that subject already: take it away instead
                db.execute("DELETE FROM ledger_subjects WHERE subject=? AND idx=?", (tag, idx))


def change_node(db: sqlite3.Connection, rng: random.Random) -> None:
    key, digest = rng.choice(db.execute("SELECT id, hash FROM ledger_nodes").fetchall())
    if rng.random() < 0.5:
        db.execute("DELETE FROM ledger_nodes WHERE id=?", (key,))
    else:
        db.execute("UPDATE ledger_nodes SET hash=? WHERE id=?", (flip(digest, rng), key))


def change_signed(db: sqlite3.Connection, rng: random.Random) -> None:
    table = rng.choice(["ledger_head", "ledger_checkpoints"])
    key, note = rng.choice(db.execute(f"SELECT id, note FROM {table}").fetchall())
    lines = note.split("\n")
    match rng.randrange(3):
        case 0:  # claim another size
            lines[1] = str(int(lines[1]) + rng.choice([-1, 1]))
        case 1:  # another root
            lines[2] = sign_checkpoint(Checkpoint(ORIGIN, 1, merkle.leaf_hash(b"x")), SIGNER).split(
                "\n"
            )[2]
        case _:  # a damaged signature
            lines[-2] = lines[-2][:-6] + (
                "AAAA==" if not lines[-2].endswith("AAAA==") else "BBBB=="
            )
    db.execute(f"UPDATE {table} SET note=? WHERE id=?", ("\n".join(lines), key))


def drop_head(db: sqlite3.Connection, rng: random.Random) -> None:
    db.execute("DELETE FROM ledger_head")


TAMPERS: list[Tamper] = [
    change_body, change_body_and_leaf, change_leaf, remove_body, delete_entry, reorder,
    insert_entry, change_subjects, change_node, change_signed, drop_head,
]  # fmt: skip


@pytest.mark.parametrize("span_level", [1, 2, 3, 4, 5, 6, SPAN_LEVEL])
def test_the_untouched_log_verifies_in_spans_of_any_size(template: Path, span_level: int) -> None:
    # Spans of 8 put the checkpoint at 17 inside a span and the head at 40 on a boundary;
    # spans of 16 put the head inside the last, partial span.
    assert verify(template, span_level=span_level) == []


# Spans of 8: five spans joined, the checkpoint inside one. The default: one span.
@pytest.mark.parametrize("span_level", [3, SPAN_LEVEL], ids=["spans", "whole"])
def test_a_thousand_random_tamperings_are_all_detected(
    template: Path, tmp_path: Path, span_level: int
) -> None:
    rng = random.Random(20251001 + span_level)
    trial = tmp_path / "trial.sqlite"
    missed: list[str] = []
    for number in range(1000):
        for leftover in (Path(f"{trial}-wal"), Path(f"{trial}-shm")):
            leftover.unlink(missing_ok=True)  # the last trial's changes must not carry over
        shutil.copyfile(template, trial)
        tamper = rng.choice(TAMPERS)
        db = sqlite3.connect(trial)
        tamper(db, rng)
        db.commit()
        db.close()
        if not verify(trial, span_level=span_level):
            missed.append(f"trial {number}: {tamper.__name__}")
    assert missed == []


def test_a_forged_checkpoint_signature_is_detected(template: Path, tmp_path: Path) -> None:
    trial = tmp_path / "forged.sqlite"
    shutil.copyfile(template, trial)
    impostor = Signer.generate(ORIGIN)  # the same name, not the node's key
    forged = sign_checkpoint(Checkpoint(ORIGIN, SIZE, merkle.leaf_hash(b"rewritten")), impostor)
    with sqlite3.connect(trial) as db:
        db.execute("UPDATE ledger_checkpoints SET note=? WHERE size=?", (forged, SIZE))
    problems = verify(trial)
    assert any("checkpoint" in p and "signature" in p for p in problems), problems


def test_a_rollback_is_detected_against_a_witnessed_checkpoint(tmp_path: Path) -> None:
    witness = Witness(
        Signer.generate("stateline/witness/NJ", COSIGNATURE_V1), {ORIGIN: [SIGNER.verifier]}
    )
    path = tmp_path / "node.sqlite"
    build(path, 20, ())
    engine = open_engine(sqlite_url(str(path)))
    store = SqlLedgerStore(engine)
    with Ledger(store, SIGNER) as ledger:
        witnessed, state = witness.cosign(WitnessState(), ledger.checkpoint(1), [], 1_760_000_000)
    engine.dispose()
    # The operator restores an older copy of the database (size 10) and writes another
    # history from there: the ledger itself is consistent, and signed with the node's key.
    older = tmp_path / "older.sqlite"
    build(older, 10, ())
    engine = open_engine(sqlite_url(str(older)))
    with Ledger(SqlLedgerStore(engine), SIGNER) as ledger:
        assert verify(older) == []
        ledger.append(entries(15, 500))  # 25 entries, but not the ones witnessed
        rewritten = ledger.checkpoint(2)
        proof = ledger.consistency_proof(20)
    engine.dispose()
    with pytest.raises(WitnessRefused) as refused:
        witness.cosign(state, rewritten, proof, 1_760_000_100)
    assert refused.value.reason is Refusal.FORK
    problems = verify(older, trusted=(str(witnessed),))
    assert problems == ["witnessed checkpoint 1: root at size 20 differs from the entries'"]
    truncated = tmp_path / "truncated.sqlite"
    build(truncated, 10, ())
    problems = verify(truncated, trusted=(str(witnessed),))
    assert len(problems) == 1 and "rolled back" in problems[0]


def test_worker_processes_find_what_one_process_finds(template: Path, tmp_path: Path) -> None:
    rng = random.Random(7)
    assert verify(template, span_level=3, workers=2) == []
    for number, tamper in enumerate([change_body, delete_entry, change_subjects, change_node]):
        trial = tmp_path / f"trial{number}.sqlite"
        shutil.copyfile(template, trial)
        with sqlite3.connect(trial) as db:
            tamper(db, rng)
        here = verify(trial, span_level=3)
        assert here, tamper.__name__
        assert verify(trial, span_level=3, workers=2) == here


def test_a_changed_node_above_the_spans_is_found_where_they_join(
    template: Path, tmp_path: Path
) -> None:
    trial = tmp_path / "upper.sqlite"
    shutil.copyfile(template, trial)
    # Level 3 is a span's own root with spans of 4 leaves; level 6 is above every span.
    keys = {level: merkle_key for level, merkle_key in ((3, (7 << 6) | 3), (6, (63 << 6) | 6))}
    with sqlite3.connect(trial) as db:
        stored = {k for (k,) in db.execute("SELECT id FROM ledger_nodes")}
        assert keys[3] in stored and keys[6] not in stored  # 40 leaves: no level-6 node yet
        db.execute("UPDATE ledger_nodes SET hash=? WHERE id=?", (b"\0" * 32, keys[3]))
    assert verify(trial, span_level=2) == [
        "tree node level 3 index 0: differs from the node the entries give"
    ]
    assert verify(trial, span_level=2, workers=2) == verify(trial, span_level=2)
