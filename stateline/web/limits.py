"""How large a request's head may be and how long it may take to arrive, read from the
environment (``STATELINE_HEAD_BYTES``, ``STATELINE_HEAD_LINES``, ``STATELINE_HEAD_TIMEOUT``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from stateline.config import Number, positive


@dataclass(frozen=True, slots=True)
class HeadLimits:
    """Bounds on a request's head: its request line and header lines, up to the blank line."""

    size: int = 8 * 1024
    """Bytes a head may have, request line included; a larger one is answered 431."""
    lines: int = 100
    """Header lines a head may have; more are answered 431."""
    timeout: float = 10.0
    """Seconds a connection has for a whole head, counted from its opening or from the end of
    its previous answer; a head still incomplete then is answered 408."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> HeadLimits:
        """The limits the environment sets, the defaults where it sets none."""
        default = cls()
        return cls(
            size=_set(environ, "STATELINE_HEAD_BYTES", int, default.size),
            lines=_set(environ, "STATELINE_HEAD_LINES", int, default.lines),
            timeout=_set(environ, "STATELINE_HEAD_TIMEOUT", float, default.timeout),
        )


def _set(environ: Mapping[str, str], name: str, kind: type[Number], default: Number) -> Number:
    raw = environ.get(name)
    return default if raw is None else positive(name, raw, kind)
