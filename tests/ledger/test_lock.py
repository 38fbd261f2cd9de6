"""One writer per ledger across processes: the lock, who holds it, and its release on death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stateline.ledger.lock import Holder, LedgerBusy, WriterLock, holder_of


def test_a_second_writer_is_refused_and_told_who_writes(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "ledger-NY.lock"
    server = Holder.this_process("stateline serve", "http://127.0.0.1:8000")
    first = WriterLock.acquire(path, "NY", server)
    with pytest.raises(LedgerBusy) as refused:
        WriterLock.acquire(path, "NY", Holder.this_process("stateline query"))
    assert refused.value.holder == server
    assert str(refused.value) == (
        f"the NY ledger is written by `stateline serve` (process {os.getpid()}, "
        "serving http://127.0.0.1:8000)"
    )
    first.release()
    assert holder_of(path) is None  # released: nobody is named
    second = WriterLock.acquire(path, "NY", Holder.this_process("stateline query"))
    assert holder_of(path) == second.holder
    second.release()


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "ledger-NY.lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from stateline.ledger.lock import Holder, WriterLock\n"
        f"WriterLock.acquire(Path({str(path)!r}), 'NY', Holder.this_process('stateline serve'))\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "held\n"
        with pytest.raises(LedgerBusy) as refused:
            WriterLock.acquire(path, "NY", Holder.this_process("stateline query"))
        assert refused.value.holder is not None and refused.value.holder.pid == child.pid
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # kill -9 runs no clean-up of the holder's own: the kernel lets go of the lock.
    WriterLock.acquire(path, "NY", Holder.this_process("stateline query")).release()


def test_a_writer_may_wait_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "ledger-NY.lock"
    held = WriterLock.acquire(path, "NY", Holder.this_process("stateline query"))
    with pytest.raises(LedgerBusy):
        WriterLock.acquire(path, "NY", Holder.this_process("stateline query"), wait=0.2)
    held.release()
    WriterLock.acquire(path, "NY", Holder.this_process("stateline query"), wait=0.2).release()
