"""The durable append: group commit for concurrent callers, failures fail closed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from stateline.bootstrap import open_ledger
from stateline.ledger import merkle
from stateline.ledger.checkpoint import Signer
from stateline.ledger.entries import AdminChange, encode
from stateline.ledger.errors import LedgerUnavailable
from stateline.ledger.keys import create
from stateline.ledger.log import Ledger
from stateline.ledger.verify import verify_ledger
from stateline.ledger.writer import Committer, submit_together
from stateline.storage.engine import open_engine, sqlite_url
from stateline.storage.ledger.database import SqlLedgerDatabase
from stateline.storage.ledger.store import SqlLedgerStore
from tests.ledger.helpers import START, entries, subject


def ledger_at(path: Path) -> Ledger:
    store = SqlLedgerStore(open_engine(sqlite_url(str(path))))
    store.create_schema()
    return Ledger(store, Signer.generate("stateline/ledger/NY"))


def test_concurrent_threads_share_commits_and_get_their_own_indexes(tmp_path: Path) -> None:
    batch = entries(400)
    got: dict[int, list[int]] = {}
    with ledger_at(tmp_path / "n.sqlite") as ledger:

        def caller(n: int) -> None:
            got[n] = ledger.append(batch[n * 10 : n * 10 + 10])

        threads = [threading.Thread(target=caller, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(i for indexes in got.values() for i in indexes) == list(range(400))
        for n, indexes in got.items():  # each caller's entries stay together, in order
            assert [ledger.entry(i) for i in indexes] == batch[n * 10 : n * 10 + 10]
        leaves = [merkle.leaf_hash(ledger.entry_bytes(i) or b"") for i in range(400)]
        assert ledger.root == merkle.root(leaves)


async def test_append_async_awaits_the_group_commit(tmp_path: Path) -> None:
    batch = entries(200)
    with ledger_at(tmp_path / "n.sqlite") as ledger:
        indexes = await asyncio.gather(*(ledger.append_async(e) for e in batch))
        assert sorted(indexes) == list(range(200))
        for entry, index in zip(batch, indexes, strict=True):
            assert ledger.entry_bytes(index) == encode(entry)


def test_a_batch_keeps_every_byte_of_awkward_bodies(tmp_path: Path) -> None:
    # A batch is written as one statement on SQLite, each body cut from one blob: quotes,
    # backslashes, escapes, characters beyond Latin-1 and the BMP come back byte for byte.
    details = ['a "quoted" word', "back\\slash", "nul \x00 tab \t line\n", "Ñúñez 日本 🚓", ""]
    batch = [
        AdminChange(
            message_id=f"a-{n}",
            state="NY",
            at=START,
            change="directory",
            actor="ops-1",
            detail={"text": text, "nested": {"subjects": [text]}},
        )
        for n, text in enumerate(details)
    ]
    batch += entries(7, 50)
    with ledger_at(tmp_path / "n.sqlite") as ledger:
        assert ledger.append(batch) == list(range(len(batch)))
        assert [ledger.entry_bytes(i) for i in range(len(batch))] == [encode(e) for e in batch]
        assert [ledger.entry(i) for i in range(len(batch))] == batch
        report = verify_ledger(ledger.store, [ledger.verifier])
        assert report.ok, report.problems
        assert ledger.entries_for_subject(subject(3)) == [
            (i, e) for i, e in enumerate(batch) if subject(3) in e.subjects
        ]


def test_after_close_appends_fail_closed(tmp_path: Path) -> None:
    ledger = ledger_at(tmp_path / "n.sqlite")
    ledger.append(entries(3))
    ledger.close()
    with pytest.raises(LedgerUnavailable):
        ledger.append(entries(1))


def test_subjects_must_be_subject_keys(tmp_path: Path) -> None:
    from dataclasses import replace

    from stateline.ledger.entries import EntryError

    key = subject(1)
    not_keys = [
        "D1234567",
        key.upper(),
        key[:-1],
        key + "0",
        "0x" + key[2:],
        key[:30] + " " + key[31:],
    ]
    with ledger_at(tmp_path / "n.sqlite") as ledger:
        for bad in not_keys:
            with pytest.raises(EntryError):
                ledger.append([replace(entries(1)[0], subjects=(key, bad))])  # type: ignore[type-var]
        assert ledger.size == 0
        assert ledger.append([replace(entries(1)[0], subjects=(key, subject(2)))]) == [0]  # type: ignore[type-var]


def test_a_tampered_head_stops_the_ledger_from_opening(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "n.sqlite"
    with ledger_at(path) as ledger:
        ledger.append(entries(12))
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM ledger_entries WHERE idx = 11")
    with pytest.raises(LedgerUnavailable, match="verify"):
        ledger_at(path)


def test_open_ledger_makes_keys_once_and_rotation_is_logged(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from stateline.ledger.checkpoint import open_checkpoint
    from stateline.ledger.keys import rotate

    engine = open_engine(sqlite_url(str(tmp_path / "n.sqlite")))
    ledger, keys = open_ledger(engine, tmp_path / "keys", "NY")
    with ledger:
        ledger.append(entries(5))
        new, entry = rotate(tmp_path / "keys", "NY", datetime(2025, 10, 2, tzinfo=UTC), "ops", "r1")
        note = ledger.rotate(entry, new.signer, 1_760_000_000)
        assert open_checkpoint(note, new.signer.verifier).size == 6
        assert ledger.entry(5) == entry
        notes = [n for _i, _s, _t, n in ledger.store.checkpoints()]
        assert open_checkpoint(notes[0], keys.signer.verifier).size == 6  # the old key vouched
    with pytest.raises(Exception, match="already holds"):
        create(tmp_path / "keys", "NY")


def shared_ledgers(path: Path, states: tuple[str, ...]) -> tuple[Committer, list[Ledger]]:
    """Ledgers of several states in one database, under their prefixes, sharing a committer."""
    engine = open_engine(sqlite_url(str(path)))
    committer = Committer(SqlLedgerDatabase(engine))
    ledgers = []
    for state in states:
        store = SqlLedgerStore(engine, f"{state.lower()}_")
        store.create_schema()
        signer = Signer.generate(f"stateline/ledger/{state}")
        ledgers.append(Ledger(store, signer, committer=committer))
    return committer, ledgers


def test_ledgers_sharing_a_database_share_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committer, (ny, ca) = shared_ledgers(tmp_path / "ledgers.sqlite", ("NY", "CA"))
    commits: list[int] = []
    transaction = committer.writer.transaction

    def counted(work: Any) -> None:
        commits.append(len(work))
        transaction(work)

    monkeypatch.setattr(committer.writer, "transaction", counted)
    # Hold the writer thread so that both submissions wait in its queue together.
    started, gate = threading.Event(), threading.Event()
    blocker = threading.Thread(target=committer.call, args=(lambda: started.set() or gate.wait(),))
    blocker.start()
    started.wait()
    ny_batch, ca_batch = entries(30), entries(7, 30)
    futures = submit_together([(ny, ny_batch), (ca, ca_batch)])
    later = ny.submit(entries(5, 37))
    gate.set()
    blocker.join()
    assert [f.result() for f in futures] == [list(range(30)), list(range(7))]
    assert later.result() == list(range(30, 35))
    assert len(commits) == 1, "both ledgers' entries go in one transaction"
    # Each ledger keeps its own tree: its own entries, its own root and signed head.
    assert [ny.entry(i) for i in range(30)] == ny_batch
    assert [ca.entry(i) for i in range(7)] == ca_batch
    assert ca.root == merkle.root([merkle.leaf_hash(encode(e)) for e in ca_batch])
    root = ca.root
    ny.close()
    ca.close()
    committer.close()
    # Reopened alone, CA's ledger finds its own tables, tree and signed head.
    store = SqlLedgerStore(open_engine(sqlite_url(str(tmp_path / "ledgers.sqlite"))), "ca_")
    with Ledger(store, Signer.generate("stateline/ledger/CA")) as again:
        assert (again.size, again.root) == (7, root)


def test_one_broken_ledger_does_not_stop_the_others(tmp_path: Path) -> None:
    path = tmp_path / "ledgers.sqlite"
    committer, (ny, ca) = shared_ledgers(path, ("NY", "CA"))
    ny.append(entries(3))
    ca.append(entries(3))
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE ca_ledger_entries")
    ny_future, ca_future = submit_together([(ny, entries(4, 3)), (ca, entries(4, 3))])
    assert ny_future.result() == [3, 4, 5, 6]
    assert ca_future.result() == [3, 4, 5, 6]  # durable, in the journal
    with pytest.raises(LedgerUnavailable):  # but CA's tree cannot take them: reads refuse
        ca.entry(3)
    with pytest.raises(LedgerUnavailable):  # and so do its appends, until it folds again
        ca.append(entries(1))
    assert len(committer.journal.pending(ca.origin, 3)) == 4  # nothing is lost
    assert ny.size == 7 and ny.append(entries(2, 7)) == [7, 8]
    ca.close()  # a closed ledger refuses; its neighbour goes on
    with pytest.raises(LedgerUnavailable):
        ca.append(entries(1))
    assert ny.append(entries(1, 9)) == [9]
    ny.close()
    committer.close()


def test_entries_a_crash_left_in_the_journal_are_folded_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledgers.sqlite"
    engine = open_engine(sqlite_url(str(path)))
    # A writer that journals but never folds, as if the process died right after appends.
    committer = Committer(SqlLedgerDatabase(engine), settle_every=3600, settle_after=3600)
    store = SqlLedgerStore(engine, "ny_")
    store.create_schema()
    signer = Signer.generate("stateline/ledger/NY")
    first = Ledger(store, signer, committer=committer)
    batch = entries(40)
    first.append(batch[:25])
    futures = submit_together([(first, batch[25:])])
    assert futures[0].result() == list(range(25, 40))
    monkeypatch.setattr(committer, "settle", lambda *a, **k: None)
    committer.close()  # gone without folding: only the journal holds the entries
    assert store.end() == 0 and len(committer.journal.pending(first.origin, 0)) == 40
    report = verify_ledger(store, [signer.verifier], origin=first.origin)
    assert report.ok and report.size == 0 and report.journaled == 40
    again_store = SqlLedgerStore(open_engine(sqlite_url(str(path))), "ny_")
    with Ledger(again_store, signer) as again:
        assert again.size == 40
        assert again.root == merkle.root([merkle.leaf_hash(encode(e)) for e in batch])
        assert [again.entry(i) for i in range(40)] == batch
        assert again.append(entries(2, 40)) == [40, 41]
    assert again_store.end() == 42


def test_a_bulk_append_folds_at_once_after_what_the_journal_holds(tmp_path: Path) -> None:
    path = tmp_path / "ledgers.sqlite"
    committer, (ny,) = shared_ledgers(path, ("NY",))
    batch = entries(400)
    assert ny.append(batch[:10]) == list(range(10))  # small: journaled
    assert ny.append(batch[10:]) == list(range(10, 400))  # bulk: folded with those ten
    assert committer.journal.pending(ny.origin, 0) == []
    assert ny.store.end() == 400  # in the log's own table, no read needed to fold it
    assert ny.root == merkle.root([merkle.leaf_hash(encode(e)) for e in batch])
    assert [ny.entry(i) for i in (0, 9, 10, 399)] == [batch[i] for i in (0, 9, 10, 399)]
    ny.close()
    committer.close()


def test_a_fold_can_take_part_of_what_a_log_journaled(tmp_path: Path) -> None:
    path = tmp_path / "ledgers.sqlite"
    engine = open_engine(sqlite_url(str(path)))
    committer = Committer(SqlLedgerDatabase(engine), settle_every=3600, settle_after=3600)
    store = SqlLedgerStore(engine, "ny_")
    store.create_schema()
    ny = Ledger(store, Signer.generate("stateline/ledger/NY"), committer=committer)
    batch = entries(30)
    for n in range(0, 30, 3):
        assert ny.append(batch[n : n + 3]) == [n, n + 1, n + 2]  # journaled, not folded
    assert store.end() == 0
    committer.call(lambda: committer.settle([ny], limit=10))  # the first ten only
    assert store.end() == 10
    assert [i for i, *_ in committer.journal.pending(ny.origin, 0)] == list(range(10, 30))
    assert ny.size == 30  # a read folds the rest
    assert ny.root == merkle.root([merkle.leaf_hash(encode(e)) for e in batch])
    assert committer.journal.pending(ny.origin, 0) == []
    ny.close()
    committer.close()


def test_a_caller_can_commit_on_its_own_thread(tmp_path: Path) -> None:
    engine = open_engine(sqlite_url(str(tmp_path / "ledgers.sqlite")))
    committer = Committer(SqlLedgerDatabase(engine), settle_every=3600, settle_after=3600)
    ledgers = []
    for state in ("NY", "CA"):
        store = SqlLedgerStore(engine, f"{state.lower()}_")
        store.create_schema()
        ledgers.append(
            Ledger(store, Signer.generate(f"stateline/ledger/{state}"), committer=committer)
        )
    ny, ca = ledgers
    batch = entries(12)
    futures = submit_together([(ny, batch[:5]), (ca, batch[5:])], now=True)
    # Durable on return: the futures are resolved and the journal holds every entry.
    assert [f.result(timeout=0) for f in futures] == [[0, 1, 2, 3, 4], list(range(7))]
    assert len(committer.journal.pending(ny.origin, 0)) == 5
    assert len(committer.journal.pending(ca.origin, 0)) == 7
    assert ny.append(batch[:2]) == [5, 6]  # the writer thread goes on from there
    assert ny.root == merkle.root([merkle.leaf_hash(encode(e)) for e in batch[:5] + batch[:2]])
    ny.close()
    ca.close()
    committer.close()
    with pytest.raises(LedgerUnavailable):  # closed: nothing is written, nothing disclosed
        submit_together([(ny, batch[:1])], now=True)[0].result(timeout=0)


def test_entries_committed_in_line_are_folded_once_appends_stop(tmp_path: Path) -> None:
    engine = open_engine(sqlite_url(str(tmp_path / "ledgers.sqlite")))
    committer = Committer(SqlLedgerDatabase(engine), settle_after=0.01)
    store = SqlLedgerStore(engine, "ny_")
    store.create_schema()
    ny = Ledger(store, Signer.generate("stateline/ledger/NY"), committer=committer)
    batch = entries(6)
    for n in range(0, 6, 2):
        submit_together([(ny, batch[n : n + 2])], now=True)[0].result(timeout=0)
    # No read and no further append: the writer thread, told there is work, folds it itself.
    deadline = time.monotonic() + 60
    while store.end() < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.end() == 6
    assert committer.journal.pending(ny.origin, 0) == []
    ny.close()
    committer.close()


def test_a_fold_step_takes_as_many_entries_as_its_commit_brings(tmp_path: Path) -> None:
    # Under load the folds must keep up inside the journal commits: a step is at least as
    # large as the batch it rides with, not capped at ``settle_chunk``.
    engine = open_engine(sqlite_url(str(tmp_path / "ledgers.sqlite")))
    committer = Committer(
        SqlLedgerDatabase(engine), settle_every=0, settle_after=3600, settle_chunk=4
    )
    stores, ledgers = [], []
    for state in ("NY", "CA"):
        store = SqlLedgerStore(engine, f"{state.lower()}_")
        store.create_schema()
        stores.append(store)
        ledgers.append(
            Ledger(store, Signer.generate(f"stateline/ledger/{state}"), committer=committer)
        )
    (ny_store, ca_store), (ny, ca) = stores, ledgers
    batch = entries(16)
    submit_together([(ny, batch[:10]), (ca, batch[:10])], now=True)
    # Told there is work, the writer thread folds one step of its own: four of NY's.
    deadline = time.monotonic() + 60
    while ny_store.end() < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (ny_store.end(), ca_store.end()) == (4, 0)
    # Twelve entries ride in the next commit, so its step folds NY's last six at once.
    submit_together([(ny, batch[10:16]), (ca, batch[10:16])], now=True)
    assert (ny_store.end(), ca_store.end()) == (10, 0)
    assert ny.size == 16 and ny.root == merkle.root(
        [merkle.leaf_hash(encode(e)) for e in batch[:16]]
    )
    ny.close()
    ca.close()
    committer.close()


def test_a_second_writers_entries_stay_in_the_journal_and_are_appended_again(
    tmp_path: Path,
) -> None:
    """Two writers of one ledger (two processes, before writers took a lock): a fold removes
    only what it folded, verify tells, and the next open appends the stray entries again."""
    path = tmp_path / "ledgers.sqlite"
    signer = Signer.generate("stateline/ledger/NY")

    def writer() -> tuple[Ledger, Committer, SqlLedgerStore]:
        engine = open_engine(sqlite_url(str(path)))
        committer = Committer(SqlLedgerDatabase(engine), settle_every=3600, settle_after=3600)
        store = SqlLedgerStore(engine, "ny_")
        store.create_schema()
        return Ledger(store, signer, committer=committer), committer, store

    (a, a_commits, store), (b, b_commits, _) = writer(), writer()  # both see an empty log
    batch = entries(12)
    assert a.append(batch[:6]) == list(range(6))
    assert a.size == 6  # folded: the journal's rows 0-5 are gone
    assert b.append(batch[6:]) == list(range(6))  # the same indexes again, journaled
    with pytest.raises(LedgerUnavailable):
        _ = b.size  # its fold collides with a's entries: it fails closed
    assert a.append(entries(1, 12)) == [6]
    assert a.size == 7  # this fold must not take b's rows with it
    assert len(a_commits.journal.orphans(a.origin, 7)) == 6
    report = verify_ledger(store, [signer.verifier], origin=a.origin)
    assert not report.ok
    assert [p.where for p in report.problems] == ["journal"]
    assert "6 journaled entries at indexes the tree already holds" in report.problems[0].what
    for ledger, commits in ((a, a_commits), (b, b_commits)):
        ledger.close()
        commits.close()
    again_store = SqlLedgerStore(open_engine(sqlite_url(str(path))), "ny_")
    with Ledger(again_store, signer) as again:
        assert again.size == 14  # a's seven, b's six, and the admin entry saying so
        assert [again.entry(i) for i in range(7, 13)] == batch[6:]
        recovery = again.entry(13)
        assert isinstance(recovery, AdminChange) and recovery.change == "journal_recovery"
        assert recovery.detail["journaled_at"] == [0, 1, 2, 3, 4, 5]
    assert verify_ledger(again_store, [signer.verifier], origin=a.origin).ok
