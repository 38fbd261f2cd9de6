"""How ``stateline serve`` logs: one line per record, with its UTC time in ISO 8601, its level
and its logger's name; Stateline's own records from INFO up, everything else's from WARNING."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class UtcFormatter(logging.Formatter):
    """Stamps each line with the UTC time in ISO 8601, to the millisecond (``...T12:00:00.000Z``),
    so that lines from machines in different time zones sort together."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return stamp.removesuffix("+00:00") + "Z"


def log_config() -> dict[str, Any]:
    """The ``logging.config.dictConfig`` configuration, as uvicorn's ``log_config`` takes it
    (a new one each time: applying a configuration changes it)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,  # Stateline's loggers exist before serving starts
        "formatters": {"line": {"()": UtcFormatter, "fmt": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stderr",
            }
        },
        # uvicorn's own loggers reach the root; its log_level keeps them at WARNING.
        "loggers": {"stateline": {"level": "INFO"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
