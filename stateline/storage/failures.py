"""Database errors turned into Stateline's own: a store's callers never see a driver exception.

Every repository runs its statements inside :class:`translated`, which names what was being done
(``account write failed``) and the error the caller catches (``StorageError`` by default, or a
subclass such as ``LedgerUnavailable``); ``detail`` adds the driver's message.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from stateline.errors import StorageError


class translated:
    """Run the block; a database error becomes ``failure(what)`` (``what: <the driver's
    message>`` with ``detail``), chained to it. Other errors pass unchanged.

    A class rather than a generator: every read of the stores enters one, and a generator's
    context manager costs several times as much to enter and leave."""

    __slots__ = ("detail", "failure", "what")

    def __init__(
        self, what: str, failure: type[StorageError] = StorageError, *, detail: bool = False
    ) -> None:
        self.what = what
        self.failure = failure
        self.detail = detail

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _trace: object
    ) -> None:
        if isinstance(error, SQLAlchemyError):
            raise self.failure(f"{self.what}: {error}" if self.detail else self.what) from error
