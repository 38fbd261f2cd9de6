"""One writer per ledger, across processes: an exclusive lock the OS releases when its holder dies.

Two processes appending to one ledger would each hand out the same indexes, and the entries of
one would be lost when the other folds its own. So a process takes a state's ledger lock before
it opens that ledger to write: an exclusive ``flock`` on a file in the data directory, which the
kernel releases when the process exits or is killed, so a crash never leaves a stale lock. The
file names who holds it (the command, its process id and, for a server, its URL), so another
command can send its work through that server, or say which process writes the ledger.

The file is never removed: a process that removed it could leave a second one locking a new
file of the same name while the first still holds the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from stateline.ledger.errors import LedgerUnavailable


@dataclass(frozen=True, slots=True)
class Holder:
    """Who writes a ledger: a command, its process, and the URL it serves, if it serves."""

    command: str
    pid: int
    url: str | None = None
    since: str = ""

    @classmethod
    def this_process(cls, command: str, url: str | None = None) -> Holder:
        return cls(command, os.getpid(), url, datetime.now(UTC).isoformat(timespec="seconds"))

    def describe(self) -> str:
        served = f", serving {self.url}" if self.url else ""
        return f"`{self.command}` (process {self.pid}{served})"


class LedgerBusy(LedgerUnavailable):
    """Another process writes the ledger; ``holder`` says which, when it could be read."""

    def __init__(self, state: str, holder: Holder | None) -> None:
        self.state = state
        self.holder = holder
        who = holder.describe() if holder is not None else "another process"
        super().__init__(f"the {state} ledger is written by {who}")


class WriterLock:
    """A held ledger lock; :meth:`release` (or the process's end) lets another writer in."""

    def __init__(self, path: Path, fd: int, holder: Holder) -> None:
        self.path = path
        self._fd: int | None = fd
        self.holder = holder

    @classmethod
    def acquire(cls, path: Path, state: str, holder: Holder, wait: float = 0.0) -> WriterLock:
        """Take the lock at ``path`` for ``holder``; waits up to ``wait`` seconds for another
        holder to let go, then raises :class:`LedgerBusy` naming it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LedgerBusy(state, holder_of(path)) from None
                time.sleep(0.05)
        lock = cls(path, fd, holder)
        lock.announce(holder)
        return lock

    def announce(self, holder: Holder) -> None:
        """Say who holds the lock now (a server adds its URL once it knows it)."""
        if self._fd is None:
            raise LedgerUnavailable("the ledger lock was released")
        self.holder = holder
        data = orjson.dumps(asdict(holder))
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # nobody holds it now: a reader finds no holder
        os.close(fd)  # closing the last descriptor releases the flock


def holder_of(path: Path) -> Holder | None:
    """Who holds the lock at ``path``, as its file says (``None``: unreadable or not said)."""
    try:
        raw = orjson.loads(path.read_bytes())
        return Holder(str(raw["command"]), int(raw["pid"]), raw.get("url"), str(raw["since"]))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
