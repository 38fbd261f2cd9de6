"""Database errors turned into Stateline's own: a store's callers never see a driver exception.

Every repository runs its statements inside :func:`translated`, which names what was being done
(``account write failed``) and the error the caller catches (``StorageError`` by default, or a
subclass such as ``LedgerUnavailable``); ``detail`` adds the driver's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from stateline.errors import StorageError


@contextmanager
def translated(
    what: str, failure: type[StorageError] = StorageError, *, detail: bool = False
) -> Iterator[None]:
    """Run the block; a database error becomes ``failure(what)`` (``what: <the driver's
    message>`` with ``detail``), chained to it. Other errors pass unchanged."""
    try:
        yield
    except SQLAlchemyError as error:
        raise failure(f"{what}: {error}" if detail else what) from error
