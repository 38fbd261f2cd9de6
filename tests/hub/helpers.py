"""The hub's message log for tests that need an exchange: the real one, on a test database."""

from __future__ import annotations

from sqlalchemy import Engine

from stateline.storage.messages import MessageLog


def message_log(engine: Engine) -> MessageLog:
    """A message log with its tables made in ``engine``'s database."""
    log = MessageLog(engine)
    log.create_schema()
    return log
